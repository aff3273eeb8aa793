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
    total = selectors.totals(merchant, flt)
    if not total.planned:
        return None
    return {
        "total": total,
        "charts": report_charts(
            merchant,
            flt,
            by_period=selectors.report(merchant, flt, "period"),
            total=total,
            by_country=selectors.report(merchant, flt, "country"),
        ),
        "recent_trips": list(selectors.trips_of(merchant)[:3]),
    }


DASHBOARD_PANELS = [DashboardPanel("insights/panels/charts.html", charts_panel, order=20)]
