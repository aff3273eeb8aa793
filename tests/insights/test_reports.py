"""Report numbers equal the messages, events and usage records behind them, counted by hand."""

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from insights import selectors
from insights.selectors import ReportFilter
from tests.factories.channels import ChannelAccountFactory
from tests.factories.orders import OrderFactory, StoreFactory
from tests.factories.reviews import CampaignFactory, MessageFactory
from tests.insights.conftest import events, usage

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 20:00 UTC on 1 March is 04:00 on 2 March in Shanghai: the merchant's day is the 2nd.
DAY1 = dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC)
DAY2 = dt.datetime(2026, 3, 9, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def data(alice, bob):
    merchant = alice.merchant
    merchant.default_time_zone = "Asia/Shanghai"
    merchant.save(update_fields=["default_time_zone"])
    store = StoreFactory(merchant=merchant)
    account = ChannelAccountFactory(merchant=merchant)
    email = CampaignFactory(merchant=merchant, name="Email campaign")
    sms = CampaignFactory(merchant=merchant, name="SMS campaign")

    def msg(campaign, **fields):
        fields.setdefault("send_at", DAY1)
        return MessageFactory(campaign=campaign, order=OrderFactory(store=store), account=account, **fields)

    sent = {"sent_at": DAY1}
    m1 = msg(email, status="delivered", delivered_at=DAY1, channel="email", country="US", variant="A",
             clicked_at=DAY1, **sent)  # fmt: skip
    m2 = msg(email, status="delivered", delivered_at=DAY1, channel="email", country="DE", variant="B", **sent)
    m3 = msg(email, status="failed", reason_code="permanent_failure", channel="email", country="US", variant="A")
    m4 = msg(email, status="failed", reason_code="bounced", channel="email", country="US", **sent)
    m5 = msg(email, status="planned", channel="email", country="US")
    msg(email, status="held_out", reason_code="held_out", country="US")
    m7 = msg(sms, status="sent", channel="sms", country="GB", clicked_at=DAY2, send_at=DAY2, sent_at=DAY2)
    events([m1, m1, m2], "opened", account=account)  # two opens of m1 count once
    events([m1], "clicked", account=account)
    events([m2], "complained", account=account)
    events([m4], "bounced", account=account)
    events([m7], "unsubscribed", account=account)
    usage([m1, m2, m4], "0.01")
    usage([m7], "0.05", country="GB", channel="sms")
    # Bob's message, with an event and a usage record: never in Alice's report
    bob_campaign = CampaignFactory(merchant=bob.merchant)
    b = MessageFactory(
        campaign=bob_campaign, order=OrderFactory(store=StoreFactory(merchant=bob.merchant)), status="delivered",
        channel="email", country="US", send_at=DAY1, sent_at=DAY1, clicked_at=DAY1,
    )  # fmt: skip
    events([b], "complained")
    usage([b], "9.00")
    return {"merchant": merchant, "email": email, "sms": sms, "messages": [m1, m2, m3, m4, m5, m7]}


def _numbers(row):
    return (row.planned, row.sent, row.delivered, row.failed, row.opened, row.clicked, row.review_clicks,
            row.unsubscribes, row.complaints, row.cost)  # fmt: skip


def test_totals_count_each_message_once_and_leave_out_held_out_orders_and_other_merchants(data):
    total = selectors.totals(data["merchant"], ReportFilter())
    assert _numbers(total) == (6, 4, 2, 2, 2, 1, 2, 1, 1, Decimal("0.08"))
    assert total.cost_per_review_click == Decimal("0.04")


def test_report_by_channel_matches_the_hand_count(data):
    rows = {r.key: r for r in selectors.report(data["merchant"], ReportFilter(), "channel")}
    assert _numbers(rows["email"]) == (5, 3, 2, 2, 2, 1, 1, 0, 1, Decimal("0.03"))
    assert _numbers(rows["sms"]) == (1, 1, 0, 0, 0, 0, 1, 1, 0, Decimal("0.05"))
    assert rows["email"].cost_per_review_click == Decimal("0.03")
    assert rows["email"].label == "Email"


def test_report_by_country_variant_and_campaign(data):
    merchant = data["merchant"]
    country = {r.key: r for r in selectors.report(merchant, ReportFilter(), "country")}
    assert _numbers(country["US"]) == (4, 2, 1, 2, 1, 1, 1, 0, 0, Decimal("0.02"))
    assert _numbers(country["DE"]) == (1, 1, 1, 0, 1, 0, 0, 0, 1, Decimal("0.01"))
    assert _numbers(country["GB"]) == (1, 1, 0, 0, 0, 0, 1, 1, 0, Decimal("0.05"))
    variant = {r.key: r for r in selectors.report(merchant, ReportFilter(), "variant")}
    assert (variant["A"].planned, variant["A"].sent, variant["A"].review_clicks) == (2, 1, 1)
    assert (variant["B"].planned, variant["B"].complaints) == (1, 1)
    assert variant[""].planned == 3 and variant[""].label == "—"
    campaign = {r.label: r for r in selectors.report(merchant, ReportFilter(), "campaign")}
    assert campaign["Email campaign"].planned == 5 and campaign["SMS campaign"].cost == Decimal("0.05")


def test_periods_follow_the_merchants_time_zone_and_the_date_range(data):
    merchant = data["merchant"]
    days = selectors.report(merchant, ReportFilter(period="day"), "period")
    assert [(r.label, r.planned) for r in days] == [("2026-03-02", 5), ("2026-03-09", 1)]
    weeks = selectors.report(merchant, ReportFilter(period="week"), "period")
    assert [(r.label, r.sent) for r in weeks] == [("2026-W10", 3), ("2026-W11", 1)]  # Monday 2 March starts ISO week 10
    months = selectors.report(merchant, ReportFilter(period="month"), "period")
    assert [(r.label, r.cost) for r in months] == [("2026-03", Decimal("0.08"))]
    # the 1st (Shanghai) holds nothing: DAY1 is already the 2nd there
    assert (
        selectors.totals(merchant, ReportFilter(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 1))).planned
        == 0
    )
    only_second = ReportFilter(date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 3, 8))
    assert selectors.totals(merchant, only_second).planned == 5


