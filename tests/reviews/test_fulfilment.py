"""Fulfilment notices: shipped, out for delivery, delivery problem, returned to sender.

One message per order and event type (whatever the replays, sources or campaigns), transactional (no
marketing consent, still suppressible, billed as transactional), at once inside the sending window.
"""

import datetime as dt
import zoneinfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import UsageRecord
from channels.models import OutboxMessage
from linkstar.identity import email_hash
from orders import services as order_services
from orders.models import OrderEvent, Source
from reviews import dispatch, notices, planning, services
from reviews.codes import Code
from reviews.models import EVENT_OF_PURPOSE, Campaign, Message, MessageStatus
from templates_review.starters import STARTERS_BY_KEY
from tests.factories.channels import SuppressionEntryFactory
from tests.factories.reviews import CampaignFactory, PlanStepFactory
from tests.factories.templates_review import MessageTemplateFactory, approved_version

pytestmark = pytest.mark.django_db

TRACKING_URL = "https://tracking.example.test/p/1Z999"


def notice_template(merchant, purpose: str, locale: str = "en"):
    from tests.factories.accounts import UserFactory

    starter = STARTERS_BY_KEY[f"{purpose.replace('_', '-')}-email-{locale}"]
    template = MessageTemplateFactory(
        merchant=merchant, purpose=purpose, channel="email", locale=locale, name=starter["name"]
    )
    return approved_version(
        reviewer=UserFactory(is_staff=True),
        template=template,
        subject=starter["subject"],
        body_text=starter["body_text"],
    )


def notice_campaign(shop, purpose="order_shipped", **fields):
    notice_template(shop.merchant, purpose)
    campaign = CampaignFactory(
        merchant=shop.merchant, purpose=purpose, message_class="transactional", delay_days=0, **fields
    )
    PlanStepFactory(campaign=campaign, channel="email", account=shop.outbox, position=0)
    return campaign


def shipped_order(shop, **fields):
    fields.setdefault("delivered_at", None)
    fields.setdefault("carrier", "UPS")
    fields.setdefault("tracking_number", "1Z999AA10123456784")
    return shop.order(**fields)


def record(order, kind="shipped", *, key=None, at=None, data=None, source=Source.SHOPIFY):
    return order_services.record_order_event(
        order=order,
        type=kind,
        occurred_at=at or timezone.now() - dt.timedelta(minutes=5),
        source=source,
        dedupe_key=key or f"{source}:{kind}:1",
        data=data or {},
    )


@pytest.mark.parametrize("purpose", sorted(EVENT_OF_PURPOSE))
def test_each_trigger_plans_exactly_one_message_per_order_and_event_and_a_replay_plans_none(shop, purpose):
    kind = EVENT_OF_PURPOSE[purpose]
    campaign = notice_campaign(shop, purpose)
    order = shipped_order(shop)
    record(order, kind)
    first = planning.plan_due_messages()
    # the same webhook again, then the same news from a second source
    assert record(order, kind).created is False
    record(order, kind, key=f"aftership:{kind}:2", source=Source.AFTERSHIP)
    second = planning.plan_due_messages()

    assert first.planned == 1
    assert second.planned == 0
    message = Message.objects.get(campaign=campaign)
    assert message.order == order
    assert message.dedupe_key == f"notice:{order.pk}:{kind}"
    assert message.transactional is True


def test_two_campaigns_for_the_same_event_send_one_notice_per_order(shop):
    notice_campaign(shop, "delivery_exception")
    other = CampaignFactory(merchant=shop.merchant, purpose="delivery_exception", message_class="transactional")
    PlanStepFactory(campaign=other, channel="email", account=shop.outbox, position=0)
    order = shipped_order(shop)
    record(order, "delivery_exception")
    planning.plan_due_messages()
    assert Message.objects.filter(order=order).count() == 1


