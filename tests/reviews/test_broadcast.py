"""Repeat-purchase broadcasts: segment selection, consent, each buyer's local time, caps and billing,
planned once; the preview page and the API."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from billing.models import UsageRecord
from channels.models import OutboxMessage
from orders.models import Consent
from reviews import broadcasts, dispatch, planning
from reviews.codes import Code
from reviews.models import Campaign, Message, MessageStatus, Segment
from templates_review.starters import STARTERS_BY_KEY
from tests.factories.accounts import UserFactory
from tests.factories.orders import BuyerFactory, OrderFactory, OrderItemFactory, StoreFactory
from tests.factories.templates_review import MessageTemplateFactory, approved_version

pytestmark = pytest.mark.django_db

TOMORROW = (timezone.now() + dt.timedelta(days=1)).date()
ALL_DAY = {"window_start": dt.time(0, 0), "window_end": dt.time(23, 59), "min_gap_hours": 0}


@pytest.fixture
def market(shop):
    starter = STARTERS_BY_KEY["broadcast-email-en"]
    template = MessageTemplateFactory(merchant=shop.merchant, purpose="broadcast", channel="email", locale="en")
    approved_version(
        reviewer=UserFactory(is_staff=True), template=template, subject=starter["subject"],
        body_text=starter["body_text"],
    )  # fmt: skip
    shop.merchant.default_time_zone = "UTC"
    shop.merchant.save()
    return shop


def buyer(shop, *, orders=2, country="US", last_days_ago=30, sku="SOCK-1", consent=True, store=None, **fields):
    store = store or shop.store
    person = BuyerFactory(store=store, merchant=shop.merchant, **{"time_zone": "UTC", **fields})
    for n in range(orders):
        placed = timezone.now() - dt.timedelta(days=last_days_ago + 20 * (orders - 1 - n))
        order = OrderFactory(
            store=store, merchant=shop.merchant, buyer=person, placed_at=placed, ship_country=country,
            delivered_at=placed + dt.timedelta(days=5),
        )  # fmt: skip
        OrderItemFactory(order=order, sku=sku)
    if consent:
        Consent.objects.create(
            merchant=shop.merchant, buyer=person, channel="email", status="granted", lawful_basis="consent",
            recorded_at=timezone.now() - dt.timedelta(days=90),
        )  # fmt: skip
    return person


def criteria(shop, **kw):
    return broadcasts.segment_criteria(merchant=shop.merchant, **kw)


def steps(shop):
    return [{"country": "*", "position": 0, "channel": "email", "account": shop.outbox, "template_name": ""}]


def members(shop, **kw) -> set[int]:
    return set(broadcasts.segment_buyers(shop.merchant, criteria(shop, **kw)).values_list("pk", flat=True))


def test_the_segment_selects_buyers_by_each_criterion(market):
    shop = market
    regular = buyer(shop, orders=3, country="US", last_days_ago=10, sku="SOCK-1")
    german = buyer(shop, orders=2, country="DE", last_days_ago=10, sku="SOCK-1")
    once = buyer(shop, orders=1, country="US", last_days_ago=10, sku="SOCK-1")
    lapsed = buyer(shop, orders=2, country="US", last_days_ago=200, sku="SOCK-1")
    hats = buyer(shop, orders=2, country="US", last_days_ago=10, sku="HAT-9")
    today = timezone.now().date()

    assert members(shop, countries=["de"]) == {german.pk}
    assert members(shop, min_orders=2) == {regular.pk, german.pk, lapsed.pk, hats.pk}
    assert members(shop, min_orders=3) == {regular.pk}
    assert members(shop, skus=["hat-9"]) == {hats.pk}
    assert members(shop, last_order_from=today - dt.timedelta(days=100)) == {regular.pk, german.pk, once.pk, hats.pk}
    assert members(shop, last_order_to=today - dt.timedelta(days=100)) == {lapsed.pk}
    assert members(
        shop, countries=["US"], min_orders=2, skus=["SOCK-1"], last_order_from=today - dt.timedelta(days=30)
    ) == {regular.pk}


def test_bad_segment_criteria_are_refused_by_field(market):
    with pytest.raises(ValidationError) as error:
        criteria(
            market, countries=["USA"], min_orders=0, last_order_from=TOMORROW,
            last_order_to=TOMORROW - dt.timedelta(days=3),
        )  # fmt: skip
    assert set(error.value.message_dict) == {"countries", "min_orders", "last_order_to"}


def test_a_broadcast_needs_marketing_consent(market):
    shop = market
    granted = buyer(shop, consent=True)
    without = buyer(shop, consent=False)
    campaign = broadcasts.schedule_broadcast(
        merchant=shop.merchant, user=None, name="Back in stock", criteria=criteria(shop, min_orders=2),
        steps=steps(shop), send_on=timezone.now().date(), send_time=dt.time(0, 0), data=ALL_DAY,
    )  # fmt: skip
    dispatch.dispatch_due(max_seconds=5)
    assert Message.objects.get(campaign=campaign, buyer=granted).status == MessageStatus.SENT
    skipped = Message.objects.get(campaign=campaign, buyer=without)
    assert (skipped.status, skipped.reason_code) == (MessageStatus.SKIPPED, Code.NO_CONSENT)
    assert list(OutboxMessage.objects.values_list("to", flat=True)) == [granted.email]


def test_each_buyer_gets_the_broadcast_at_the_chosen_time_in_their_own_zone(market):
    shop = market
    tokyo = buyer(shop, time_zone="Asia/Tokyo")
    new_york = buyer(shop, time_zone="America/New_York")
    unknown = buyer(shop, time_zone="")
    shop.merchant.default_time_zone = "Europe/Berlin"
    shop.merchant.save()
    day = TOMORROW + dt.timedelta(days=1)
    campaign = broadcasts.schedule_broadcast(
        merchant=shop.merchant, user=None, name="Autumn", criteria=criteria(shop, min_orders=2), steps=steps(shop),
        send_on=day, send_time=dt.time(10, 0),
    )  # fmt: skip
    due = dict(Message.objects.filter(campaign=campaign).values_list("buyer_id", "send_at"))
    for person, zone in ((tokyo, "Asia/Tokyo"), (new_york, "America/New_York"), (unknown, "Europe/Berlin")):
        assert due[person.pk] == dt.datetime.combine(day, dt.time(10, 0), tzinfo=zoneinfo.ZoneInfo(zone))
    assert dispatch.dispatch_due(max_seconds=5).claimed == 0  # nothing is due before then


def test_a_chosen_time_in_quiet_hours_waits_for_the_window(market):
    shop = market
    person = buyer(shop, time_zone="Europe/Paris")
    day = TOMORROW + dt.timedelta(days=1)
    campaign = broadcasts.schedule_broadcast(
        merchant=shop.merchant, user=None, name="Late", criteria=criteria(shop), steps=steps(shop), send_on=day,
        send_time=dt.time(22, 30), data={"window_start": dt.time(9, 0), "window_end": dt.time(20, 0)},
    )  # fmt: skip
    message = Message.objects.get(campaign=campaign, buyer=person)
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    assert message.send_at == dt.datetime.combine(day + dt.timedelta(days=1), dt.time(9, 0), tzinfo=paris)
    assert message.reason_code == Code.OUTSIDE_WINDOW


def test_a_broadcast_is_planned_once_and_once_per_person(market):
    shop = market
    second_store = StoreFactory(merchant=shop.merchant, name="Second store")
    first = buyer(shop)
    buyer(shop, store=second_store, email=first.email, email_hash="f" * 64)
    first.email_hash = "f" * 64
    first.save()
    campaign = broadcasts.schedule_broadcast(
        merchant=shop.merchant, user=None, name="Once", criteria=criteria(shop), steps=steps(shop),
        send_on=TOMORROW, send_time=dt.time(12, 0),
    )  # fmt: skip
    assert Message.objects.filter(campaign=campaign).count() == 1
    buyer(shop)  # a new buyer after planning is not added by a later run: the broadcast is one-off
    planning.plan_due_messages()
    again = planning.plan_campaign(campaign=Campaign.objects.get(pk=campaign.pk))
    assert again.planned == 0
    assert Message.objects.filter(campaign=campaign).count() == 1


def test_caps_and_billing_apply_to_a_broadcast(market):
    shop = market
    capped, fresh = buyer(shop), buyer(shop)
    recent_order = capped.orders.first()
    Message.objects.create(
        merchant=shop.merchant, campaign=shop.campaign, order=recent_order, buyer=capped, identity=f"b:{capped.pk}",
        status=MessageStatus.SENT, counted_at=timezone.now() - dt.timedelta(days=2), send_at=timezone.now(),
    )  # fmt: skip
    campaign = broadcasts.schedule_broadcast(
        merchant=shop.merchant, user=None, name="Capped", criteria=criteria(shop), steps=steps(shop),
        send_on=timezone.now().date(), send_time=dt.time(0, 0), data={**ALL_DAY, "cap_messages": 1, "cap_days": 30},
    )  # fmt: skip
    dispatch.dispatch_due(max_seconds=5)
    assert Message.objects.get(campaign=campaign, buyer=capped).reason_code == Code.FREQUENCY_CAP
    sent = Message.objects.get(campaign=campaign, buyer=fresh)
    assert sent.status == MessageStatus.SENT
    usage = UsageRecord.objects.get(message_ref=sent.ref)
    assert (usage.channel, usage.message_class) == ("email", "marketing")
    assert sent.cost == usage.amount


def test_the_preview_counts_reasons_and_writes_nothing(market):
    shop = market
    buyer(shop)
    buyer(shop)
    buyer(shop, consent=False)
    buyer(shop, orders=1)
    preview = broadcasts.preview_broadcast(
        merchant=shop.merchant, criteria=criteria(shop, min_orders=2), steps=steps(shop), send_on=TOMORROW,
        send_time=dt.time(10, 0),
    )  # fmt: skip
    assert (preview.total, preview.eligible) == (3, 2)
    assert preview.codes == {Code.NO_CONSENT: 1}
    assert len(preview.sample) == 2
    assert not Segment.objects.exists()
    assert not Message.objects.filter(campaign__purpose="broadcast").exists()


def test_amazon_buyers_are_never_in_a_segment(market):
    shop = market
    amazon = StoreFactory(merchant=shop.merchant, name="Amazon US", platform="amazon")
    own = buyer(shop)
    buyer(shop, store=amazon)
    assert members(shop) == {own.pk}
    assert members(shop, stores=[amazon]) == set()


def test_a_past_date_or_an_amazon_step_is_refused(market):
    shop = market
    with pytest.raises(ValidationError):
        broadcasts.schedule_broadcast(
            merchant=shop.merchant, user=None, name="Past", criteria=criteria(shop), steps=steps(shop),
            send_on=timezone.now().date() - dt.timedelta(days=3), send_time=dt.time(9, 0),
        )  # fmt: skip
    with pytest.raises(ValidationError):
        broadcasts.schedule_broadcast(
            merchant=shop.merchant, user=None, name="Amazon", criteria=criteria(shop),
            steps=[{**steps(shop)[0], "channel": "amazon"}], send_on=TOMORROW, send_time=dt.time(9, 0),
        )  # fmt: skip
    assert not Campaign.objects.filter(purpose="broadcast").exists()


def test_the_broadcast_page_previews_then_schedules(market, client_a):
    shop = market
    buyer(shop)
    form = {
        "name": "Restock", "countries": "US", "min_orders": "2", "channel": "email", "account": shop.outbox.pk,
        "send_on": TOMORROW.isoformat(), "send_time": "10:00", "cap_messages": "2", "cap_days": "30",
    }  # fmt: skip
    url = reverse("reviews:broadcast_create")
    preview = client_a.post(url, {**form, "action": "preview"})
    assert preview.status_code == 200
    assert preview.context["preview"].eligible == 1
    assert not Campaign.objects.filter(purpose="broadcast").exists()

    scheduled = client_a.post(url, {**form, "action": "schedule"})
    campaign = Campaign.objects.get(purpose="broadcast")
    assert scheduled.status_code == 302
    assert scheduled["Location"] == reverse("reviews:detail", kwargs={"pk": campaign.pk})
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.PLANNED).count() == 1
    assert "Restock" in client_a.get(reverse("reviews:broadcasts")).content.decode()


def test_the_broadcast_page_shows_form_errors(market, client_a):
    response = client_a.post(
        reverse("reviews:broadcast_create"),
        {"name": "x", "countries": "USA", "min_orders": "2", "channel": "email", "account": market.outbox.pk,
         "cap_messages": "2", "cap_days": "30", "action": "preview"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "countries" in response.context["form"].errors


def test_the_api_previews_and_schedules_a_broadcast(market, api_a):
    shop = market
    buyer(shop)
    buyer(shop, consent=False)
    body = {
        "name": "API restock", "min_orders": 2, "channel": "email", "account": shop.outbox.pk,
        "send_on": TOMORROW.isoformat(), "send_time": "09:30",
    }  # fmt: skip
    url = reverse("reviews-api:broadcast-list")
    dry = api_a.post(url, {**body, "dry_run": True}, format="json")
    assert dry.status_code == 200, dry.content
    assert (dry.data["total"], dry.data["eligible"], dry.data["reasons"]) == (2, 1, {"no_consent": 1})
    assert "name" not in dry.data["sample"][0]

    made = api_a.post(url, body, format="json")
    assert made.status_code == 201, made.content
    assert made.data["segment"]["min_orders"] == 2
    assert Message.objects.filter(campaign_id=made.data["id"]).count() == 2

    unknown = api_a.post(url, {**body, "account": 999999}, format="json")
    assert unknown.status_code == 400
    assert "account" in unknown.data["errors"]
