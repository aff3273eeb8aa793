"""WooCommerce: webhooks, and the reconciliation poll that finds what a lost webhook did not bring."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.connectors import services
from orders.connectors.base import PlatformError
from orders.connectors.fakes import signed, woo_order
from orders.models import Order

from .conftest import connect_woo

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def woo(alice, fake):
    return connect_woo(alice.merchant, fake)


def deliver(connection, topic, payload):
    body, headers = signed("woocommerce", connection.credentials["webhook_secret"], payload, topic=topic)
    from orders.connectors.registry import connector_for

    topic, event_id = connector_for("woocommerce").event_identity(headers, body, payload)
    event, _created = services.receive_webhook(
        connection=connection, topic=topic, event_id=event_id, body=body, headers={}
    )
    services.process_webhook_event(event_id=event.pk)
    event.refresh_from_db()
    return event


def test_order_webhooks_create_and_update_the_order(woo):
    deliver(woo, "order.created", woo_order(727, modified=NOW - dt.timedelta(hours=3)))
    deliver(woo, "order.updated", woo_order(727, modified=NOW - dt.timedelta(hours=1), status="completed",
                                            tracking_number="JD014600004012345678"))  # fmt: skip
    order = Order.objects.get(store=woo.store, external_id="727")
    assert order.status == "shipped"
    assert order.tracking_number == "JD014600004012345678"
    assert order.shipped_at == NOW - dt.timedelta(hours=1)
    assert order.buyer.phone == "+49301234567" and order.ship_country == "DE"


def test_updated_before_created_keeps_the_newer_state(woo):
    deliver(woo, "order.updated", woo_order(728, modified=NOW - dt.timedelta(hours=1), status="cancelled"))
    late = deliver(woo, "order.created", woo_order(728, modified=NOW - dt.timedelta(hours=5), status="processing"))
    assert Order.objects.get(external_id="728").cancelled
    assert "skipped" in late.result


def test_order_deleted_cancels_the_order(woo):
    deliver(woo, "order.created", woo_order(729, modified=NOW - dt.timedelta(hours=3)))
    deliver(woo, "order.deleted", {"id": 729})
    assert Order.objects.get(external_id="729").cancelled


def test_poll_finds_an_order_whose_webhook_was_lost(woo, fake):
    deliver(woo, "order.created", woo_order(730, modified=NOW - dt.timedelta(hours=4)))
    fake.woo_orders[730] = woo_order(730, modified=NOW - dt.timedelta(hours=4))
    fake.woo_orders[731] = woo_order(731, modified=NOW - dt.timedelta(hours=2), email="lost@example.test")
    result = services.poll_connection(connection_id=woo.pk)
    lost = Order.objects.get(store=woo.store, external_id="731")
    assert lost.buyer.email == "lost@example.test"
    assert result.created == 1 and result.unchanged == 1


def test_poll_reads_every_page_and_moves_its_cursor(woo, fake):
    fake.page_size["woo"] = 2
    for n in range(5):
        fake.woo_orders[800 + n] = woo_order(800 + n, modified=NOW - dt.timedelta(hours=10 - n))
    services.poll_connection(connection_id=woo.pk)
    assert Order.objects.filter(store=woo.store).count() == 5
    assert fake.calls("/woo/wp-json/wc/v3/orders") == 3
    woo.refresh_from_db()
    assert woo.sync_cursor["modified_after"] == (NOW - dt.timedelta(hours=6)).isoformat()
    fake.woo_orders[900] = woo_order(900, modified=NOW - dt.timedelta(minutes=5))
    result = services.poll_connection(connection_id=woo.pk)
    assert result.created == 1 and Order.objects.filter(store=woo.store).count() == 6


def test_poll_answered_500_is_retried_later_and_loses_nothing(woo, fake):
    fake.woo_orders[910] = woo_order(910, modified=NOW - dt.timedelta(hours=2))
    fake.fail_next("/woo/", 500)
    with pytest.raises(PlatformError) as caught:
        services.poll_connection(connection_id=woo.pk)
    assert caught.value.retryable
    woo.refresh_from_db()
    assert woo.sync_cursor == {} and "500" in woo.last_error
    services.poll_connection(connection_id=woo.pk)
    assert Order.objects.filter(external_id="910").exists()


def test_wrong_consumer_key_is_a_clear_error_not_a_retry(woo, fake):
    woo.credentials = {**woo.credentials, "consumer_secret": "wrong"}
    woo.save()
    with pytest.raises(PlatformError) as caught:
        services.poll_connection(connection_id=woo.pk)
    assert not caught.value.retryable
    assert "401" in caught.value.message and "cannot list resources" in caught.value.message
    ok, message = services.test_connection(connection=woo)
    assert not ok and "401" in message


def test_backfill_reads_the_past_without_moving_the_cursor(woo, fake):
    fake.woo_orders[950] = woo_order(950, modified=NOW - dt.timedelta(days=20))
    fake.woo_orders[951] = woo_order(951, modified=NOW - dt.timedelta(hours=1))
    services.poll_connection(connection_id=woo.pk)
    woo.refresh_from_db()
    cursor = dict(woo.sync_cursor)
    fake.woo_orders[952] = woo_order(952, modified=NOW - dt.timedelta(days=40))
    result = services.poll_connection(connection_id=woo.pk, backfill_days=60)
    woo.refresh_from_db()
    assert result.created == 1 and woo.sync_cursor == cursor
    assert Order.objects.filter(store=woo.store).count() == 3
