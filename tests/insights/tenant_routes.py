from tests.tenancy import Route


def _campaign(w):
    return {"pk": w.bob.objects["campaign"].pk}


def _campaign_table(w):
    return {"pk": w.bob.objects["campaign"].pk, "table": "channel"}


ROUTES = [
    Route("insights:reports", "list"),
    Route("insights:export", "list", kwargs=lambda w: {"table": "campaign"}),
    Route("insights:campaign_report", "object", kwargs=_campaign),
    Route("insights:campaign_export", "object", kwargs=_campaign_table),
    Route("insights:breakers", "list"),
    Route("insights:notices", "list"),
    Route("insights:notice_read", "object", kwargs=lambda w: {"pk": w.bob.objects["notice"].pk}, methods=("post",)),
    Route(
        "insights:notices_read_all",
        "public",
        why="marks only the caller's own merchant's notices read (tests/insights/test_notices.py)",
    ),
    Route("insights-api:report", "list", query=lambda w: {"dimension": "campaign"}),
    Route("insights-api:campaign-results", "object", kwargs=_campaign),
]
