import pytest

from billing import hooks
from tests.factories.billing import BudgetCapFactory, price_book_with


@pytest.fixture
def price_book(db):
    return price_book_with()


@pytest.fixture
def caps_a(alice):
    """Alice may text the US, GB and DE; no spending caps yet."""
    return BudgetCapFactory(merchant=alice.merchant)


@pytest.fixture(autouse=True)
def _no_shipping_countries_provider():
    hooks.register_shipping_countries_provider(None)
    yield
    hooks.register_shipping_countries_provider(None)
