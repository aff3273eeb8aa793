import io

import pytest
from django.core.management import call_command

from accounts.models import Merchant
from billing import selectors
from billing.models import LedgerEntry, Statement, UsageRecord

pytestmark = pytest.mark.django_db


def test_demo_merchants_have_a_plan_a_balance_usage_and_a_statement():
    call_command("demo", stdout=io.StringIO())
    counts = (UsageRecord.objects.count(), LedgerEntry.objects.count(), Statement.objects.count())
    call_command("demo", stdout=io.StringIO())
    assert (UsageRecord.objects.count(), LedgerEntry.objects.count(), Statement.objects.count()) == counts
    book = selectors.current_price_book()
    for country in ["US", "CA", "GB", "DE", "FR", "ES", "IT", "JP", "CN", "AU", "*"]:
        assert book.prices.filter(channel="sms", country=country).exists(), country
    for merchant in Merchant.objects.filter(slug__in=["shenzhen-starlight", "acme-outdoor"]):
        assert selectors.plan_of(merchant) is not None
        assert selectors.wallet_of(merchant).balance > 0
        assert UsageRecord.objects.filter(merchant=merchant).exists()
        assert Statement.objects.filter(merchant=merchant).exists()
        assert selectors.verify_books(merchant) == []
