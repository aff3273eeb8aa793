import pytest

from orders.models import Platform
from tests.factories.orders import StoreFactory


@pytest.fixture
def store_a(alice):
    return StoreFactory(merchant=alice.merchant, name="Alice CSV store", platform=Platform.MANUAL)


@pytest.fixture
def amazon_store_a(alice):
    return StoreFactory(
        merchant=alice.merchant, name="Alice Amazon US", platform=Platform.AMAZON, marketplace="Amazon US"
    )


@pytest.fixture
def store_b(bob):
    return StoreFactory(merchant=bob.merchant, name="Bob store")


def bulk_url(store) -> str:
    return f"/api/v1/stores/{store.pk}/orders/bulk"
