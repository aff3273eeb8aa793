"""Puts the signed-in member's merchant on the request (`request.merchant`, `request.membership`).

This is the only place a page learns which merchant it works for; API
requests authenticated by key get theirs in accounts.api.
"""

SESSION_KEY = "linkstar_merchant_id"


def resolve_membership(request):
    """The membership chosen in the switcher, else the user's first one."""
    from .selectors import memberships_of

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = list(memberships_of(user))
    if not memberships:
        return None
    wanted = request.session.get(SESSION_KEY)
    for membership in memberships:
        if membership.merchant_id == wanted:
            return membership
    return memberships[0]


class CurrentMerchantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = resolve_membership(request)
        request.merchant = request.membership.merchant if request.membership else None
        return self.get_response(request)
