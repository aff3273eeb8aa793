import datetime as dt

import factory
from django.utils import timezone

from orders.models import Buyer, Order, OrderEvent, OrderItem, Platform, Source, Store
from tests.factories.accounts import MerchantFactory


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Store {n}")
    platform = Platform.MANUAL
    default_currency = "USD"
    default_language = "en"


class BuyerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Buyer

    store = factory.SubFactory(StoreFactory)
    merchant = factory.SelfAttribute("store.merchant")
    key = factory.Sequence(lambda n: f"id:customer-{n}")
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"buyer{n}@example.test")
    country = "US"
    language = "en"
    time_zone = "America/New_York"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    store = factory.SubFactory(StoreFactory)
    merchant = factory.SelfAttribute("store.merchant")
    buyer = factory.SubFactory(BuyerFactory, store=factory.SelfAttribute("..store"))
    external_id = factory.Sequence(lambda n: f"EXT-{n}")
    number = factory.Sequence(lambda n: f"#{1000 + n}")
    placed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=10))
    currency = "USD"
    total = "42.00"
    ship_country = "US"
    source = Source.API


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    merchant = factory.SelfAttribute("order.merchant")
    position = factory.Sequence(lambda n: n)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    title = "Trail running socks"
    quantity = 1
    unit_price = "9.99"


class OrderEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderEvent

    order = factory.SubFactory(OrderFactory)
    merchant = factory.SelfAttribute("order.merchant")
    type = OrderEvent.Type.SHIPPED
    source = Source.API
    occurred_at = factory.LazyFunction(timezone.now)
    dedupe_key = factory.Sequence(lambda n: f"event-{n}")


def order_row(external_id: str = "1001", **overrides) -> dict:
    """An order as the bulk API takes it (two items, one buyer)."""
    row = {
        "external_id": external_id,
        "number": f"#{external_id}",
        "placed_at": "2025-03-01T10:00:00Z",
        "currency": "USD",
        "total": "59.90",
        "status": "shipped",
        "carrier": "UPS",
        "tracking_number": f"1Z{external_id}",
        "ship_to": {
            "line1": "1 Main St",
            "city": "Springfield",
            "region": "IL",
            "postal_code": "62701",
            "country": "US",
        },
        "buyer": {"name": "Jane Doe", "email": f"jane.{external_id}@example.test", "phone": "(415) 555-2671"},
        "items": [
            {"sku": "SOCK-1", "product_id": "B000TEST01", "title": "Trail socks", "quantity": 2, "unit_price": "9.95"},
            {"sku": "CAP-1", "title": "Running cap", "quantity": 1, "unit_price": "40.00"},
        ],
    }
    for key, value in overrides.items():
        row[key] = value
    return row


class PushSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.PushSubscription"

    buyer = factory.SubFactory(BuyerFactory)
    merchant = factory.SelfAttribute("buyer.merchant")
    kind = "fcm"
    token = factory.Sequence(lambda n: f"device-token-{n:04d}:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9")
    digest = factory.Sequence(lambda n: f"{n:064x}")
    platform = "android"
