"""Planning rules: exclusions with their codes, windows in the buyer's time zone, Amazon's window, A/B."""

import datetime as dt
import zoneinfo
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone

from channels.models import OutboxMessage
from orders.models import Platform
from reviews import dispatch, planning, rules
from reviews.codes import Code
from reviews.models import Message, MessageStatus
from reviews.windows import Window, next_opening
from tests.factories.channels import ChannelAccountFactory
from tests.factories.orders import OrderItemFactory, StoreFactory
from tests.factories.reviews import PlanStepFactory, VariantFactory, approved_template

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def _planned(order) -> Message:
    return Message.objects.get(order=order, step=1)


@pytest.mark.parametrize(
    ("campaign_fields", "order_fields", "code"),
    [
        ({}, {"cancelled": True}, Code.CANCELLED),
        ({}, {"refunded": True}, Code.REFUNDED),
        ({}, {"returned": True}, Code.RETURNED),
        ({}, {"claim_open": True}, Code.CLAIM_OPEN),
        ({}, {"buyer_reviewed": True}, Code.ALREADY_REVIEWED),
        ({"exclude_fulfillment": ["fba"]}, {"fulfillment_channel": "fba"}, Code.FULFILMENT_EXCLUDED),
        ({"countries_exclude": ["DE"]}, {"ship_country": "DE"}, Code.COUNTRY_EXCLUDED),
        ({"countries_include": ["US"]}, {"ship_country": "GB"}, Code.COUNTRY_EXCLUDED),
        ({"min_total": Decimal("50")}, {"total": "42.00"}, Code.TOTAL_BELOW_MINIMUM),
        ({"sku_exclude": ["sock-1"]}, {}, Code.SKU_EXCLUDED),
        ({"sku_include": ["OTHER"]}, {}, Code.SKU_NOT_INCLUDED),
        ({"product_exclude": ["B000TEST"]}, {}, Code.PRODUCT_EXCLUDED),
        ({"product_include": ["B999"]}, {}, Code.PRODUCT_NOT_INCLUDED),
        ({"category_exclude": ["Apparel"]}, {}, Code.CATEGORY_EXCLUDED),
        ({"category_include": ["Camping"]}, {}, Code.CATEGORY_NOT_INCLUDED),
    ],
)
def test_each_exclusion_is_recorded_with_its_code(shop, campaign_fields, order_fields, code):
    for key, value in campaign_fields.items():
        setattr(shop.campaign, key, value)
    shop.campaign.save()
    order = shop.order(days_ago=6, **order_fields)
    OrderItemFactory(order=order, merchant=shop.merchant, sku="SOCK-1", product_id="B000TEST", category="Apparel")
    flagged = any(order_fields.get(f) for f in ("cancelled", "refunded", "returned", "claim_open", "buyer_reviewed"))
    planning.plan_due_messages()
    if flagged:
        # excluded by the index itself: never planned; the order page and the dry run still say why
        assert not Message.objects.filter(order=order).exists()
        from reviews.selectors import why_not

        assert why_not(shop.campaign, order)[0] == code
    else:
        message = _planned(order)
        assert (message.status, message.reason_code) == (MessageStatus.SKIPPED, code)


def test_an_order_flagged_after_planning_is_skipped_at_dispatch_with_its_code(shop):
    order = shop.order(days_ago=6)
    planning.plan_due_messages()
    type(order).objects.filter(pk=order.pk).update(refunded=True)
    dispatch.dispatch_due(max_seconds=5)
    assert _planned(order).reason_code == Code.REFUNDED
    assert not OutboxMessage.objects.exists()


def test_repeat_buyers_can_be_left_out(shop):
    shop.campaign.exclude_repeat_buyers = True
    shop.campaign.save()
    first = shop.order(days_ago=8)
    second = shop.order(days_ago=6, buyer=first.buyer)
    second.placed_at = first.placed_at + dt.timedelta(days=2)
    second.save()
    planning.plan_due_messages()
    assert _planned(first).status == MessageStatus.PLANNED
    assert _planned(second).reason_code == Code.REPEAT_BUYER


def test_delivered_plus_n_lands_in_the_buyers_morning_window(shop):
    shop.campaign.window_start, shop.campaign.window_end = dt.time(9), dt.time(20)
    shop.campaign.save()
    la = zoneinfo.ZoneInfo("America/Los_Angeles")
    now = dt.datetime(2026, 3, 10, 3, 0, tzinfo=la)  # 03:00 in Los Angeles
    order = shop.order(buyer_fields={"time_zone": "America/Los_Angeles"}, delivered_at=now - dt.timedelta(days=5))
    planning.plan_due_messages(now=now)
    message = _planned(order)
    assert message.send_at.astimezone(la) == dt.datetime(2026, 3, 10, 9, 0, tzinfo=la)
    assert message.reason_code == Code.OUTSIDE_WINDOW
    assert dispatch.dispatch_batch(now=now + dt.timedelta(hours=1)).claimed == 0
    assert dispatch.dispatch_batch(now=message.send_at).sent == 1


