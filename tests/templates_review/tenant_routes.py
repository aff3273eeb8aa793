from tests.tenancy import Route

LINT_BODY = {"channel": "email", "marketplace": None, "locale": "en", "body_text": "Hello"}

ROUTES = [
    Route("templates_review:list", "list"),
    Route(
        "templates_review:new", "public", why="an empty form; creating scopes the template to the session's merchant"
    ),
    Route(
        "templates_review:preview",
        "public",
        why="lints and renders the posted text with sample data; reads and writes no merchant rows",
    ),
    Route("templates_review:starters", "public", why="the shared starter library; no merchant data"),
    Route(
        "templates_review:starter_copy",
        "public",
        why="copies a shared starter into the session's own merchant",
    ),
    Route(
        "templates_review:edit",
        "object",
        kwargs=lambda w: {"pk": w.bob.objects["template"].pk},
        methods=("get", "post"),
    ),
    Route("templates_review-api:lint", "public", why="lints the posted text; reads and writes no merchant rows"),
    Route("templates_review-api:template-list", "list"),
    Route(
        "templates_review-api:template-detail",
        "object",
        kwargs=lambda w: {"pk": w.bob.objects["template"].pk},
        methods=("get", "patch"),
    ),
    Route(
        "templates_review-api:template-versions",
        "object",
        kwargs=lambda w: {"pk": w.bob.objects["template"].pk},
    ),
    Route(
        "templates_review-api:template-draft",
        "object",
        kwargs=lambda w: {"pk": w.bob.objects["template"].pk},
        methods=("put",),
        body=lambda w: {"body_text": "Hello"},
    ),
    Route(
        "templates_review-api:template-submit",
        "object",
        kwargs=lambda w: {"pk": w.bob.objects["template"].pk},
        methods=("post",),
    ),
]
