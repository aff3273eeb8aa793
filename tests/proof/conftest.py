"""Fixtures of the proof-under-pressure tests: merchants with many due orders sending to a local sink."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from billing import hooks
from linkstar.identity import email_hash
from orders.models import Buyer, Order
from tests.factories.accounts import MerchantFactory
from tests.factories.billing import BudgetCapFactory, fund, price_book_with
from tests.factories.channels import smtp_account
from tests.factories.orders import StoreFactory
from tests.factories.reviews import CampaignFactory, PlanStepFactory, approved_template


@dataclass
class Shop:
    merchant: object
    store: object
    account: object
    campaign: object
    orders: list = field(default_factory=list)


def add_orders(shop: Shop, count: int, *, prefix: str = "o", days_ago: float = 6) -> list[Order]:
    """`count` delivered orders, each with its own buyer (bulk inserts: soak runs make thousands)."""
    merchant, store = shop.merchant, shop.store
    delivered = timezone.now() - dt.timedelta(days=days_ago)
    start = len(shop.orders)
    emails = [f"{prefix}{merchant.pk}-{start + i}@buyers.example" for i in range(count)]
    buyers = Buyer.objects.bulk_create(
        [
            Buyer(merchant=merchant, store=store, key=f"id:{prefix}{merchant.pk}-{start + i}",
                  name=f"Buyer {start + i}", first_name="Sam", email=e, email_hash=email_hash(merchant.pk, e),
                  country="US", language="en", time_zone="UTC")
            for i, e in enumerate(emails)
        ],
        batch_size=2000,
    )  # fmt: skip
    orders = Order.objects.bulk_create(
        [
            Order(merchant=merchant, store=store, buyer=b, external_id=f"{prefix}-{start + i}",
                  number=f"#{prefix}{start + i}", currency="USD", total="30.00", ship_country="US",
                  placed_at=delivered - dt.timedelta(days=3), delivered_at=delivered)
            for i, b in enumerate(buyers)
        ],
        batch_size=2000,
    )  # fmt: skip
    shop.orders.extend(orders)
    return orders


def make_shops(sink, *, merchants: int, orders_each: int, fund_amount: str = "100000") -> list[Shop]:
    """Merchants, each with an SMTP account pointing at `sink`, an approved template, an active campaign."""
    price_book_with()
    shops = []
    for index in range(merchants):
        merchant = MerchantFactory(name=f"Proof {index}", slug=f"proof-{index}")
        BudgetCapFactory(merchant=merchant, allowed_countries=["US"], countries_follow_stores=False)
        fund(merchant, fund_amount)
        store = StoreFactory(merchant=merchant, name=f"Proof store {index}", postal_address="1 Proof Road, HK")
        account = smtp_account(merchant, sink, timeout=30)
        approved_template(merchant, channel="email", locale="en")
        campaign = CampaignFactory(merchant=merchant, cap_messages=100)
        PlanStepFactory(campaign=campaign, channel="email", account=account, position=0)
        shop = Shop(merchant=merchant, store=store, account=account, campaign=campaign)
        add_orders(shop, orders_each)
        shops.append(shop)
    return shops


@pytest.fixture(autouse=True)
def _no_shipping_countries_provider():
    """Billing's allow-list is the explicit list here (the reviews app registers a provider in ready())."""
    saved = hooks._provider
    hooks.register_shipping_countries_provider(None)
    yield
    hooks.register_shipping_countries_provider(saved)
