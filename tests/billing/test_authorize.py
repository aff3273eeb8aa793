import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import hooks, selectors, services
from billing.models import ChannelCap, DenyReason, LedgerEntry, Reservation, UsageRecord, Wallet
from tests.factories.billing import (
    PlanFactory,
    SubscriptionFactory,
    fund,
    new_ref,
    price_book_with,
    send,
)

pytestmark = pytest.mark.django_db


def authorize(merchant, **kwargs):
    params = {"channel": "sms", "country": "US", "message_class": "marketing", "quantity": 1}
    params.update(kwargs)
    return services.authorize_send(merchant=merchant, message_ref=params.pop("message_ref", new_ref()), **params)


def test_sms_segments_multiply_the_unit_price(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    auth = authorize(alice.merchant, quantity=3)
    assert auth.ok
    assert auth.unit_price == Decimal("0.01")
    assert auth.amount == Decimal("0.03")
    record = services.record_usage(message_ref=auth.message_ref, sent=True)
    assert (record.quantity, record.amount) == (3, Decimal("0.03"))


def test_country_price_wins_over_the_default(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    assert authorize(alice.merchant, country="GB").unit_price == Decimal("0.04")
    assert authorize(alice.merchant, country="DE").unit_price == Decimal("0.08")  # '*'


def test_authorising_reserves_and_recording_moves_the_balance(alice, price_book, caps_a):
    fund(alice.merchant, "1")
    auth = authorize(alice.merchant, quantity=2)
    wallet = Wallet.objects.get(merchant=alice.merchant)
    assert (wallet.balance, wallet.reserved, wallet.available) == (Decimal("1"), Decimal("0.02"), Decimal("0.98"))
    services.record_usage(message_ref=auth.message_ref, sent=True)
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.reserved) == (Decimal("0.98"), Decimal("0"))
    entry = LedgerEntry.objects.get(kind="usage")
    assert entry.amount == Decimal("-0.02") and entry.reference == auth.message_ref
    assert selectors.verify_books(alice.merchant) == []


def test_record_usage_twice_writes_one_record(alice, price_book, caps_a):
    fund(alice.merchant, "1")
    auth = authorize(alice.merchant)
    first = services.record_usage(message_ref=auth.message_ref, sent=True)
    second = services.record_usage(message_ref=auth.message_ref, sent=True)
    again_released = services.record_usage(message_ref=auth.message_ref, sent=False)
    assert first.pk == second.pk == again_released.pk
    assert UsageRecord.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="usage").count() == 1
    assert Wallet.objects.get(merchant=alice.merchant).balance == Decimal("0.99")
    assert selectors.verify_books(alice.merchant) == []


def test_not_sent_releases_the_reservation(alice, price_book, caps_a):
    fund(alice.merchant, "1")
    auth = authorize(alice.merchant, quantity=5)
    assert services.record_usage(message_ref=auth.message_ref, sent=False) is None
    assert services.record_usage(message_ref=auth.message_ref, sent=False) is None
    wallet = Wallet.objects.get(merchant=alice.merchant)
    assert (wallet.balance, wallet.reserved) == (Decimal("1"), Decimal("0"))
    assert not UsageRecord.objects.exists()
    assert Reservation.objects.get().status == Reservation.Status.RELEASED
    assert selectors.verify_books(alice.merchant) == []


def test_a_released_message_can_be_authorised_again_for_a_retry(alice, price_book, caps_a):
    fund(alice.merchant, "1")
    ref = new_ref()
    authorize(alice.merchant, message_ref=ref)
    services.record_usage(message_ref=ref, sent=False)
    retry = authorize(alice.merchant, message_ref=ref, quantity=2)
    assert retry.ok and retry.amount == Decimal("0.02")
    services.record_usage(message_ref=ref, sent=True)
    assert UsageRecord.objects.get(message_ref=ref).amount == Decimal("0.02")
    assert selectors.verify_books(alice.merchant) == []


def test_authorising_a_held_message_again_reserves_once(alice, price_book, caps_a):
    fund(alice.merchant, "1")
    ref = new_ref()
    first = authorize(alice.merchant, message_ref=ref)
    second = authorize(alice.merchant, message_ref=ref)
    assert first == second
    assert Wallet.objects.get(merchant=alice.merchant).reserved == Decimal("0.01")


