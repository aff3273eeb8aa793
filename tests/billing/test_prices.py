import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing import selectors, services
from billing.models import UsageRecord
from tests.factories.billing import PriceBookFactory, PriceFactory, fund, new_ref, price_book_with, send

pytestmark = pytest.mark.django_db


def test_the_current_book_is_the_latest_that_took_effect(db):
    now = timezone.now()
    old = PriceBookFactory(effective_from=now - dt.timedelta(days=30))
    current = PriceBookFactory(effective_from=now - dt.timedelta(days=1))
    PriceBookFactory(effective_from=now + dt.timedelta(days=1))  # announced, not yet in force
    assert selectors.current_price_book(now) == current
    assert selectors.current_price_book(now - dt.timedelta(days=10)) == old
    assert selectors.current_price_book(now - dt.timedelta(days=100)) is None


def test_country_specific_price_wins_over_the_default(price_book):
    us = selectors.find_price(price_book=price_book, channel="sms", country="US", message_class="marketing")
    fr = selectors.find_price(price_book=price_book, channel="sms", country="FR", message_class="marketing")
    assert (us.country, us.unit_price) == ("US", Decimal("0.01"))
    assert (fr.country, fr.unit_price) == ("*", Decimal("0.08"))
    assert (
        selectors.find_price(price_book=price_book, channel="sms", country="US", message_class="transactional") is None
    )


def test_a_new_version_prices_new_messages_and_leaves_recorded_ones_alone(alice, caps_a):
    now = timezone.now()
    v1 = price_book_with(effective_from=now - dt.timedelta(days=10))
    fund(alice.merchant, "10")
    _, before = send(alice.merchant, channel="sms", country="US", now=now - dt.timedelta(days=1))
    v2 = services.create_price_book(
        name="2027",
        effective_from=now - dt.timedelta(hours=1),
        copy_from=v1,
        prices=[services.PriceSpec("sms", "US", "marketing", Decimal("0.02"))],
    )
    assert v2.version == v1.version + 1
    assert v2.prices.count() == v1.prices.count()
    _, after = send(alice.merchant, channel="sms", country="US", now=now)
    before.refresh_from_db()
    assert (before.unit_price, before.price_book_id) == (Decimal("0.01"), v1.pk)
    assert (after.unit_price, after.price_book_id) == (Decimal("0.02"), v2.pk)


def test_a_reservation_keeps_the_price_it_was_authorised_at(alice, caps_a):
    now = timezone.now()
    v1 = price_book_with(effective_from=now - dt.timedelta(days=10))
    fund(alice.merchant, "10")
    ref = new_ref()
    services.authorize_send(
        merchant=alice.merchant, message_ref=ref, channel="sms", country="US", message_class="marketing", quantity=1
    )
    services.create_price_book(
        name="later", effective_from=now, copy_from=v1, prices=[services.PriceSpec("sms", "US", "marketing", "0.5")]
    )
    services.record_usage(message_ref=ref, sent=True)
    assert UsageRecord.objects.get(message_ref=ref).amount == Decimal("0.01")


def test_a_used_book_cannot_be_edited(alice, price_book, caps_a):
    assert not selectors.price_book_is_used(price_book)
    services.set_price(price_book=price_book, spec=services.PriceSpec("sms", "DE", "marketing", Decimal("0.07")))
    fund(alice.merchant, "1")
    auth, _ = send(alice.merchant, channel="sms", country="DE")
    assert auth.unit_price == Decimal("0.07")
    assert selectors.price_book_is_used(price_book)
    with pytest.raises(services.PriceBookLocked):
        services.set_price(price_book=price_book, spec=services.PriceSpec("sms", "FR", "marketing", Decimal("0.01")))


@pytest.mark.parametrize(
    "spec",
    [
        ("sms", "XX", "marketing", "0.1"),
        ("fax", "US", "marketing", "0.1"),
        ("sms", "US", "marketing", "-1"),
        ("sms", "US", "marketing", "0.0000001"),
    ],
)
def test_bad_prices_are_refused(price_book, spec):
    with pytest.raises(ValidationError):
        services.set_price(price_book=price_book, spec=services.PriceSpec(*spec))


def test_money_is_never_a_float(price_book):
    with pytest.raises(TypeError):
        services.set_price(price_book=price_book, spec=services.PriceSpec("sms", "US", "marketing", 0.1))


def test_two_versions_cannot_take_effect_at_the_same_moment(price_book):
    with pytest.raises(ValidationError):
        services.create_price_book(name="clash", effective_from=price_book.effective_from)


def test_price_rows_are_unique_per_book(price_book):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        PriceFactory(price_book=price_book, channel="sms", country="US", message_class="marketing")
