from django.utils.translation import gettext_lazy as _

from linkstar.navigation import DashboardPanel, NavItem

NAV_ITEMS = [
    NavItem(_("Reports"), "insights:reports", order=35),
    NavItem(_("Circuit breakers"), "insights:breakers", order=36),
    NavItem(_("Notices"), "insights:notices", order=37),
]


def charts_panel(request) -> dict | None:
    """The last 30 days: sends and outcomes over time, the funnel, costs by country (hidden with no data)."""
    from . import selectors
    from .views import report_charts

    merchant = request.merchant
    flt = selectors.recent_filter(30, merchant=merchant)
    cells = selectors.cube(merchant, flt)
    total = selectors.total_of(cells)
    if not total.planned:
        return None
    return {
        "total": total,
        "charts": report_charts(
            merchant,
            flt,
            by_period=selectors.rollup(cells, "period"),
            total=total,
            by_country=selectors.rollup(cells, "country"),
        ),
        "recent_trips": list(selectors.trips_of(merchant)[:3]),
    }


DASHBOARD_PANELS = [DashboardPanel("insights/panels/charts.html", charts_panel, order=20)]