def test_an_already_billed_message_is_refused(alice, price_book, caps_a):
    fund(alice.merchant, "1")
    auth, _ = send(alice.merchant, channel="sms")
    again = authorize(alice.merchant, message_ref=auth.message_ref)
    assert not again.ok and again.reason == DenyReason.ALREADY_BILLED


def test_another_merchants_reference_is_an_error(alice, bob, price_book, caps_a):
    fund(alice.merchant, "1")
    auth = authorize(alice.merchant)
    with pytest.raises(ValueError):
        authorize(bob.merchant, message_ref=auth.message_ref, channel="email")


def test_insufficient_balance(alice, price_book, caps_a):
    fund(alice.merchant, "0.02")
    assert authorize(alice.merchant, quantity=2).ok
    refused = authorize(alice.merchant)
    assert not refused.ok
    assert refused.reason == DenyReason.INSUFFICIENT_BALANCE
    assert refused.reason_label == "Insufficient balance"
    assert Reservation.objects.count() == 1


def test_a_credit_limit_lets_a_postpaid_merchant_go_below_zero(alice, price_book, caps_a):
    services.set_credit_limit(merchant=alice.merchant, credit_limit=Decimal("0.05"))
    auth, record = send(alice.merchant, channel="sms", quantity=5)
    assert auth.ok
    assert Wallet.objects.get(merchant=alice.merchant).balance == Decimal("-0.05")
    assert authorize(alice.merchant).reason == DenyReason.INSUFFICIENT_BALANCE


