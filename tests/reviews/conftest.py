import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from billing import hooks
from tests.factories.billing import BudgetCapFactory, fund, price_book_with
from tests.factories.channels import ChannelAccountFactory
from tests.factories.orders import BuyerFactory, OrderFactory, StoreFactory
from tests.factories.reviews import CampaignFactory, PlanStepFactory, approved_template


@dataclass
class Shop:
    merchant: Any
    store: Any
    outbox: Any
    campaign: Any
    extra: dict = field(default_factory=dict)

    def order(self, *, days_ago: float = 6, store=None, buyer=None, **fields):
        store = store or self.store
        delivered = timezone.now() - dt.timedelta(days=days_ago)
        buyer_fields = fields.pop("buyer_fields", {})
        if buyer is None:
            buyer = BuyerFactory(store=store, merchant=self.merchant, **{"time_zone": "UTC", **buyer_fields})
        fields.setdefault("delivered_at", delivered)
        fields.setdefault("placed_at", delivered - dt.timedelta(days=3))
        return OrderFactory(store=store, merchant=self.merchant, buyer=buyer, **fields)


@pytest.fixture(autouse=True)
def _no_shipping_countries_provider():
    """Billing's allow-list is the explicit list in these tests (the app registers one in ready())."""
    saved = hooks._provider
    hooks.register_shipping_countries_provider(None)
    yield
    hooks.register_shipping_countries_provider(saved)


def make_shop(merchant, *, fund_amount="100") -> Shop:
    price_book_with()
    BudgetCapFactory(merchant=merchant, allowed_countries=["US", "GB", "DE", "FR"])
    fund(merchant, fund_amount)
    store = StoreFactory(merchant=merchant, name=f"Shop of {merchant.slug}")
    outbox = ChannelAccountFactory(merchant=merchant, kind="outbox", name="Outbox")
    approved_template(merchant, channel="email", locale="en")
    campaign = CampaignFactory(merchant=merchant)
    PlanStepFactory(campaign=campaign, channel="email", account=outbox, position=0)
    return Shop(merchant=merchant, store=store, outbox=outbox, campaign=campaign)


@pytest.fixture
def shop(alice) -> Shop:
    return make_shop(alice.merchant)


@pytest.fixture(scope="session")
def _fake_server():
    from channels.fakes.http import FakeProviderServer

    with FakeProviderServer() as server:
        yield server


@pytest.fixture
def fake(_fake_server):
    state = _fake_server.state
    state.requests.clear()
    state.twilio = state.lwa = None
    state.orders.clear()
    state.buckets.clear()
    state.send_callbacks = False
    state.whatsapp_window_closed.clear()
    # python-amazon-sp-api caches access tokens per process: one issued by another test module's fake
    # (another port, another token list) would be refused by this one.
    from sp_api.auth import access_token_client

    access_token_client.cache.clear()
    access_token_client.grantless_cache.clear()
    return _fake_server


@pytest.fixture(autouse=True)
def _reviews_hooks_registered():
    """Other apps' tests register and remove sections of the same name (orders' privacy test uses
    "messages"): put the app's own hooks back, as its AppConfig.ready() does."""
    from django.apps import apps as django_apps

    django_apps.get_app_config("reviews").ready()
    yield
