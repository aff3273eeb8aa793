"""The demo shows what the issue promises: charts with data, A/B and hold-out results, a breaker trip."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Merchant
from billing.models import UsageRecord
from channels.models import DeliveryEvent
from insights import selectors
from insights.models import BreakerTrip, Notice
from reviews.models import Campaign, CampaignStatus, Message, ServiceRecoveryTicket

pytestmark = pytest.mark.django_db


def test_demo_trips_a_breaker_from_complaint_events_and_has_results_to_show():
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "breaker trip(s)" in out.getvalue()
    for merchant in Merchant.objects.filter(slug__in=["shenzhen-starlight", "acme-outdoor"]):
        campaign = Campaign.objects.get(merchant=merchant, name__contains="A/B")
        assert campaign.status == CampaignStatus.PAUSED and campaign.paused_reason
        trip = BreakerTrip.objects.get(merchant=merchant)
        assert trip.rule == "complaints" and trip.campaign_ids == [campaign.pk]
        assert DeliveryEvent.objects.filter(merchant=merchant, event_type="complained").count() == 3
        assert Notice.objects.filter(merchant=merchant, kind="breaker_trip").exists()
        total = selectors.totals(merchant, selectors.recent_filter(30, merchant=merchant))
        assert total.sent > 300 and total.review_clicks > 0 and total.opened > 0 and total.complaints == 3
        sent_by_channel = {
            row.key: row.sent
            for row in selectors.report(merchant, selectors.recent_filter(30, merchant=merchant), "channel")
        }
        assert sent_by_channel.get("email", 0) > 0 and sent_by_channel.get("web_push", 0) > 0  # push beside email
        # the buyers' side of the demo: planned review requests and tickets raised from the help page
        assert (
            Message.objects.filter(merchant=merchant, campaign__purpose="review_request")
            .exclude(campaign__name__contains="A/B")
            .exists()
        )
        assert ServiceRecoveryTicket.objects.filter(merchant=merchant, source="help_page").exists()
        # sent messages are billed through billing's services (until a demo merchant's budget cap stops them)
        assert UsageRecord.objects.filter(merchant=merchant).exists()
        assert [v.name for v in selectors.ab_results(campaign)] == ["A", "B"]
        holdout = selectors.holdout_results(campaign)
        assert holdout.held_out_orders > 20 and holdout.messaged_orders > 300
    counts = (BreakerTrip.objects.count(), Notice.objects.count(), DeliveryEvent.objects.count())
    call_command("demo", stdout=io.StringIO())
    assert (BreakerTrip.objects.count(), Notice.objects.count(), DeliveryEvent.objects.count()) == counts
