from tests.tenancy import Route


def _campaign(w):
    return {"pk": w.bob.objects["campaign"].pk}


def _message(w):
    return {"pk": w.bob.objects["message"].pk}


def _ticket(w):
    return {"pk": w.bob.objects["ticket"].pk}


ROUTES = [
    Route("reviews:list", "list"),
    Route("reviews:create", "public", why="a blank editor for the caller's own merchant; creates nothing of Bob's"),
    Route("reviews:detail", "object", kwargs=_campaign),
    Route("reviews:edit", "object", kwargs=_campaign, methods=("get", "post")),
    Route("reviews:status", "object", kwargs=_campaign, methods=("post",), body=lambda w: {"action": "stop"}),
    Route("reviews:dry_run", "object", kwargs=_campaign),
    Route("reviews:log", "list"),
    Route("reviews:broadcasts", "list"),
    Route(
        "reviews:broadcast_create",
        "public",
        why="a blank segment form for the caller's own merchant; stores and accounts offered are the caller's only",
    ),
    Route("reviews:message", "object", kwargs=_message),
    Route(
        "reviews:review_link",
        "public",
        why="a signed token (django.core.signing, own salt) names one message; it only records a click",
    ),
    Route(
        "reviews:open_pixel",
        "public",
        why="a signed token (own salt, expires) names one message; it only stamps its first open and answers a GIF",
    ),
    Route(
        "reviews:help",
        "public",
        why="a signed, expiring token names one order (and message); shows only the store's name and the order "
        "number, and its form opens a ticket for that order's merchant only",
    ),
    Route(
        "reviews:satisfaction",
        "public",
        why="the same signed help token; stores one answer for that order, never read by planning or dispatch",
    ),
    Route(
        "reviews:help_review",
        "public",
        why="the same signed help token; redirects to the order's public review page",
    ),
    Route("reviews:tickets", "list"),
    Route(
        "reviews:ticket",
        "object",
        kwargs=_ticket,
        methods=("get", "post"),
        body=lambda w: {"action": "note", "text": "from Alice"},
    ),
    Route("reviews:ticket_photo", "object", kwargs=_ticket),
    Route("reviews:gating_audit", "list"),
    Route("reviews:gating_statement", "list"),
    Route("reviews:received", "list"),
    Route("reviews-api:review-list", "list"),
    Route("reviews-api:campaign-list", "list"),
    Route("reviews-api:campaign-detail", "object", kwargs=_campaign, methods=("get", "patch", "delete")),
    Route(
        "reviews-api:campaign-status",
        "object",
        kwargs=_campaign,
        methods=("post",),
        body=lambda w: {"status": "active"},
    ),
    Route("reviews-api:message-list", "list"),
    Route("reviews-api:message-detail", "object", kwargs=_message),
    Route("reviews-api:broadcast-list", "list"),
]
