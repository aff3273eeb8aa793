from tests.tenancy import Route

AUTH_PAGE = "sign-in and sign-up pages serve anyone and show no merchant data"

ROUTES = [
    Route("healthz", "public", why="process liveness only; no data"),
    Route("readyz", "public", why="reports only whether the database and broker answer"),
    Route("accounts:home", "public", why="redirects to the dashboard or to log in"),
    Route("accounts:signup", "public", why=AUTH_PAGE),
    Route("accounts:login", "public", why=AUTH_PAGE),
    Route("accounts:logout", "public", why=AUTH_PAGE),
    Route("accounts:password_reset", "public", why=AUTH_PAGE),
    Route("accounts:password_reset_done", "public", why=AUTH_PAGE),
    Route("accounts:password_reset_confirm", "public", why="needs a signed one-time token for one user"),
    Route("accounts:password_reset_complete", "public", why=AUTH_PAGE),
    Route("accounts:set_language", "public", why="only sets the caller's own language"),
    Route("accounts:dashboard", "list"),
    Route("accounts:settings", "list"),
    Route("accounts:members", "list"),
    Route("accounts:api_keys", "list"),
    Route("accounts:switch_merchant", "public", why="checks the caller's own memberships; tested in test_tenancy"),
    Route("accounts:member_role", "object", kwargs=lambda w: {"pk": w.bob.objects["membership"].pk}, methods=("post",)),
    Route(
        "accounts:member_remove", "object", kwargs=lambda w: {"pk": w.bob.objects["membership"].pk}, methods=("post",)
    ),
    Route("accounts:api_key_revoke", "object", kwargs=lambda w: {"pk": w.bob.api_key.pk}, methods=("post",)),
    Route("accounts-api:merchant", "list"),
]

API_DOCS = "the API's schema and viewers: authentication required, no merchant data"
ROUTES += [
    Route("api-schema", "public", why=API_DOCS),
    Route("api-docs", "public", why=API_DOCS),
    Route("api-redoc", "public", why=API_DOCS),
]
