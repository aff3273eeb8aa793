"""AfterShip and 17TRACK: delivered events set delivered_at; tracking numbers are registered when shipped."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.connectors import services
from orders.connectors.base import PlatformError
from orders.connectors.fakes import (
    aftership_webhook,
    seventeentrack_webhook,
    shopify_fulfillment,
    shopify_order,
    signed,
)
from orders.connectors.registry import connector_for
from orders.models import Order, TrackingRegistration
from tests.factories.orders import OrderFactory, StoreFactory

from .conftest import connect_17track, connect_aftership, connect_shopify

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


def deliver(connection, payload, kind):
    secret = connector_for(kind).webhook_secret(connection)
    body, headers = signed(kind, secret, payload)
    topic, event_id = connector_for(kind).event_identity(headers, body, payload)
    event, _created = services.receive_webhook(
        connection=connection, topic=topic, event_id=event_id, body=body, headers={}
    )
    services.process_webhook_event(event_id=event.pk)
    event.refresh_from_db()
    return event


@pytest.fixture
def shipped_order(alice):
    return OrderFactory(
        store=StoreFactory(merchant=alice.merchant),
        tracking_number="1Z999AA10123456784",
        status="shipped",
        shipped_at=NOW - dt.timedelta(days=3),
    )


def test_aftership_delivered_signed_by_customer_sets_delivered_at(alice, fake, shipped_order):
    tracker = connect_aftership(alice.merchant, fake)
    at = NOW - dt.timedelta(hours=5)
    event = deliver(
        tracker, aftership_webhook("1Z999AA10123456784", "Delivered", subtag="Delivered_003", at=at), "aftership"
    )
    assert event.status == "processed"
    shipped_order.refresh_from_db()
    assert shipped_order.delivered_at == at
    assert shipped_order.delivered_source == "aftership" and shipped_order.delivery_confidence == "carrier"
    delivered = shipped_order.events.get(type="delivered")
    assert delivered.data["subtag"] == "Delivered_003" and delivered.data["signed_by"] == "J DOE"


def test_aftership_exception_marks_a_delivery_exception(alice, fake, shipped_order):
    tracker = connect_aftership(alice.merchant, fake)
    deliver(tracker, aftership_webhook("1Z999AA10123456784", "Exception", subtag="Exception_007"), "aftership")
    shipped_order.refresh_from_db()
    assert shipped_order.status == "delivery_exception" and shipped_order.delivered_at is None


@pytest.mark.parametrize("subtag", ["Exception_010", "Exception_011"])
def test_aftership_returning_or_returned_to_sender_is_its_own_event(alice, fake, shipped_order, subtag):
    tracker = connect_aftership(alice.merchant, fake)
    deliver(tracker, aftership_webhook("1Z999AA10123456784", "Exception", subtag=subtag), "aftership")
    shipped_order.refresh_from_db()
    assert shipped_order.status == "returned_to_sender"
    assert not shipped_order.returned  # the carrier sends it back; the buyer did not return it
    assert list(shipped_order.events.values_list("type", flat=True)) == ["returned_to_sender"]


@pytest.mark.parametrize(("sub_status", "kind"), [("Exception_Returned", "returned_to_sender"),
                                                  ("Exception_Other", "delivery_exception")])  # fmt: skip
def test_seventeentrack_returned_sub_status_is_returned_to_sender(alice, fake, sub_status, kind):
    order = OrderFactory(store=StoreFactory(merchant=alice.merchant), tracking_number="RR123456789CN", status="shipped")
    tracker = connect_17track(alice.merchant, fake)
    payload = seventeentrack_webhook("RR123456789CN", "Exception", at=NOW - dt.timedelta(hours=1))
    payload["data"]["track_info"]["latest_status"]["sub_status"] = sub_status
    deliver(tracker, payload, "17track")
    assert list(order.events.values_list("type", flat=True)) == [kind]


def test_seventeentrack_delivered_sets_delivered_at(alice, fake):
    order = OrderFactory(store=StoreFactory(merchant=alice.merchant), tracking_number="RR123456789CN", status="shipped")
    tracker = connect_17track(alice.merchant, fake)
    at = NOW - dt.timedelta(hours=2)
    deliver(tracker, seventeentrack_webhook("RR123456789CN", "Delivered", at=at), "17track")
    order.refresh_from_db()
    assert order.delivered_at == at and order.delivered_source == "17track"


def test_carrier_delivered_before_the_order_has_its_tracking_number_is_applied_later(alice, fake):
    tracker = connect_aftership(alice.merchant, fake)
    shop = connect_shopify(alice.merchant, fake)
    at = NOW - dt.timedelta(hours=1)
    early = deliver(tracker, aftership_webhook("1Z999AA10123456784", "Delivered", at=at), "aftership")
    assert early.status == "waiting"
    fulfilment = shopify_fulfillment(6001, 1, created_at=NOW - dt.timedelta(days=2))
    order = shopify_order(
        6001, updated_at=NOW - dt.timedelta(hours=2), fulfillment_status="fulfilled", fulfillments=[fulfilment]
    )
    body, headers = signed("shopify", shop.credentials["app_secret"], order, topic="orders/updated")
    event, _ = services.receive_webhook(connection=shop, topic="orders/updated", event_id="w1", body=body, headers={})
    services.process_webhook_event(event_id=event.pk)
    early.refresh_from_db()
    assert early.status == "processed"
    assert Order.objects.get(external_id="6001").delivered_at == at


def test_shipped_orders_are_registered_with_each_tracker(
    alice, fake, shipped_order, django_capture_on_commit_callbacks
):
    aftership = connect_aftership(alice.merchant, fake)
    seventeen = connect_17track(alice.merchant, fake)
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.queue_tracking_registrations(merchant=alice.merchant, order_ids=[shipped_order.pk])
    assert queued == 2
    assert set(fake.aftership_trackings) == {"1Z999AA10123456784"}
    assert fake.aftership_trackings["1Z999AA10123456784"]["order_id"] == shipped_order.external_id
    assert set(fake.seventeen_numbers) == {"1Z999AA10123456784"}
    assert set(TrackingRegistration.objects.values_list("connection_id", "status")) == {
        (aftership.pk, "registered"),
        (seventeen.pk, "registered"),
    }


def test_a_tracker_answering_429_keeps_registrations_pending_until_the_retry(alice, fake, shipped_order):
    tracker = connect_aftership(alice.merchant, fake)
    TrackingRegistration.objects.create(
        merchant=alice.merchant, connection=tracker, tracking_number="1Z999AA10123456784"
    )
    fake.fail_next("/aftership/", 429, headers={"Retry-After": "30"})
    with pytest.raises(PlatformError) as caught:
        services.register_pending_trackings(connection_id=tracker.pk)
    assert caught.value.retryable and caught.value.retry_after == 30
    assert TrackingRegistration.objects.get().status == "pending"
    services.register_pending_trackings(connection_id=tracker.pk)
    assert TrackingRegistration.objects.get().status == "registered"


def test_an_already_registered_number_counts_as_registered(alice, fake):
    tracker = connect_17track(alice.merchant, fake)
    fake.seventeen_numbers["RR1"] = {"number": "RR1"}
    TrackingRegistration.objects.create(merchant=alice.merchant, connection=tracker, tracking_number="RR1")
    assert services.register_pending_trackings(connection_id=tracker.pk) == {"registered": 1, "rejected": 0}


def test_sweep_registers_shipped_orders_from_any_source(alice, fake, shipped_order, django_capture_on_commit_callbacks):
    connect_aftership(alice.merchant, fake)
    OrderFactory(store=shipped_order.store, tracking_number="DELIVERED1", shipped_at=NOW, delivered_at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        services.sweep_tracking_registrations()
    assert set(fake.aftership_trackings) == {"1Z999AA10123456784"}


def test_poll_task_retries_a_throttled_platform_later(alice, fake, monkeypatch):
    from celery.exceptions import Retry

    from orders.connectors import tasks

    woo = __import__("tests.orders.connectors.conftest", fromlist=["connect_woo"]).connect_woo(alice.merchant, fake)
    fake.fail_next("/woo/", 429, headers={"Retry-After": "120"})
    scheduled = {}

    def fake_retry(*, countdown, exc):
        scheduled.update(countdown=countdown, exc=exc)
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(tasks.poll_connection_task, "retry", fake_retry)
    with pytest.raises(Retry):
        tasks.poll_connection_task.run(woo.pk)
    assert scheduled["countdown"] == 120 and scheduled["exc"].retryable


def test_housekeeping_processes_stuck_events_and_purges_old_bodies(alice, fake, shipped_order):
    from orders.connectors import tasks
    from orders.models import WebhookEvent

    tracker = connect_aftership(alice.merchant, fake)
    payload = aftership_webhook("1Z999AA10123456784", "Delivered", at=NOW - dt.timedelta(hours=2))
    body, headers = signed("aftership", tracker.credentials["webhook_secret"], payload)
    stuck, _ = services.receive_webhook(
        connection=tracker, topic="tracking_update", event_id="e1", body=body, headers={}
    )
    old, _ = services.receive_webhook(
        connection=tracker, topic="tracking_update", event_id="e0", body=b"{}", headers={}
    )
    WebhookEvent.objects.filter(pk=stuck.pk).update(received_at=timezone.now() - dt.timedelta(minutes=30))
    WebhookEvent.objects.filter(pk=old.pk).update(status="ignored", received_at=timezone.now() - dt.timedelta(days=40))
    result = tasks.connector_housekeeping_task.run()
    assert result["stuck"] == 1 and result["purged"] == 1
    shipped_order.refresh_from_db()
    assert shipped_order.delivered_at == NOW - dt.timedelta(hours=2)
    assert list(WebhookEvent.objects.values_list("pk", "status")) == [(stuck.pk, "processed")]
