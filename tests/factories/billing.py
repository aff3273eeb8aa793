import datetime as dt
import uuid
from decimal import Decimal

import factory
from django.utils import timezone

from billing import services
from billing.models import BudgetCap, Plan, Price, PriceBook, Subscription
from tests.factories.accounts import MerchantFactory

# A price list like the demo's, small enough to reason about in tests.
DEFAULT_PRICES = [
    ("email", "*", "marketing", "0.001"),
    ("email", "*", "utility", "0.001"),
    ("email", "*", "transactional", "0.0005"),
    ("sms", "*", "marketing", "0.08"),
    ("sms", "US", "marketing", "0.01"),
    ("sms", "GB", "marketing", "0.04"),
    ("sms", "*", "utility", "0.07"),
    ("sms", "US", "utility", "0.01"),
    ("whatsapp", "*", "marketing", "0.05"),
    ("whatsapp", "US", "marketing", "0.025"),
    ("whatsapp", "*", "utility", "0.02"),
    ("amazon_solicitation", "*", "marketing", "0"),
    ("amazon_solicitation", "*", "utility", "0"),
    ("push", "*", "marketing", "0.0002"),
    ("push", "*", "utility", "0.0002"),
]


class PriceBookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceBook

    version = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Prices {n}")
    currency = "USD"
    effective_from = factory.Sequence(lambda n: timezone.now() - dt.timedelta(days=400) + dt.timedelta(minutes=n))


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Price

    price_book = factory.SubFactory(PriceBookFactory)
    channel = "email"
    country = "*"
    message_class = "marketing"
    unit_price = Decimal("0.001")


def price_book_with(prices=DEFAULT_PRICES, **kwargs) -> PriceBook:
    book = PriceBookFactory(**kwargs)
    for channel, country, message_class, unit_price in prices:
        PriceFactory(
            price_book=book,
            channel=channel,
            country=country,
            message_class=message_class,
            unit_price=Decimal(unit_price),
        )
    return book


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    code = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.Sequence(lambda n: f"Plan {n}")
    monthly_fee = Decimal("0")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    merchant = factory.SubFactory(MerchantFactory)
    plan = factory.SubFactory(PlanFactory)
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=400))


class BudgetCapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetCap

    merchant = factory.SubFactory(MerchantFactory)
    allowed_countries = factory.LazyFunction(lambda: ["US", "GB", "DE"])
    countries_follow_stores = False


def fund(merchant, amount="100", **kwargs):
    return services.top_up(
        merchant=merchant, amount=Decimal(amount), reason=kwargs.pop("reason", "test top-up"), **kwargs
    )


def new_ref() -> str:
    return str(uuid.uuid4())


def send(merchant, *, channel="email", country="US", message_class="marketing", quantity=1, sent=True, **kwargs):
    """Authorise and record one message; returns (authorization, usage record or None)."""
    ref = kwargs.pop("message_ref", None) or new_ref()
    auth = services.authorize_send(
        merchant=merchant,
        message_ref=ref,
        channel=channel,
        country=country,
        message_class=message_class,
        quantity=quantity,
        **kwargs,
    )
    record = None
    if auth.ok:
        record = services.record_usage(message_ref=ref, sent=sent, now=kwargs.get("now"))
    return auth, record
