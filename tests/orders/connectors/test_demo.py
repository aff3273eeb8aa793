"""The demo: its stores connect to the local fakes, and a sync brings the fakes' orders in."""

import io

import pytest
from django.test import override_settings

from linkstar.demo import DemoContext
from orders.connectors import demo, demo_platforms, services
from orders.models import Connection, Order
from tests.factories.orders import StoreFactory

pytestmark = pytest.mark.django_db


def test_demo_connections_sync_from_the_seeded_fakes_and_load_idempotently(alice, fake):
    demo_platforms.seed(fake)
    StoreFactory(merchant=alice.merchant, name="Shopify", platform="shopify")
    StoreFactory(merchant=alice.merchant, name="Amazon US", platform="amazon")
    out = io.StringIO()
    ctx = DemoContext(password="x", write=lambda line: out.write(line + "\n"), merchants={"en": alice.merchant})
    with override_settings(FAKE_PLATFORMS_URL=fake.url):
        demo.load(ctx)
        demo.load(ctx)
    assert "connections: 5 created" in out.getvalue() and "connections: 0 created" in out.getvalue()
    for connection in Connection.objects.for_merchant(alice.merchant):
        ok, message = services.test_connection(connection=connection)
        assert ok, message
    shopify = Connection.objects.get(kind="shopify")
    woo = Connection.objects.get(kind="woocommerce")
    services.poll_connection(connection_id=shopify.pk)
    services.poll_connection(connection_id=woo.pk)
    amazon = Connection.objects.get(kind="amazon")
    services.poll_connection(connection_id=amazon.pk)
    assert Order.objects.filter(store=amazon.store).count() == demo_platforms.AMAZON_ORDERS
    assert Order.objects.filter(store=shopify.store).count() == demo_platforms.SHOPIFY_ORDERS
    assert Order.objects.filter(store=woo.store).count() == demo_platforms.WOO_ORDERS
    assert Order.objects.filter(store=shopify.store, delivered_at__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_the_fakes_push_signed_webhooks_that_the_app_accepts_and_applies(fake, live_server):
    from tests.conftest import _side

    alice = _side("alice")
    StoreFactory(merchant=alice.merchant, name="Shopify", platform="shopify")
    ctx = DemoContext(password="x", write=lambda line: None, merchants={"en": alice.merchant})
    with override_settings(FAKE_PLATFORMS_URL=fake.url, PUBLIC_BASE_URL=live_server.url):
        demo.load(ctx)
        shopify = Connection.objects.get(kind="shopify")
        sent = demo_platforms.push_webhooks(fake, round_no=1)
    assert sorted(sent) == ["shopify → Shopify: 200", "woocommerce → WooCommerce: 200"]
    assert Order.objects.filter(store=shopify.store, external_id=str(830100 + shopify.pk)).exists()
    woo = Connection.objects.get(kind="woocommerce")
    assert Order.objects.filter(store=woo.store).count() == 1
