"""Shopify: order webhooks in any order, fulfilments, refunds, privacy webhooks, Admin API backfill."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.connectors import services
from orders.connectors.base import PlatformError
from orders.connectors.fakes import shopify_fulfillment, shopify_order, signed
from orders.models import Buyer, Order, WebhookEvent

from .conftest import connect_shopify

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def shop(alice, fake):
    return connect_shopify(alice.merchant, fake)


def deliver(connection, topic, payload, webhook_id=None):
    """A verified webhook as the view stores it, then processed as the task does."""
    body, headers = signed("shopify", connection.credentials["app_secret"], payload, topic=topic,
                           webhook_id=webhook_id or "")  # fmt: skip
    event, _created = services.receive_webhook(
        connection=connection, topic=topic, event_id=headers["X-Shopify-Webhook-Id"], body=body, headers={}
    )
    services.process_webhook_event(event_id=event.pk)
    event.refresh_from_db()
    return event


def test_orders_updated_arriving_before_orders_create_ends_in_the_updated_state(shop):
    fulfilment = shopify_fulfillment(1001, 9001, created_at=NOW - dt.timedelta(hours=5))
    newer = shopify_order(1001, updated_at=NOW - dt.timedelta(hours=1), fulfillments=[fulfilment],
                          fulfillment_status="fulfilled")  # fmt: skip
    older = shopify_order(1001, updated_at=NOW - dt.timedelta(hours=6))
    deliver(shop, "orders/updated", newer)
    late = deliver(shop, "orders/create", older)
    order = Order.objects.get(store=shop.store, external_id="1001")
    assert order.status == "shipped"
    assert order.tracking_number == "1Z999AA10123456784"
    assert late.status == "processed" and "skipped" in late.result


def test_fulfillment_delivered_before_shipped_ends_delivered(shop):
    deliver(shop, "orders/create", shopify_order(1002, updated_at=NOW - dt.timedelta(days=2)))
    delivered = shopify_fulfillment(1002, 9002, shipment_status="delivered", created_at=NOW - dt.timedelta(days=2),
                                    updated_at=NOW - dt.timedelta(hours=3))  # fmt: skip
    created = shopify_fulfillment(1002, 9002, created_at=NOW - dt.timedelta(days=2))
    deliver(shop, "fulfillments/update", delivered)
    deliver(shop, "fulfillments/create", created)
    order = Order.objects.get(external_id="1002")
    assert order.status == "delivered"
    assert order.delivered_at == NOW - dt.timedelta(hours=3)
    assert order.shipped_at == NOW - dt.timedelta(days=2)
    assert order.delivered_source == "shopify"


def test_fulfillment_before_its_order_waits_then_applies_when_the_order_arrives(shop):
    early = deliver(
        shop,
        "fulfillments/update",
        shopify_fulfillment(1003, 9003, shipment_status="delivered", updated_at=NOW - dt.timedelta(hours=2)),
    )
    assert early.status == "waiting"
    deliver(shop, "orders/create", shopify_order(1003, updated_at=NOW - dt.timedelta(days=1)))
    early.refresh_from_db()
    assert early.status == "processed"
    assert Order.objects.get(external_id="1003").delivered_at == NOW - dt.timedelta(hours=2)


def test_refund_and_cancellation_exclude_the_order(shop):
    deliver(shop, "orders/create", shopify_order(1004, updated_at=NOW - dt.timedelta(days=1)))
    deliver(
        shop,
        "refunds/create",
        {"id": 509562969, "order_id": 1004, "created_at": (NOW - dt.timedelta(hours=1)).isoformat()},
    )
    cancelled = shopify_order(1005, updated_at=NOW - dt.timedelta(hours=1), cancelled_at=NOW.isoformat())
    deliver(shop, "orders/cancelled", cancelled)
    assert Order.objects.get(external_id="1004").refunded
    assert Order.objects.get(external_id="1005").cancelled


def test_customers_data_request_exports_the_buyer(shop):
    deliver(shop, "orders/create", shopify_order(1006, email="ann@example.test"))
    buyer = Buyer.objects.get(store=shop.store)
    request = {
        "shop_id": 954889,
        "shop_domain": "demo-shop.myshopify.com",
        "orders_requested": [1006],
        "customer": {"id": buyer.external_id, "email": "ann@example.test", "phone": "555-625-1199"},
        "data_request": {"id": 9999},
    }
    event = deliver(shop, "customers/data_request", request)
    assert event.status == "processed"
    (exported,) = event.export["buyers"]
    assert exported["buyer"]["email"] == "ann@example.test"
    assert exported["orders"][0]["external_id"] == "1006"


def test_customers_redact_erases_the_buyer_and_keeps_the_order(shop):
    deliver(shop, "orders/create", shopify_order(1007, email="bo@example.test"))
    deliver(shop, "orders/create", shopify_order(1008, email="other@example.test"))
    redact = {
        "shop_id": 954889,
        "shop_domain": "demo-shop.myshopify.com",
        "customer": {"id": 123456789, "email": "bo@example.test", "phone": "555-625-1199"},
        "orders_to_redact": [1007],
    }
    deliver(shop, "customers/redact", redact)
    erased = Order.objects.get(external_id="1007").buyer
    assert erased.erased_at is not None and erased.email == ""
    assert Order.objects.get(external_id="1008").buyer.email == "other@example.test"


def test_shop_redact_erases_every_buyer_of_the_store(shop):
    deliver(shop, "orders/create", shopify_order(1009, email="c1@example.test"))
    deliver(shop, "orders/create", shopify_order(1010, email="c2@example.test"))
    deliver(shop, "shop/redact", {"shop_id": 954889, "shop_domain": "demo-shop.myshopify.com"})
    assert not Buyer.objects.filter(store=shop.store, erased_at__isnull=True).exists()
    assert Order.objects.filter(store=shop.store).count() == 2


def test_backfill_follows_link_header_pages(shop, fake):
    fake.page_size["shopify"] = 2
    for n in range(5):
        fake.shopify_orders[2000 + n] = shopify_order(2000 + n, updated_at=NOW - dt.timedelta(hours=10 - n))
    result = services.poll_connection(connection_id=shop.pk, backfill_days=30)
    assert result.created == 5
    assert fake.calls("/shopify/admin/api/2025-01/orders.json") == 3
    assert Order.objects.filter(store=shop.store).count() == 5
    shop.refresh_from_db()
    assert shop.last_sync_at is not None and shop.consecutive_failures == 0


def test_sync_answered_429_is_retried_later_and_loses_nothing(shop, fake):
    fake.page_size["shopify"] = 2
    for n in range(4):
        fake.shopify_orders[3000 + n] = shopify_order(3000 + n, updated_at=NOW - dt.timedelta(hours=10 - n))
    fake.fail_next("/shopify/admin/api/2025-01/orders.json", 429, headers={"Retry-After": "2.0"})
    with pytest.raises(PlatformError) as caught:
        services.poll_connection(connection_id=shop.pk)
    assert caught.value.retryable and caught.value.retry_after == 2.0
    shop.refresh_from_db()
    assert shop.last_error and shop.consecutive_failures == 1 and shop.sync_cursor == {}
    services.poll_connection(connection_id=shop.pk)
    assert Order.objects.filter(store=shop.store).count() == 4
    shop.refresh_from_db()
    assert shop.consecutive_failures == 0
    assert shop.sync_cursor["updated_at_min"] == (NOW - dt.timedelta(hours=7)).isoformat()


def test_a_500_mid_way_keeps_the_pages_already_read(shop, fake):
    fake.page_size["shopify"] = 2
    for n in range(4):
        fake.shopify_orders[4000 + n] = shopify_order(4000 + n, updated_at=NOW - dt.timedelta(hours=10 - n))
    original = fake.take_failure

    calls = {"n": 0}

    def fail_second_page(path):
        if path.endswith("orders.json"):
            calls["n"] += 1
            if calls["n"] == 2:
                from orders.connectors.fakes import Failure

                return Failure(path, 500)
        return original(path)

    fake.take_failure = fail_second_page
    with pytest.raises(PlatformError):
        services.poll_connection(connection_id=shop.pk)
    shop.refresh_from_db()
    assert Order.objects.filter(store=shop.store).count() == 2
    assert shop.sync_cursor["updated_at_min"] == (NOW - dt.timedelta(hours=9)).isoformat()
    services.poll_connection(connection_id=shop.pk)
    assert Order.objects.filter(store=shop.store).count() == 4


def test_connection_test_shows_the_shop_or_a_clear_error(shop, fake):
    ok, message = services.test_connection(connection=shop)
    assert ok and "Demo Shopify shop" in message
    shop.credentials = {**shop.credentials, "access_token": "wrong"}
    shop.save()
    ok, message = services.test_connection(connection=shop)
    assert not ok and "401" in message and "Invalid API key" in message


def test_replayed_order_webhook_changes_nothing(shop):
    payload = shopify_order(1011, updated_at=NOW - dt.timedelta(hours=1))
    deliver(shop, "orders/create", payload, webhook_id="a")
    before = Order.objects.get(external_id="1011").updated_at
    event = deliver(shop, "orders/updated", payload, webhook_id="b")
    assert "0 new, 0 updated, 1 unchanged" in event.result
    assert Order.objects.get(external_id="1011").updated_at == before
    assert WebhookEvent.objects.count() == 2


def test_erasing_a_buyer_deletes_the_webhook_bodies_that_name_them(shop):
    deliver(shop, "orders/create", shopify_order(1012, email="gone@example.test"))
    other = shopify_order(1013, email="stays@example.test")
    other["customer"]["phone"] = other["shipping_address"]["phone"] = "+14155550199"
    deliver(shop, "orders/create", other)
    from orders import services as order_services

    order_services.erase_buyer(Order.objects.get(external_id="1012").buyer)
    bodies = list(WebhookEvent.objects.values_list("body", flat=True))
    assert len(bodies) == 1 and "stays@example.test" in bodies[0]
