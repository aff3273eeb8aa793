"""The demo's story end to end: the fake platforms' signed webhooks (a Shopify fulfilment, an AfterShip
failed attempt) become order events, and active notice campaigns send the shipped and delivery-problem
notices at once (tasks run in-process here, as the worker would run them)."""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from channels.models import OutboxMessage
from linkstar.demo import DemoContext
from orders.connectors import demo, demo_platforms
from orders.connectors.fakes import FakePlatforms
from orders.models import Connection, Order, OrderEvent
from reviews import services
from reviews.models import Message, MessageStatus
from tests.factories.orders import BuyerFactory, OrderFactory, StoreFactory

from .conftest import make_shop
from .test_fulfilment import notice_template


@pytest.fixture
def platforms():
    from sp_api.auth import access_token_client

    access_token_client.cache.clear()
    fake = FakePlatforms().start()
    yield fake
    fake.stop()


@pytest.mark.django_db(transaction=True)
def test_fake_platform_webhooks_send_shipped_and_delivery_problem_notices(platforms, live_server):
    from tests.conftest import _side

    alice = _side("alice")
    shop = make_shop(alice.merchant)
    shopify = StoreFactory(merchant=alice.merchant, name="Shopify", platform="shopify")
    for purpose in ("order_shipped", "delivery_exception"):
        notice_template(alice.merchant, purpose)
        campaign = services.create_campaign(
            merchant=alice.merchant, user=None,
            data={"name": purpose, "purpose": purpose, "window_start": dt.time(0, 0), "window_end": dt.time(23, 59),
                  "min_gap_hours": 0, "cap_messages": 5},
            steps=[{"country": "*", "position": 0, "channel": "email", "account": shop.outbox}],
        )  # fmt: skip
        services.set_campaign_status(campaign=campaign, status="active")
    parcel = OrderFactory(
        store=shopify, merchant=alice.merchant, buyer=BuyerFactory(store=shopify, merchant=alice.merchant),
        tracking_number="1ZSTORY1", carrier="UPS", shipped_at=timezone.now() - dt.timedelta(days=2), status="shipped",
    )  # fmt: skip
    ctx = DemoContext(password="x", write=lambda line: None, merchants={"en": alice.merchant})
    with override_settings(FAKE_PLATFORMS_URL=platforms.url, PUBLIC_BASE_URL=live_server.url):
        demo.load(ctx)
        shop_connection = Connection.objects.get(kind="shopify")
        first = demo_platforms.push_webhooks(platforms, round_no=1)  # a new order; AfterShip: a failed attempt
        second = demo_platforms.push_webhooks(platforms, round_no=2)  # Shopify ships the first round's order
    assert all(line.endswith(": 200") for line in first + second), first + second

    live = Order.objects.get(store=shopify, external_id=str(830100 + shop_connection.pk))
    assert OrderEvent.objects.filter(order=live, type="shipped").exists()
    assert OrderEvent.objects.filter(order=parcel, type="delivery_exception").exists()
    shipped = Message.objects.get(order=live, campaign__purpose="order_shipped")
    problem = Message.objects.get(order=parcel, campaign__purpose="delivery_exception")
    assert shipped.status == problem.status == MessageStatus.SENT
    sent = {m.to: m for m in OutboxMessage.objects.all()}
    assert f"1ZLIVE{live.external_id}" in sent[live.buyer.email].text_body
    assert "https://www.ups.com/track?tracknum=1ZLIVE" in sent[live.buyer.email].text_body
    assert parcel.buyer.email in sent
