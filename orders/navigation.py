from django.utils.translation import gettext_lazy as _

from linkstar.navigation import DashboardPanel, NavItem


def _order_counts(request):
    from .selectors import order_counts

    return order_counts(request.merchant)


NAV_ITEMS = [
    NavItem(_("Orders"), "orders:list", order=10),
    NavItem(_("Stores"), "orders:stores", order=15),
    NavItem(_("Import orders"), "orders:import", order=20, min_role="operator"),
]
DASHBOARD_PANELS = [DashboardPanel("orders/panel.html", _order_counts, order=10)]