def test_filters_by_campaign_channel_and_country(data):
    merchant = data["merchant"]
    assert selectors.totals(merchant, ReportFilter(campaign=data["sms"])).planned == 1
    assert selectors.totals(merchant, ReportFilter(channel="email", country="us")).planned == 4


def test_failures_are_counted_by_code(data):
    failures = selectors.failures_by_code(data["merchant"], ReportFilter())
    assert {(f.code, f.count) for f in failures} == {("permanent_failure", 1), ("bounced", 1)}
    assert {f.label for f in failures} == {"The provider refused the message", "Bounced"}


def test_a_report_page_costs_two_message_queries_whatever_the_number_of_messages(data, client_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client_a.get(reverse("insights:reports"), {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    counting = [q["sql"] for q in captured.captured_queries if 'FROM "reviews_message"' in q["sql"]]
    # totals, five tables and three charts: one GROUP BY over the messages; failures by code: one more
    assert len(counting) == 2
    assert sum("EXISTS" in sql for sql in counting) == 1


def test_csv_export_of_the_channel_table_has_the_same_numbers(data, client_a):
    response = client_a.get(
        reverse("insights:export", args=["channel"]), {"date_from": "2026-03-01", "date_to": "2026-03-31"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Channel", "Planned", "Sent", "Delivered"]
    by_label = {r[0]: r for r in rows[1:]}
    assert by_label["Email"][1:10] == ["5", "3", "2", "2", "2", "1", "1", "0", "1"]
    assert by_label["Email"][10:] == ["0.030000", "0.030000"]
    assert by_label["SMS"][7] == "1"  # review-link clicks


def test_csv_export_of_failures_and_of_a_campaign(data, client_a):
    failures = client_a.get(reverse("insights:export", args=["failures"]), {"date_from": "2026-03-01"})
    assert "bounced" in failures.content.decode()
    campaign = client_a.get(reverse("insights:campaign_export", args=[data["sms"].pk, "country"]))
    rows = list(csv.reader(io.StringIO(campaign.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["GB"]


def test_csv_export_of_an_unknown_table_is_404_and_bad_filters_are_400(data, client_a):
    assert client_a.get(reverse("insights:export", args=["secrets"])).status_code == 404
    response = client_a.get(
        reverse("insights:export", args=["channel"]), {"date_from": "2026-04-01", "date_to": "2026-03-01"}
    )
    assert response.status_code == 400
    assert "start date is after the end date" in response.content.decode()


def test_csv_cells_that_look_like_formulas_are_defused(alice, client_a):
    campaign = CampaignFactory(merchant=alice.merchant, name='=HYPERLINK("x")')
    MessageFactory(campaign=campaign, order=OrderFactory(store=StoreFactory(merchant=alice.merchant)))
    body = client_a.get(reverse("insights:export", args=["campaign"])).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in body


def test_report_api_returns_a_table_with_its_total(data, api_a):
    response = api_a.get(reverse("insights-api:report"), {"dimension": "country", "date_from": "2026-03-01"})
    assert response.status_code == 200
    body = response.json()
    gb = next(r for r in body["rows"] if r["key"] == "GB")
    assert gb["review_clicks"] == 1 and Decimal(gb["cost"]) == Decimal("0.05")
    assert body["total"]["planned"] == 6
    assert api_a.get(reverse("insights-api:report"), {"dimension": "nope"}).status_code == 400
