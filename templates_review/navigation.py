from django.utils.translation import gettext_lazy as _

from linkstar.navigation import DashboardPanel, NavItem


def _decisions_panel(request):
    from . import selectors

    decisions = selectors.recent_decisions(request.merchant)
    counts = selectors.status_counts(request.merchant)
    if not decisions and not any(counts.values()):
        return None
    return {"decisions": decisions, "counts": counts}


NAV_ITEMS = [NavItem(_("Templates"), "templates_review:list", order=30)]
DASHBOARD_PANELS = [DashboardPanel("templates_review/panel.html", _decisions_panel, order=30)]