def test_daily_cap_reached(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    caps_a.daily_limit = Decimal("0.03")
    caps_a.save()
    assert authorize(alice.merchant, quantity=3).ok
    refused = authorize(alice.merchant)
    assert refused.reason == DenyReason.DAILY_CAP_REACHED


def test_daily_cap_resets_the_next_day(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    caps_a.daily_limit = Decimal("0.01")
    caps_a.save()
    today = timezone.now()
    assert authorize(alice.merchant, now=today).ok
    assert authorize(alice.merchant, now=today).reason == DenyReason.DAILY_CAP_REACHED
    assert authorize(alice.merchant, now=today + dt.timedelta(days=1)).ok


def test_monthly_cap_reached_counts_sent_and_reserved(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    caps_a.monthly_limit = Decimal("0.05")
    caps_a.daily_limit = Decimal("1")
    caps_a.save()
    send(alice.merchant, channel="sms", quantity=3)
    assert authorize(alice.merchant, quantity=2).ok  # held, not yet sent
    assert authorize(alice.merchant).reason == DenyReason.MONTHLY_CAP_REACHED


def test_the_monthly_cap_is_checked_before_the_daily_one(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    caps_a.monthly_limit = Decimal("0")
    caps_a.daily_limit = Decimal("0")
    caps_a.save()
    assert authorize(alice.merchant).reason == DenyReason.MONTHLY_CAP_REACHED


def test_a_channel_cap_stops_only_that_channel(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    ChannelCap.objects.create(merchant=alice.merchant, channel="sms", daily_limit=Decimal("0.01"))
    assert authorize(alice.merchant).ok
    assert authorize(alice.merchant).reason == DenyReason.DAILY_CAP_REACHED
    assert authorize(alice.merchant, channel="email").ok


def test_country_not_allowed_for_sms_and_whatsapp_but_email_goes_anywhere(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    assert authorize(alice.merchant, country="FR").reason == DenyReason.COUNTRY_NOT_ALLOWED
    assert authorize(alice.merchant, channel="whatsapp", country="FR").reason == DenyReason.COUNTRY_NOT_ALLOWED
    assert authorize(alice.merchant, channel="email", country="FR").ok
    assert authorize(alice.merchant, country="", channel="sms").reason == DenyReason.COUNTRY_NOT_ALLOWED


def test_without_a_list_or_stores_no_sms_goes_anywhere(alice, price_book):
    fund(alice.merchant, "10")
    assert authorize(alice.merchant, country="US").reason == DenyReason.COUNTRY_NOT_ALLOWED
    assert authorize(alice.merchant, channel="email").ok


def test_allow_list_follows_the_stores_shipping_countries_when_a_provider_is_registered(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    hooks.register_shipping_countries_provider(lambda merchant: ["fr", "US"])
    caps_a.countries_follow_stores = True
    caps_a.save()
    assert authorize(alice.merchant, country="FR").ok
    assert authorize(alice.merchant, country="GB").reason == DenyReason.COUNTRY_NOT_ALLOWED
    caps_a.countries_follow_stores = False  # the owner's explicit list instead
    caps_a.save()
    assert authorize(alice.merchant, country="GB").ok


def test_no_price_is_a_reason_not_a_crash(alice, caps_a):
    price_book_with(prices=[("email", "*", "marketing", "0.001")])
    fund(alice.merchant, "10")
    assert authorize(alice.merchant, channel="whatsapp", message_class="utility").reason == DenyReason.NO_PRICE


def test_no_price_book_at_all_is_no_price(alice, caps_a):
    assert authorize(alice.merchant, channel="email").reason == DenyReason.NO_PRICE


@pytest.mark.parametrize(
    "bad",
    [{"channel": "fax"}, {"message_class": "spam"}, {"quantity": 0}, {"country": "XX"}, {"message_ref": "x" * 65}],
)
def test_bad_input_is_a_value_error(alice, price_book, bad):
    with pytest.raises(ValueError):
        authorize(alice.merchant, **bad)


def test_units_included_in_the_plan_are_free_then_billed(alice, price_book, caps_a):
    plan = PlanFactory(included_sms=4, monthly_fee=Decimal("5"))
    SubscriptionFactory(merchant=alice.merchant, plan=plan)
    # no money at all: included units still go
    first = authorize(alice.merchant, quantity=3)
    assert first.ok and first.amount == 0 and first.included_units == 3
    services.record_usage(message_ref=first.message_ref, sent=True)
    second = authorize(alice.merchant, quantity=3)
    assert not second.ok and second.reason == DenyReason.INSUFFICIENT_BALANCE
    fund(alice.merchant, "1")
    third = authorize(alice.merchant, quantity=3)
    assert third.ok and third.included_units == 1 and third.amount == Decimal("0.02")
    record = services.record_usage(message_ref=third.message_ref, sent=True)
    assert (record.included_units, record.amount) == (1, Decimal("0.02"))
    assert selectors.verify_books(alice.merchant) == []


def test_a_larger_actual_quantity_is_billed_at_the_reserved_price(alice, price_book, caps_a):
    fund(alice.merchant, "1")
    auth = authorize(alice.merchant, quantity=1)
    record = services.record_usage(message_ref=auth.message_ref, sent=True, quantity=2)
    assert record.amount == Decimal("0.02")
    assert Wallet.objects.get(merchant=alice.merchant).balance == Decimal("0.98")
    assert selectors.verify_books(alice.merchant) == []


def test_sent_after_release_is_still_billed(alice, price_book, caps_a):
    fund(alice.merchant, "1")
    auth = authorize(alice.merchant, quantity=1)
    services.record_usage(message_ref=auth.message_ref, sent=False)
    record = services.record_usage(message_ref=auth.message_ref, sent=True)
    assert record.amount == Decimal("0.01")
    assert selectors.verify_books(alice.merchant) == []


def test_recording_an_unknown_message_raises(db):
    with pytest.raises(services.ReservationNotFound):
        services.record_usage(message_ref="nope", sent=True)


def test_stale_reservations_are_released(alice, price_book, caps_a):
    fund(alice.merchant, "1")
    old = authorize(alice.merchant, now=timezone.now() - dt.timedelta(hours=80))
    fresh = authorize(alice.merchant)
    assert services.release_stale_reservations(older_than=dt.timedelta(hours=72)) == 1
    assert Reservation.objects.get(message_ref=old.message_ref).status == Reservation.Status.RELEASED
    assert Reservation.objects.get(message_ref=fresh.message_ref).status == Reservation.Status.HELD
    assert Wallet.objects.get(merchant=alice.merchant).reserved == Decimal("0.01")


def test_amazon_solicitations_are_free_and_need_no_balance(alice, price_book, caps_a):
    auth, record = send(alice.merchant, channel="amazon_solicitation", country="DE")
    assert auth.ok and record.amount == 0
    assert not LedgerEntry.objects.filter(kind="usage").exists()