def _sms_to_france(shop, now):
    sms = ChannelAccountFactory(merchant=shop.merchant, kind="outbox", name="SMS outbox")
    text = "{{ store.name }}: Bonjour {{ buyer.first_name }}, votre avis honnête nous aide: {{ review_link }}"
    approved_template(shop.merchant, channel="sms", locale="fr", body_text=text + " STOP au 36111")
    shop.campaign.plan_steps.all().delete()
    PlanStepFactory(campaign=shop.campaign, country="FR", channel="sms", account=sms, position=0)
    PlanStepFactory(campaign=shop.campaign, country="*", channel="email", account=shop.outbox, position=0)
    shop.campaign.window_start, shop.campaign.window_end = dt.time(9), dt.time(20)
    shop.campaign.save()
    return shop.order(
        ship_country="FR",
        buyer_fields={"time_zone": "Europe/Paris", "phone": "+33612345678", "language": "fr", "country": "FR"},
        delivered_at=now - dt.timedelta(days=6),
    )


def test_an_sms_to_france_on_a_sunday_waits_for_monday(shop):
    sunday = dt.datetime(2026, 3, 15, 11, 0, tzinfo=PARIS)
    assert sunday.weekday() == 6
    order = _sms_to_france(shop, sunday)
    planning.plan_due_messages(now=sunday)
    message = _planned(order)
    assert message.send_at.astimezone(PARIS) == dt.datetime(2026, 3, 16, 9, 0, tzinfo=PARIS)
    assert message.status == MessageStatus.PLANNED  # deferred, never dropped


def test_an_sms_to_france_on_bastille_day_waits_for_the_next_day(shop):
    holiday = dt.datetime(2026, 7, 14, 10, 0, tzinfo=PARIS)  # a Tuesday, a public holiday
    order = _sms_to_france(shop, holiday)
    planning.plan_due_messages(now=holiday)
    assert _planned(order).send_at.astimezone(PARIS) == dt.datetime(2026, 7, 15, 9, 0, tzinfo=PARIS)


def test_dispatch_defers_a_french_sms_that_became_due_on_a_sunday(shop):
    saturday_night = dt.datetime(2026, 3, 14, 19, 59, tzinfo=PARIS)
    order = _sms_to_france(shop, saturday_night)
    planning.plan_due_messages(now=saturday_night)
    sunday = dt.datetime(2026, 3, 15, 10, 0, tzinfo=PARIS)
    dispatch.dispatch_batch(now=sunday)
    message = _planned(order)
    assert (message.status, message.reason_code) == (MessageStatus.PLANNED, Code.OUTSIDE_WINDOW)
    assert message.send_at.astimezone(PARIS) == dt.datetime(2026, 3, 16, 9, 0, tzinfo=PARIS)
    assert not OutboxMessage.objects.exists()


def test_email_to_france_may_go_on_sunday_and_us_texts_keep_to_tcpa_hours():
    window = Window(start=dt.time(7), end=dt.time(22), days=frozenset(range(7)))
    sunday = dt.datetime(2026, 3, 15, 11, 0, tzinfo=PARIS)
    assert next_opening(sunday, window=window, tz=PARIS, country="FR", channel="email") == sunday
    ny = zoneinfo.ZoneInfo("America/New_York")
    early = dt.datetime(2026, 3, 10, 7, 30, tzinfo=ny)
    assert next_opening(early, window=window, tz=ny, country="US", channel="sms") == dt.datetime(
        2026, 3, 10, 8, 0, tzinfo=ny
    )
    late = dt.datetime(2026, 3, 10, 21, 30, tzinfo=ny)
    assert next_opening(late, window=window, tz=ny, country="US", channel="sms") == dt.datetime(
        2026, 3, 11, 8, 0, tzinfo=ny
    )
    assert next_opening(late, window=window, tz=ny, country="US", channel="email") == late


def _amazon(shop, earliest: dt.date, latest: dt.date):
    store = shop.extra.get("amazon_store")
    if store is None:
        store = shop.extra["amazon_store"] = StoreFactory(merchant=shop.merchant, platform=Platform.AMAZON)
        amazon = ChannelAccountFactory(merchant=shop.merchant, kind="outbox", name="Amazon outbox")
        PlanStepFactory(campaign=shop.campaign, country="*", channel="amazon", account=amazon, position=1)
    delivered = dt.datetime.combine(earliest, dt.time(12), tzinfo=dt.UTC)
    return shop.order(
        store=store,
        delivered_at=delivered,
        earliest_delivery_date=earliest,
        latest_delivery_date=latest,
        buyer_fields={"email": "x1y2@marketplace.amazon.com", "email_is_relay": True},
    )


