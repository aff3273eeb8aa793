from tests.tenancy import Route

WEBHOOK = "verified with the account's own secret (basic auth, HMAC, SNS or Twilio signature) before anything is read"


def _account(w):
    return {"pk": w.bob.objects["channel_account"].pk}


def _token(w):
    return {"token": w.bob.objects["channel_account"].webhook_token}


ROUTES = [
    Route("channels:accounts", "list"),
    Route(
        "channels:account_create", "public", why="a blank form for the caller's own merchant; creates nothing of Bob's"
    ),
    Route("channels:account_detail", "object", kwargs=_account),
    Route("channels:account_edit", "object", kwargs=_account, methods=("get", "post")),
    Route("channels:account_test_send", "object", kwargs=_account, methods=("post",), body=lambda w: {"to": "x@y.com"}),
    Route(
        "channels:account_status", "object", kwargs=_account, methods=("post",), body=lambda w: {"status": "disabled"}
    ),
    Route("channels:account_delete", "object", kwargs=_account, methods=("post",)),
    Route("channels:suppressions", "list"),
    Route(
        "channels:suppression_remove",
        "object",
        kwargs=lambda w: {"pk": w.bob.objects["suppression"].pk},
        methods=("post",),
    ),
    Route("channels:events", "list"),
    Route("channels:outbox", "list"),
    Route("channels:outbox_detail", "object", kwargs=lambda w: {"pk": w.bob.objects["outbox_message"].pk}),
    Route("channels:outbox_html", "object", kwargs=lambda w: {"pk": w.bob.objects["outbox_message"].pk}),
    Route("channels:unsubscribe", "public", why="a signed token (django.core.signing, own salt) names one recipient"),
    Route("channels:hook_postmark_tracking", "public", why=WEBHOOK),
    Route("channels:hook_postmark_inbound", "public", why=WEBHOOK),
    Route("channels:hook_mailgun_tracking", "public", why=WEBHOOK),
    Route("channels:hook_mailgun_inbound", "public", why=WEBHOOK),
    Route("channels:hook_amazon_ses_tracking", "public", why=WEBHOOK),
    Route("channels:hook_amazon_ses_inbound", "public", why=WEBHOOK),
    Route("channels:hook_twilio_status", "public", why=WEBHOOK),
    Route("channels:hook_twilio_inbound", "public", why=WEBHOOK),
    Route("channels-api:account-list", "list"),
    Route("channels-api:account-detail", "object", kwargs=_account),
    Route("channels-api:suppression-list", "list"),
    Route(
        "channels-api:suppression-detail",
        "object",
        kwargs=lambda w: {"pk": w.bob.objects["suppression"].pk},
        methods=("get", "delete"),
    ),
    Route("channels-api:event-list", "list"),
]
