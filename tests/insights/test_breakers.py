"""Circuit breakers: each rule trips just above its threshold and not at it, on the minimum sample; a trip
pauses only the account's campaigns, records itself, tells the merchant once, and never resumes anything."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from insights import services
from insights.models import BreakerRule, BreakerTrip, Notice
from reviews.models import Campaign, CampaignStatus
from reviews.services import set_campaign_status
from tests.factories.channels import ChannelAccountFactory
from tests.factories.reviews import CampaignFactory, PlanStepFactory
from tests.insights.conftest import ago, attempts, bulk_messages, events

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(alice):
    account = ChannelAccountFactory(merchant=alice.merchant, name="Postmark main")
    other = ChannelAccountFactory(merchant=alice.merchant, name="SMTP backup")
    campaign = CampaignFactory(merchant=alice.merchant, name="Uses main", status=CampaignStatus.ACTIVE)
    PlanStepFactory(campaign=campaign, account=account)
    untouched = CampaignFactory(merchant=alice.merchant, name="Uses backup", status=CampaignStatus.ACTIVE)
    PlanStepFactory(campaign=untouched, account=other)
    return {"account": account, "other": other, "campaign": campaign, "untouched": untouched}


def _sent(shop, n, **kwargs):
    return bulk_messages(shop["campaign"], n, account=shop["account"], status="sent", sent_at=ago(hours=2), **kwargs)


def _status(campaign) -> str:
    return Campaign.objects.get(pk=campaign.pk).status


@pytest.mark.parametrize(
    ("event_type", "sends", "at_threshold", "rule"),
    [
        ("complained", 1000, 3, BreakerRule.COMPLAINTS),  # 0.3 % exactly
        ("bounced", 1000, 50, BreakerRule.HARD_BOUNCES),  # 5 % exactly
    ],
)
def test_rate_rules_trip_above_the_threshold_and_not_at_it(shop, event_type, sends, at_threshold, rule):
    messages = _sent(shop, sends)
    events(messages[:at_threshold], event_type, account=shop["account"], at=ago(hours=1))
    assert services.evaluate_breakers() == []
    assert _status(shop["campaign"]) == CampaignStatus.ACTIVE

    events(messages[at_threshold : at_threshold + 1], event_type, account=shop["account"], at=ago(minutes=30))
    [trip] = services.evaluate_breakers()
    assert trip.rule == rule
    assert (trip.numerator, trip.denominator) == (at_threshold + 1, sends)
    assert _status(shop["campaign"]) == CampaignStatus.PAUSED
    assert _status(shop["untouched"]) == CampaignStatus.ACTIVE  # another account's campaign goes on
    assert trip.campaign_ids == [shop["campaign"].pk]


def test_provider_errors_trip_above_twenty_percent_of_attempts(shop):
    messages = _sent(shop, 200)
    attempts(messages[:160], "accepted", account=shop["account"])
    attempts(messages[160:], "temporary_failure", account=shop["account"])  # 40 of 200 = 20 %
    assert services.evaluate_breakers() == []
    more = _sent(shop, 1)
    attempts(more, "permanent_failure", account=shop["account"])  # 41 of 201 > 20 %
    [trip] = services.evaluate_breakers()
    assert trip.rule == BreakerRule.PROVIDER_ERRORS
    assert (trip.numerator, trip.denominator) == (41, 201)


def test_no_rule_trips_below_the_minimum_sample(shop):
    messages = _sent(shop, 199)
    events(messages[:100], "complained", account=shop["account"])  # 50 %, but only 199 sends
    assert services.evaluate_breakers() == []
    assert BreakerTrip.objects.count() == 0


def test_the_minimum_sample_and_thresholds_are_settings(shop, settings):
    settings.INSIGHTS_BREAKER_MIN_SENDS = 10
    settings.INSIGHTS_BREAKER_COMPLAINT_RATE = "0.1"
    messages = _sent(shop, 10)
    events(messages[:2], "complained", account=shop["account"])  # 20 % > 10 % on 10 sends
    [trip] = services.evaluate_breakers()
    assert trip.threshold == Decimal("0.1")


def test_events_outside_the_window_do_not_count(shop):
    messages = _sent(shop, 1000)
    events(messages[:10], "complained", account=shop["account"], at=ago(hours=30))
    assert services.evaluate_breakers() == []


def test_unsubscribe_spike_trips_above_three_times_the_usual_and_above_the_floor(shop):
    _sent(shop, 50)
    # trailing 7 days: 70 unsubscribes = 10 a day; the window (24 h) may hold 30 before it is a spike
    events(70, "unsubscribed", account=shop["account"], merchant=shop["account"].merchant, at=ago(days=3))
    events(30, "unsubscribed", account=shop["account"], merchant=shop["account"].merchant, at=ago(hours=3))
    assert services.evaluate_breakers() == []
    events(1, "unsubscribed", account=shop["account"], merchant=shop["account"].merchant, at=ago(hours=1))
    [trip] = services.evaluate_breakers()
    assert trip.rule == BreakerRule.UNSUBSCRIBE_SPIKE
    assert trip.numerator == 31 and float(trip.threshold) == pytest.approx(30.0)


def test_unsubscribes_at_the_floor_are_not_a_spike_even_from_nothing(shop):
    merchant = shop["account"].merchant
    events(10, "unsubscribed", account=shop["account"], merchant=merchant, at=ago(hours=1))  # floor is 10
    assert services.evaluate_breakers() == []
    events(1, "unsubscribed", account=shop["account"], merchant=merchant, at=ago(hours=1))
    assert [t.rule for t in services.evaluate_breakers()] == [BreakerRule.UNSUBSCRIBE_SPIKE]


def test_a_trip_records_the_reason_on_the_campaign_and_tells_the_owner_once(
    shop, alice, client_a, django_capture_on_commit_callbacks
):
    messages = _sent(shop, 1000)
    events(messages[:4], "complained", account=shop["account"])
    with django_capture_on_commit_callbacks(execute=True):
        [trip] = services.evaluate_breakers()
    campaign = Campaign.objects.get(pk=shop["campaign"].pk)
    assert "Postmark main" in campaign.paused_reason and "0.40 %" in campaign.paused_reason
    assert trip.reason == campaign.paused_reason
    notice = Notice.objects.get(merchant=alice.merchant, kind="breaker_trip")
    assert notice.key == f"breaker:{trip.pk}" and notice.emailed_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [alice.owner.email]
    assert "Uses main" in mail.outbox[0].body and "Postmark main" in mail.outbox[0].subject
    # the campaign page shows why it is paused
    page = client_a.get(reverse("reviews:detail", args=[campaign.pk])).content.decode()
    assert "Paused automatically" in page and "0.40 %" in page
    # evaluating again changes nothing: no second trip, no second email
    with django_capture_on_commit_callbacks(execute=True):
        assert services.evaluate_breakers() == []
    assert BreakerTrip.objects.count() == 1 and len(mail.outbox) == 1


def test_resuming_is_a_persons_decision_and_the_trip_stays(shop):
    messages = _sent(shop, 1000)
    events(messages[:4], "complained", account=shop["account"], at=ago(hours=1))
    [trip] = services.evaluate_breakers()
    # nothing resumes by itself, however often the breakers are evaluated
    for _ in range(2):
        services.evaluate_breakers(now=timezone.now() + dt.timedelta(hours=30))
        assert _status(shop["campaign"]) == CampaignStatus.PAUSED
    set_campaign_status(campaign=Campaign.objects.get(pk=shop["campaign"].pk), status=CampaignStatus.ACTIVE)
    campaign = Campaign.objects.get(pk=shop["campaign"].pk)
    assert campaign.status == CampaignStatus.ACTIVE and campaign.paused_reason == ""
    assert BreakerTrip.objects.filter(pk=trip.pk).exists()
    # after the resume the breaker looks only at what happened since its trip: the old complaints are spent
    assert services.evaluate_breakers() == []
    assert _status(shop["campaign"]) == CampaignStatus.ACTIVE


def test_a_trip_leaves_another_merchants_campaigns_alone(shop, bob):
    bob_account = ChannelAccountFactory(merchant=bob.merchant)
    bob_campaign = CampaignFactory(merchant=bob.merchant, status=CampaignStatus.ACTIVE)
    PlanStepFactory(campaign=bob_campaign, account=bob_account)
    messages = _sent(shop, 1000)
    events(messages[:5], "complained", account=shop["account"])
    assert len(services.evaluate_breakers()) == 1
    assert _status(bob_campaign) == CampaignStatus.ACTIVE


def test_a_complaint_event_from_channels_evaluates_the_merchants_breakers_at_once(
    shop, django_capture_on_commit_callbacks
):
    """The listener registered with channels runs the evaluation (eager tasks in tests)."""
    from django.core.cache import cache

    from channels.events import ProviderEvent
    from channels.services import record_provider_events

    messages = _sent(shop, 1000)
    events(messages[:3], "complained", account=shop["account"])
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        new = record_provider_events(
            account=shop["account"],
            events=[
                ProviderEvent(
                    provider="postmark",
                    provider_event_id="spam-1",
                    event_type="complained",
                    occurred_at=timezone.now(),
                    message_ref=messages[3].ref,
                )
            ],
        )
    assert len(new) == 1
    assert _status(shop["campaign"]) == CampaignStatus.PAUSED
    assert BreakerTrip.objects.get().numerator == 4


def test_breaker_page_lists_the_trips_with_their_campaigns(shop, client_a):
    messages = _sent(shop, 1000)
    events(messages[:4], "complained", account=shop["account"])
    services.evaluate_breakers()
    page = client_a.get(reverse("insights:breakers")).content.decode()
    assert "Postmark main" in page and "Uses main" in page and "Complaint rate" in page