def test_the_database_refuses_a_second_notice_for_the_same_order_and_event(shop):
    campaign = notice_campaign(shop)
    order = shipped_order(shop)
    record(order)
    planning.plan_due_messages()
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            merchant=shop.merchant,
            campaign=shop.campaign,
            order=order,
            send_at=timezone.now(),
            dedupe_key=notices.dedupe_key(order.pk, "shipped"),
        )
    assert Message.objects.filter(order=order).count() == 1
    assert Message.objects.get(order=order).campaign == campaign


def test_a_new_event_is_planned_on_commit_without_waiting_for_the_beat(shop, monkeypatch):
    campaign = notice_campaign(shop, "out_for_delivery")
    order = shipped_order(shop)
    queued = []
    from reviews import tasks

    monkeypatch.setattr(tasks.plan_order_events_task, "delay", lambda ids: queued.append(ids))
    monkeypatch.setattr(tasks.kick_dispatch_task, "delay", lambda: None)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        record(order, "out_for_delivery")
    assert len(queued) == 1
    assert tasks.plan_order_events_task(queued[0]) == 1
    assert Message.objects.get(campaign=campaign).status == MessageStatus.PLANNED
    # the beat finds nothing more to do
    assert planning.plan_due_messages().planned == 0


def test_a_notice_needs_no_marketing_consent_but_a_suppressed_address_is_skipped(shop):
    notice_campaign(shop)
    plain, suppressed = shipped_order(shop), shipped_order(shop)
    SuppressionEntryFactory(
        merchant=shop.merchant, channel="email", address=suppressed.buyer.email,
        address_hash=email_hash(shop.merchant.pk, suppressed.buyer.email),
    )  # fmt: skip
    record(plain)
    record(suppressed)
    planning.plan_due_messages()
    dispatch.dispatch_due(max_seconds=5)

    sent = Message.objects.get(order=plain)
    assert sent.status == MessageStatus.SENT
    skipped = Message.objects.get(order=suppressed)
    assert skipped.status == MessageStatus.SKIPPED
    assert skipped.reason_code == Code.SUPPRESSED
    usage = UsageRecord.objects.get(message_ref=sent.ref)
    assert usage.message_class == "transactional"
    assert OutboxMessage.objects.count() == 1


def test_the_shipped_notice_carries_the_carrier_tracking_link(shop):
    notice_campaign(shop)
    order = shipped_order(shop)
    record(order, data={"tracking_url": TRACKING_URL, "carrier": "UPS"})
    planning.plan_due_messages()
    dispatch.dispatch_due(max_seconds=5)
    body = OutboxMessage.objects.get().text_body
    assert TRACKING_URL in body
    assert "1Z999AA10123456784" in body
    assert "UPS" in body


def test_without_a_platform_link_the_carriers_public_tracking_page_is_used():
    link = notices.tracking_link(carrier="USPS", number="9400 1000")
    assert link == "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400%201000"
    assert notices.tracking_link(carrier="Yun Express", number="YT123").startswith("https://t.17track.net/")
    assert notices.tracking_link(carrier="UPS", number="1Z", url="http://insecure.test/x").startswith(
        "https://www.ups.com/"
    )


def test_a_notice_goes_at_once_inside_the_window_and_waits_outside_it(shop):
    notice_campaign(shop, window_start=dt.time(9, 0), window_end=dt.time(20, 0))
    tz = zoneinfo.ZoneInfo("America/New_York")
    inside = dt.datetime(2026, 11, 25, 10, 30, tzinfo=tz)  # a Wednesday
    night = dt.datetime(2026, 11, 25, 23, 0, tzinfo=tz)
    day_order = shipped_order(shop, buyer_fields={"time_zone": "America/New_York"})
    night_order = shipped_order(shop, buyer_fields={"time_zone": "America/New_York"})
    record(day_order, at=inside - dt.timedelta(minutes=2))
    planning.plan_due_messages(now=inside)
    record(night_order, at=night - dt.timedelta(minutes=2))
    Campaign.objects.update(planned_at=None, status_changed_at=night - dt.timedelta(hours=1))
    planning.plan_due_messages(now=night)

    at_once = Message.objects.get(order=day_order)
    assert at_once.send_at == inside
    assert at_once.reason_code == ""
    deferred = Message.objects.get(order=night_order)
    assert deferred.send_at == dt.datetime(2026, 11, 26, 9, 0, tzinfo=tz)
    assert deferred.reason_code == Code.OUTSIDE_WINDOW
    dispatch.dispatch_batch(now=night + dt.timedelta(minutes=1))
    deferred.refresh_from_db()
    assert deferred.status == MessageStatus.PLANNED  # not due before the window opens


