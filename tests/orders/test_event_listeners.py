"""Other apps hear of new order events after the commit (reviews plans fulfilment notices from them)."""

import datetime as dt

import pytest
from django.test import TestCase
from django.utils import timezone

from orders import services
from orders.events import RecordedEvent, register_event_listener, unregister_event_listener
from tests.factories.orders import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    events = []

    def listener(batch):
        events.extend(batch)

    def broken(batch):
        raise RuntimeError("a listener that fails")

    register_event_listener(broken)
    register_event_listener(listener)
    yield events
    unregister_event_listener(listener)
    unregister_event_listener(broken)


def _record(order, key="api:shipped:1"):
    return services.record_order_event(
        order=order, type="shipped", occurred_at=timezone.now() - dt.timedelta(minutes=1), source="api",
        dedupe_key=key,
    )  # fmt: skip


def test_listeners_hear_new_events_after_the_commit_and_a_failing_one_breaks_nothing(alice, heard):
    order = OrderFactory(store__merchant=alice.merchant)
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        outcome = _record(order)
    assert heard == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert heard == [RecordedEvent(outcome.event_id, order.pk, alice.merchant.pk, "shipped")]


def test_a_replayed_event_is_not_heard_again(alice, heard):
    order = OrderFactory(store__merchant=alice.merchant)
    with TestCase.captureOnCommitCallbacks(execute=True):
        _record(order)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert _record(order).created is False
    assert len(heard) == 1
