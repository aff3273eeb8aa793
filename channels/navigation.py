from django.utils.translation import gettext_lazy as _

from linkstar.navigation import DashboardPanel, NavItem

NAV_ITEMS = [
    NavItem(_("Channels"), "channels:accounts", order=400),
    NavItem(_("Suppressions"), "channels:suppressions", order=410),
    NavItem(_("Delivery events"), "channels:events", order=420),
    NavItem(_("Outbox"), "channels:outbox", order=430),
]


def _panel(request):
    from .selectors import accounts_of, suppressions_of

    accounts = list(accounts_of(request.merchant))
    return {
        "accounts": len(accounts),
        "failing": sum(1 for a in accounts if a.status == "failing"),
        "suppressed": suppressions_of(request.merchant).count(),
    }


DASHBOARD_PANELS = [DashboardPanel("channels/dashboard_panel.html", _panel, order=400)]
