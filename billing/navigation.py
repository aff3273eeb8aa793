from django.utils.translation import gettext_lazy as _

from linkstar.navigation import DashboardPanel, NavItem

NAV_ITEMS = [
    NavItem(_("Billing"), "billing:overview", order=700),
]


def billing_panel(request) -> dict:
    """Balance, this month's spend, and the cap notices (80 % / 100 %) of the current day and month."""
    from . import selectors
    from .periods import month_of

    merchant = request.merchant
    return {
        "wallet": selectors.wallet_of(merchant),
        "month_spend": selectors.usage_summary(merchant, month_of()).amount,
        "alerts": selectors.active_cap_alerts(merchant),
    }


DASHBOARD_PANELS = [
    DashboardPanel(template="billing/panels/billing.html", context=billing_panel, order=50),
]
