"""Amazon SP-API: getOrders / getOrderItems through python-amazon-sp-api against a local SP-API and LWA."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.connectors import services
from orders.connectors.base import PlatformError
from orders.connectors.fakes import amazon_order
from orders.models import Order

from .conftest import connect_amazon

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def amazon(alice, fake):
    return connect_amazon(alice.merchant, fake)


def test_poll_maps_fba_fbm_the_delivery_window_and_relay_buyers(amazon, fake):
    fake.amazon_orders["114-0000001-0000001"] = amazon_order("114-0000001-0000001", channel="AFN")
    fake.amazon_orders["114-0000002-0000002"] = amazon_order(
        "114-0000002-0000002", channel="MFN", status="Unshipped", earliest="2025-03-10T07:00:00Z",
        latest="2025-03-14T06:59:59Z",
    )  # fmt: skip
    result = services.poll_connection(connection_id=amazon.pk)
    assert result.created == 2
    fba = Order.objects.get(external_id="114-0000001-0000001")
    fbm = Order.objects.get(external_id="114-0000002-0000002")
    assert fba.fulfillment_channel == "fba" and fbm.fulfillment_channel == "fbm"
    assert fba.status == "shipped" and fbm.status == "processing"
    assert (fba.earliest_delivery_date, fba.latest_delivery_date) == (dt.date(2025, 3, 4), dt.date(2025, 3, 8))
    assert (fbm.earliest_delivery_date, fbm.latest_delivery_date) == (dt.date(2025, 3, 10), dt.date(2025, 3, 14))
    assert fba.buyer.email.endswith("@marketplace.amazon.com")
    assert fba.buyer.email_is_relay and not fba.buyer.can_be_emailed
    item = fba.items.get()
    assert (item.product_id, item.sku, item.title) == ("B00TEST001", "SKU-TENT", "Ultralight tent")
    assert str(fba.total) == "25.99" and fba.currency == "USD"


def test_poll_follows_next_token_and_skips_items_of_unchanged_orders(amazon, fake):
    for n in range(60):
        oid = f"114-1000000-{n:07d}"
        fake.amazon_orders[oid] = amazon_order(oid, updated=NOW - dt.timedelta(hours=5, minutes=n))
    with override_items(60):
        services.poll_connection(connection_id=amazon.pk)
    assert Order.objects.filter(store=amazon.store).count() == 60
    assert fake.calls("/amazon/orders/v0/orders") == 2 + 60  # two pages of getOrders, one getOrderItems each
    amazon.refresh_from_db()
    assert "next_token" not in amazon.sync_cursor["ATVPDKIKX0DER"]
    before = fake.calls("/amazon/")
    services.poll_connection(connection_id=amazon.pk)
    assert fake.calls("/amazon/") - before == 1  # nothing new: one getOrders, no getOrderItems


def test_429_backs_off_with_the_rate_limit_header_and_resumes_from_the_next_token(amazon, fake):
    for n in range(60):
        oid = f"114-2000000-{n:07d}"
        fake.amazon_orders[oid] = amazon_order(oid, updated=NOW - dt.timedelta(hours=5, minutes=n))
    with override_items(60):
        calls = {"n": 0}
        original = fake.take_failure

        def throttle_second_page(path):
            if path == "/amazon/orders/v0/orders":
                calls["n"] += 1
                if calls["n"] == 2:
                    from orders.connectors.fakes import Failure

                    return Failure(path, 429, {"x-amzn-RateLimit-Limit": "0.0167"})
            return original(path)

        fake.take_failure = throttle_second_page
        with pytest.raises(PlatformError) as caught:
            services.poll_connection(connection_id=amazon.pk)
        assert caught.value.retryable and caught.value.status == 429
        assert round(caught.value.retry_after) == 60  # 1 / 0.0167 requests per second
        amazon.refresh_from_db()
        assert amazon.sync_cursor["ATVPDKIKX0DER"]["next_token"]
        assert Order.objects.filter(store=amazon.store).count() == 50
        services.poll_connection(connection_id=amazon.pk)
    assert Order.objects.filter(store=amazon.store).count() == 60


def test_a_500_from_amazon_is_retryable(amazon, fake):
    fake.amazon_orders["114-3"] = amazon_order("114-3")
    fake.fail_next("/amazon/orders/v0/orders", 503)
    with pytest.raises(PlatformError) as caught:
        services.poll_connection(connection_id=amazon.pk)
    assert caught.value.retryable
    services.poll_connection(connection_id=amazon.pk)
    assert Order.objects.filter(external_id="114-3").exists()


def test_connection_test_exchanges_the_refresh_token_with_lwa(amazon, fake, alice):
    ok, message = services.test_connection(connection=amazon)
    assert ok and "getOrders" in message
    assert fake.calls("/lwa/auth/o2/token") == 1
    wrong = connect_amazon(alice.merchant, fake, label="Wrong", lwa_client_secret="nope", refresh_token="Atzr|other")
    ok, message = services.test_connection(connection=wrong)
    assert not ok and "Client authentication failed" in message


def override_items(n):
    from django.test import override_settings

    return override_settings(AMAZON_ORDER_ITEMS_PER_RUN=n)


def test_a_small_getorderitems_budget_still_progresses_run_after_run(amazon, fake):
    for n in range(60):
        oid = f"114-4000000-{n:07d}"
        fake.amazon_orders[oid] = amazon_order(oid, updated=NOW - dt.timedelta(hours=5, minutes=n))
    counts = []
    with override_items(30):
        for _run in range(3):
            services.poll_connection(connection_id=amazon.pk)
            counts.append(Order.objects.filter(store=amazon.store).count())
    assert counts == [30, 60, 60]
    assert fake.calls("/amazon/orders/v0/orders/") == 60  # one getOrderItems per order, never twice