def test_an_old_event_or_an_order_already_delivered_gets_no_notice(shop):
    notice_campaign(shop, "delivery_exception")
    late = shipped_order(shop)
    record(late, "delivery_exception", at=timezone.now() - dt.timedelta(days=5))
    delivered = shipped_order(shop, delivered_at=timezone.now() - dt.timedelta(hours=1))
    record(delivered, "delivery_exception")
    planning.plan_due_messages()
    assert not Message.objects.filter(order=late).exists()  # an old import writes no rows
    assert Message.objects.get(order=delivered).reason_code == Code.NOTICE_SUPERSEDED
    assert not Message.objects.filter(status=MessageStatus.PLANNED).exists()


def test_notices_are_capped_among_transactional_messages_only(shop):
    campaign = notice_campaign(shop, cap_messages=1, cap_days=30)
    order = shipped_order(shop)
    # the buyer just got a review request (marketing cap), and earlier a notice for another order
    for kind, transactional in (("review", False), ("notice", True)):
        Message.objects.create(
            merchant=shop.merchant, campaign=shop.campaign if kind == "review" else campaign,
            order=shop.order(buyer=order.buyer), buyer=order.buyer, identity=f"b:{order.buyer_id}",
            status=MessageStatus.SENT, counted_at=timezone.now() - dt.timedelta(days=1), send_at=timezone.now(),
            transactional=transactional,
        )  # fmt: skip
    record(order)
    planning.plan_due_messages()
    dispatch.dispatch_due(max_seconds=5)
    assert Message.objects.get(order=order).reason_code == Code.FREQUENCY_CAP

    Message.objects.filter(transactional=True, campaign=campaign).exclude(order=order).delete()
    second = shipped_order(shop, buyer=order.buyer)
    record(second)
    planning.plan_due_messages()
    dispatch.dispatch_due(max_seconds=5)
    assert Message.objects.get(order=second).status == MessageStatus.SENT  # the review request does not count


def test_a_notice_campaign_is_transactional_immediate_and_never_amazon(shop):
    campaign = services.create_campaign(
        merchant=shop.merchant,
        user=None,
        data={"name": "Shipped", "purpose": "order_shipped", "message_class": "marketing", "delay_days": 5,
              "reminder_days": 3},
        steps=[{"country": "*", "position": 0, "channel": "email", "account": shop.outbox}],
    )  # fmt: skip
    assert (campaign.message_class, campaign.delay_days, campaign.reminder_days) == ("transactional", 0, None)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.create_campaign(
            merchant=shop.merchant,
            user=None,
            data={"name": "Shipped via Amazon", "purpose": "order_shipped"},
            steps=[{"country": "*", "position": 0, "channel": "amazon", "account": shop.outbox}],
        )


def test_a_returned_to_sender_event_moves_the_order_but_does_not_mark_a_buyer_return(shop):
    order = shipped_order(shop)
    record(order, "returned_to_sender")
    order.refresh_from_db()
    assert order.status == "returned_to_sender"
    assert order.returned is False
    assert OrderEvent.objects.filter(order=order, type="returned_to_sender").count() == 1


def test_the_order_page_says_why_a_notice_campaign_has_no_message_for_an_order(shop, client_a):
    notice = notice_campaign(shop)
    order = shipped_order(shop)
    from reviews import selectors

    assert selectors.why_not(notice, order)[0] == Code.NO_RECENT_EVENT
    record(order)
    planning.plan_due_messages()
    section = selectors.order_section(None, order)
    assert [m.campaign_id for m in section["messages"]] == [notice.pk]
