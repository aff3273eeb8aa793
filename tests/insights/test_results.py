"""A/B and hold-out results computed from messages and orders, checked against hand sums."""

import math

import pytest
from django.urls import reverse
from django.utils import timezone

from insights import selectors, stats
from orders.models import Order
from reviews.models import Message
from tests.factories.reviews import CampaignFactory, VariantFactory
from tests.insights.conftest import bulk_messages

pytestmark = pytest.mark.django_db


def _clicked(messages):
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(clicked_at=timezone.now())


def _reviewed(messages):
    Order.objects.filter(pk__in=[m.order_id for m in messages]).update(buyer_reviewed=True)


@pytest.fixture
def ab_campaign(alice):
    campaign = CampaignFactory(merchant=alice.merchant, name="A/B")
    VariantFactory(campaign=campaign, name="A")
    VariantFactory(campaign=campaign, name="B")
    now = timezone.now()
    a = bulk_messages(campaign, 200, variant="A", status="delivered", sent_at=now, delivered_at=now)
    b = bulk_messages(campaign, 200, variant="B", status="sent", sent_at=now)
    bulk_messages(campaign, 50, variant="B", status="planned")  # not sent: in no rate
    _clicked(a[:40])  # 20 %
    _clicked(b[:60])  # 30 %
    return campaign


def test_variant_rates_carry_wilson_intervals_and_the_z_test_against_the_control(ab_campaign):
    control, b = selectors.ab_results(ab_campaign)
    assert (control.name, control.is_control, control.test) == ("A", True, None)
    assert (control.sent, control.review_clicks) == (200, 40)
    assert control.rate == stats.wilson_interval(40, 200)
    assert (b.sent, b.review_clicks, b.delivered) == (200, 60, 0)
    # by hand: pooled 100/400 = 0.25, se = sqrt(0.25 * 0.75 * 2 / 200), z = 0.1 / se = 2.309, p = 0.0209
    z = 0.1 / math.sqrt(0.25 * 0.75 * 2 / 200)
    assert b.test.z == pytest.approx(z)
    assert b.test.p_value == pytest.approx(0.0209, abs=1e-4)
    assert b.test.significant
    # per delivered: A delivered all 200, B none -> nothing to compare
    assert control.delivered_rate.estimate == pytest.approx(0.2)
    assert b.delivered_test.p_value == 1.0


def test_a_variant_named_control_is_the_control_whatever_its_place(alice):
    campaign = CampaignFactory(merchant=alice.merchant)
    VariantFactory(campaign=campaign, name="Alpha")
    VariantFactory(campaign=campaign, name="Control")
    results = {v.name: v for v in selectors.ab_results(campaign)}
    assert results["Control"].is_control and not results["Alpha"].is_control


def test_a_small_difference_is_reported_as_not_significant(alice):
    campaign = CampaignFactory(merchant=alice.merchant)
    now = timezone.now()
    _clicked(bulk_messages(campaign, 200, variant="A", sent_at=now, status="sent")[:22])
    _clicked(bulk_messages(campaign, 200, variant="B", sent_at=now, status="sent")[:20])
    _control, b = selectors.ab_results(campaign)
    assert not b.test.significant and b.test.p_value > 0.05


@pytest.fixture
def holdout_campaign(alice):
    campaign = CampaignFactory(merchant=alice.merchant, holdout_percent=10)
    now = timezone.now()
    messaged = bulk_messages(campaign, 850, status="sent", sent_at=now)
    suppressed = bulk_messages(campaign, 50, status="skipped", reason_code="suppressed")  # still messaged group
    held = bulk_messages(campaign, 100, status="held_out", reason_code="held_out")
    excluded = bulk_messages(campaign, 30, status="skipped", reason_code="cancelled")  # in neither group
    _clicked(messaged[:45])
    _reviewed(messaged[:80] + suppressed[:10])  # 90 reviewed of 900
    _reviewed(held[:5])  # 5 of 100
    _reviewed(excluded)
    return campaign


def test_hold_out_lift_per_thousand_orders_with_its_interval(holdout_campaign):
    result = selectors.holdout_results(holdout_campaign)
    assert (result.messaged_orders, result.held_out_orders) == (900, 100)
    clicks, reviewed = result.outcomes
    # review-link clicks: 45 / 900 = 50 per 1,000 against 0 / 100
    assert (clicks.messaged, clicks.held) == (45, 0)
    assert clicks.messaged_per_1000 == pytest.approx(50.0) and clicks.held_per_1000 == 0
    assert clicks.lift == stats.per_thousand(stats.difference_interval(45, 900, 0, 100))
    # orders marked reviewed: 90 / 900 = 100 per 1,000 against 5 / 100 = 50: 50 more per 1,000
    assert (reviewed.messaged, reviewed.held) == (90, 5)
    assert reviewed.lift.estimate == pytest.approx(50.0)
    assert reviewed.lift.low < 50 < reviewed.lift.high
    assert reviewed.lift.low < 0  # with only 100 held-out orders the gain is not proven


def test_a_reminder_click_counts_once_for_its_order(alice):
    campaign = CampaignFactory(merchant=alice.merchant, holdout_percent=10)
    [first] = bulk_messages(campaign, 1, status="sent", sent_at=timezone.now())
    Message.objects.create(
        merchant=alice.merchant, campaign=campaign, order_id=first.order_id, step=2, send_at=timezone.now(),
        status="sent", clicked_at=timezone.now(),
    )  # fmt: skip
    bulk_messages(campaign, 1, status="held_out")
    result = selectors.holdout_results(campaign)
    assert (result.messaged_orders, result.outcomes[0].messaged) == (1, 1)


def test_no_hold_out_result_without_held_out_orders(alice):
    campaign = CampaignFactory(merchant=alice.merchant)
    bulk_messages(campaign, 3, status="sent", sent_at=timezone.now())
    assert selectors.holdout_results(campaign) is None


def test_campaign_report_page_shows_ab_and_hold_out(ab_campaign, holdout_campaign, client_a):
    page = client_a.get(reverse("insights:campaign_report", args=[ab_campaign.pk])).content.decode()
    assert "significant" in page and "p = 0.021" in page and "+10.00 points" in page
    page = client_a.get(reverse("insights:campaign_report", args=[holdout_campaign.pk])).content.decode()
    assert "Newcombe" in page and "50.0" in page and "100.0" in page


def test_results_api(ab_campaign, api_a):
    body = api_a.get(reverse("insights-api:campaign-results", args=[ab_campaign.pk])).json()
    b = next(v for v in body["variants"] if v["name"] == "B")
    assert b["significant"] is True and b["p_value"] == pytest.approx(0.0209, abs=1e-4)
    assert body["holdout"] is None
