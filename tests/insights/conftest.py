"""Helpers for insights tests: messages, delivery events, attempts and usage built in bulk, by hand."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import UsageRecord
from channels.models import DeliveryEvent
from reviews.models import Message, MessageAttempt
from tests.factories.billing import PriceBookFactory
from tests.factories.orders import OrderFactory, StoreFactory

_seq = itertools.count(1)


def bulk_messages(campaign, n: int, *, account=None, store=None, **fields) -> list[Message]:
    """n orders and one message each (step 1), in two queries' worth of inserts."""
    from orders.models import Order

    store = store or StoreFactory(merchant=campaign.merchant)
    orders = Order.objects.bulk_create(
        [OrderFactory.build(store=store, merchant=campaign.merchant, buyer=None) for _ in range(n)]
    )
    now = timezone.now()
    fields.setdefault("send_at", now)
    return Message.objects.bulk_create(
        [
            Message(
                merchant=campaign.merchant,
                campaign=campaign,
                order=order,
                step=1,
                account=account,
                message_ref=uuid.uuid4(),
                **fields,
            )
            for order in orders
        ]
    )


def events(messages, event_type: str, *, account=None, at=None, merchant=None) -> list[DeliveryEvent]:
    """One delivery event per message (or `messages` may be an int: events with no message)."""
    at = at or timezone.now()
    if isinstance(messages, int):
        refs = [""] * messages
    else:
        refs = [m.ref for m in messages]
        merchant = merchant or messages[0].merchant
    return DeliveryEvent.objects.bulk_create(
        [
            DeliveryEvent(
                merchant=merchant,
                account=account,
                provider="postmark",
                provider_event_id=f"evt-{next(_seq)}",
                message_ref=ref,
                event_type=event_type,
                occurred_at=at,
            )
            for ref in refs
        ]
    )


def attempts(messages, outcome: str, *, account=None) -> list[MessageAttempt]:
    return MessageAttempt.objects.bulk_create(
        [
            MessageAttempt(
                merchant=m.merchant,
                message=m,
                number=m.attempt_count + 1,
                channel=m.channel or "email",
                account=account,
                outcome=outcome,
            )
            for m in messages
        ]
    )


def usage(messages, amount: str, *, country="US", channel="email") -> list[UsageRecord]:
    book = PriceBookFactory()
    now = timezone.now()
    return UsageRecord.objects.bulk_create(
        [
            UsageRecord(
                merchant=m.merchant,
                message_ref=m.ref,
                channel=channel,
                country=country,
                message_class="utility",
                quantity=1,
                unit_price=Decimal(amount),
                amount=Decimal(amount),
                currency="USD",
                price_book=book,
                period=now.date().replace(day=1),
                created_at=now,
            )
            for m in messages
        ]
    )


def ago(**kwargs) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _english():
    """A page request may leave another language active in this thread; each test starts in English."""
    from django.utils import translation

    with translation.override("en"):
        yield
