"""The reports show app push and web push beside the other channels, and (merchant-wide only) the scans of
printed insert cards, read through the inserts app."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inserts import services as inserts
from insights import selectors
from insights.selectors import ReportFilter
from tests.factories.channels import ChannelAccountFactory
from tests.factories.orders import OrderFactory, StoreFactory
from tests.factories.reviews import CampaignFactory, MessageFactory
from tests.insights.conftest import events, usage

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(alice, bob):
    merchant = alice.merchant
    store = StoreFactory(merchant=merchant)
    account = ChannelAccountFactory(merchant=merchant)
    campaign = CampaignFactory(merchant=merchant, name="Push campaign")
    now = timezone.now()

    def msg(**fields):
        fields.setdefault("send_at", now)
        return MessageFactory(campaign=campaign, order=OrderFactory(store=store), account=account, **fields)

    p1 = msg(status="sent", channel="push", country="US", sent_at=now, clicked_at=now)
    msg(status="failed", reason_code="permanent_failure", channel="push", country="US")
    w1 = msg(status="sent", channel="web_push", country="DE", sent_at=now)
    w2 = msg(status="sent", channel="web_push", country="DE", sent_at=now, clicked_at=now)
    e1 = msg(status="delivered", channel="email", country="US", sent_at=now, delivered_at=now)
    events([e1], "opened", account=account)
    usage([p1], "0.0002", channel="push")
    usage([w1, w2], "0.0002", country="DE", channel="push")
    usage([e1], "0.001")
    # three printed cards of Alice's, two of them scanned (one twice); one card of Bob's, scanned
    batch = inserts.create_card_batch(merchant=merchant, order_ids=[OrderFactory(store=store).pk for _ in range(3)])
    cards = list(batch.cards.order_by("position"))
    for card in (cards[0], cards[0], cards[1]):
        inserts.record_scan(token=card.token)
    bob_store = StoreFactory(merchant=bob.merchant)
    bob_batch = inserts.create_card_batch(merchant=bob.merchant, order_ids=[OrderFactory(store=bob_store).pk])
    inserts.record_scan(token=bob_batch.cards.get().token)
    return {"merchant": merchant, "campaign": campaign}


def test_report_by_channel_shows_app_push_and_web_push_with_hand_counted_numbers(data):
    rows = {r.key: r for r in selectors.report(data["merchant"], ReportFilter(), "channel")}
    assert set(rows) == {"push", "web_push", "email"}
    push, web = rows["push"], rows["web_push"]
    assert (push.label, push.planned, push.sent, push.failed, push.review_clicks) == ("App push", 2, 1, 1, 1)
    assert (web.label, web.planned, web.sent, web.failed, web.review_clicks) == ("Web push", 2, 2, 0, 1)
    assert (push.cost, web.cost, rows["email"].cost) == (Decimal("0.0002"), Decimal("0.0004"), Decimal("0.001"))
    assert selectors.totals(data["merchant"], ReportFilter(channel="web_push")).sent == 2


def test_insert_card_scans_are_counted_for_the_merchant_in_the_date_range(data):
    merchant = data["merchant"]
    today = timezone.localdate(timezone=selectors.zone_of(merchant))
    assert selectors.insert_card_scans(merchant, ReportFilter()) == {"cards": 3, "scans": 3, "scanned_cards": 2}
    assert selectors.insert_card_scans(merchant, ReportFilter(date_from=today, date_to=today))["scans"] == 3
    yesterday = today - dt.timedelta(days=1)
    assert selectors.insert_card_scans(merchant, ReportFilter(date_from=yesterday, date_to=yesterday)) == {
        "cards": 0,
        "scans": 0,
        "scanned_cards": 0,
    }


def test_report_page_shows_push_channels_in_the_table_and_chart_and_the_insert_card_scans(data, client_a):
    response = client_a.get(reverse("insights:reports"))
    assert response.status_code == 200
    page = response.content.decode()
    table = page.split('id="table-channel"', 1)[1].split("</table>", 1)[0]
    assert "App push" in table and "Web push" in table and "Email" in table
    assert "Sent by channel" in page
    chart = page.split("Sent by channel", 1)[1].split("</svg>", 1)[0]
    assert "App push" in chart and "Web push" in chart and "Insert cards: scans" in chart
    card = page.split('id="insert-scans"', 1)[1].split("</div></div>", 1)[0]
    assert '<div class="stat">3</div>' in card
    assert "2 cards scanned; 3 printed" in card


def test_a_campaign_report_leaves_the_insert_cards_out(data, client_a):
    response = client_a.get(reverse("insights:campaign_report", args=[data["campaign"].pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "App push" in page
    assert 'id="insert-scans"' not in page