@pytest.mark.parametrize(
    ("day", "outcome"),
    [(4, "waits"), (5, "sent"), (30, "sent"), (31, "never")],
)
def test_amazon_solicitation_window_edges(shop, day, outcome):
    shop.campaign.delay_days = 0
    shop.campaign.save()
    earliest = dt.date(2026, 3, 1)
    order = _amazon(shop, earliest, earliest)
    now = dt.datetime.combine(earliest + dt.timedelta(days=day), dt.time(18), tzinfo=dt.UTC)
    planning.plan_due_messages(now=now)
    dispatch.dispatch_batch(now=now)
    message = _planned(order)
    if outcome == "waits":
        assert (message.status, message.reason_code) == (MessageStatus.PLANNED, Code.AMAZON_WINDOW_NOT_OPEN)
        assert message.send_at == dt.datetime(2026, 3, 6, tzinfo=dt.UTC)
    elif outcome == "sent":
        assert (message.status, message.channel) == (MessageStatus.SENT, "amazon")
        sent = OutboxMessage.objects.get()
        assert (sent.channel, sent.to) == ("amazon", "")
    else:
        assert (message.status, message.reason_code) == (MessageStatus.SKIPPED, Code.AMAZON_WINDOW_CLOSED)
        assert not OutboxMessage.objects.exists()


def test_amazon_buyers_are_never_emailed_and_solicited_once(shop):
    earliest = (timezone.now() - dt.timedelta(days=8)).date()
    order = _amazon(shop, earliest, earliest)
    planning.plan_due_messages()
    dispatch.dispatch_due(max_seconds=5)
    dispatch.dispatch_due(max_seconds=5)
    assert list(OutboxMessage.objects.values_list("channel", flat=True)) == ["amazon"]
    assert Message.objects.filter(order=order).count() == 1

    shop.campaign.plan_steps.filter(channel="amazon").delete()  # a plan with email only
    other = _amazon(shop, earliest, earliest)
    planning.plan_campaign(campaign=shop.campaign)
    assert _planned(other).reason_code == Code.AMAZON_ONLY
    assert rules.contact_for("email", other.buyer, other.store) == ("", Code.AMAZON_ONLY)


def test_hold_out_and_variants_are_stable_and_follow_the_weights(shop):
    shop.campaign.holdout_percent = 10
    shop.campaign.save()
    a = VariantFactory(campaign=shop.campaign, name="A", weight=3)
    b = VariantFactory(campaign=shop.campaign, name="B", weight=1)
    variants = [a, b]
    first = [rules.assign(shop.campaign, order_id, variants) for order_id in range(1, 4001)]
    again = [rules.assign(shop.campaign, order_id, list(reversed(variants))) for order_id in range(1, 4001)]
    assert first == again
    counts = Counter("held" if x.held_out else x.variant for x in first)
    assert 300 < counts["held"] < 500  # 10 %
    assert 2.4 < counts["A"] / counts["B"] < 3.6  # 3:1

    orders = [shop.order(days_ago=6) for _ in range(40)]
    planning.plan_due_messages()
    statuses = {o.pk: (_planned(o).status, _planned(o).variant) for o in orders}
    for order in orders:
        expected = rules.assign(shop.campaign, order.pk, variants)
        assert statuses[order.pk] == (
            (MessageStatus.HELD_OUT, "") if expected.held_out else (MessageStatus.PLANNED, expected.variant)
        )


def test_stores_without_a_delivery_signal_are_planned_from_shipping_and_marked_estimated(shop):
    shop.campaign.fallback_stores.add(shop.store)
    shop.campaign.shipped_fallback_days = 10
    shop.campaign.save()
    order = shop.order(delivered_at=None, shipped_at=timezone.now() - dt.timedelta(days=11))
    recent = shop.order(delivered_at=None, shipped_at=timezone.now() - dt.timedelta(days=3))
    planning.plan_due_messages()
    message = _planned(order)
    assert message.estimated is True
    assert not Message.objects.filter(order=recent).exists()


def test_an_order_imported_late_with_an_old_delivery_date_is_still_planned(shop):
    planning.plan_due_messages()  # sets the cursor
    shop.campaign.refresh_from_db()
    assert shop.campaign.planned_until is not None
    late = shop.order(days_ago=9)  # inserted now, delivered nine days ago
    assert planning.plan_due_messages().planned == 1
    assert _planned(late).status == MessageStatus.PLANNED
