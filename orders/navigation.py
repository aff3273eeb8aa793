from django.utils.translation import gettext_lazy as _

from linkstar.navigation import DashboardPanel, NavItem


def _order_counts(request):
    from .selectors import order_counts

    return order_counts(request.merchant)


def _connection_health(request):
    from .connectors.selectors import health_panel

    return health_panel(request.merchant)


NAV_ITEMS = [
    NavItem(_("Orders"), "orders:list", order=10),
    NavItem(_("Stores"), "orders:stores", order=15),
    NavItem(_("Import orders"), "orders:import", order=20, min_role="operator"),
    NavItem(_("Connections"), "orders:connections", order=16),
]
DASHBOARD_PANELS = [
    DashboardPanel("orders/panel.html", _order_counts, order=10),
    DashboardPanel("orders/connectors/panel.html", _connection_health, order=11),
]
