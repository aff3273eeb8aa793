import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import LedgerEntry, Price, PriceBook, Subscription, Wallet
from tests.factories.accounts import UserFactory
from tests.factories.billing import PlanFactory, fund, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_lists_render(staff, alice, price_book, caps_a):
    fund(alice.merchant, "5")
    send(alice.merchant, channel="sms")
    for model in [
        "pricebook",
        "plan",
        "subscription",
        "wallet",
        "ledgerentry",
        "budgetcap",
        "channelcap",
        "capalert",
        "spendcounter",
        "reservation",
        "usagerecord",
        "statement",
    ]:
        assert staff.get(f"/admin/billing/{model}/").status_code == 200, model
    assert staff.get(f"/admin/billing/pricebook/{price_book.pk}/change/").status_code == 200
    assert staff.get("/admin/billing/ledgerentry/add/").status_code == 200


def test_manual_top_up_needs_a_reason(staff, alice):
    url = "/admin/billing/ledgerentry/add/"
    response = staff.post(url, {"merchant": alice.merchant.pk, "kind": "top_up", "amount": "25", "reason": ""})
    assert response.status_code == 200 and "reason" in response.context["adminform"].form.errors
    assert not LedgerEntry.objects.exists()
    response = staff.post(url, {"merchant": alice.merchant.pk, "kind": "top_up", "amount": "25", "reason": "wire 88"})
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.reason, entry.created_by.is_staff) == (
        "top_up",
        Decimal("25"),
        "wire 88",
        True,
    )
    assert Wallet.objects.get(merchant=alice.merchant).balance == Decimal("25")


def test_manual_refund_is_taken_from_the_balance(staff, alice):
    fund(alice.merchant, "30")
    staff.post(
        "/admin/billing/ledgerentry/add/",
        {"merchant": alice.merchant.pk, "kind": "refund", "amount": "10", "reason": "closing the account"},
    )
    assert Wallet.objects.get(merchant=alice.merchant).balance == Decimal("20")


def test_ledger_entries_cannot_be_edited_or_deleted(staff, alice):
    entry = fund(alice.merchant, "5")
    staff.post(f"/admin/billing/ledgerentry/{entry.pk}/change/", {"amount": "500"})
    staff.post(f"/admin/billing/ledgerentry/{entry.pk}/delete/", {"post": "yes"})
    entry.refresh_from_db()
    assert entry.amount == Decimal("5")


def test_new_price_book_version_from_the_admin_action(staff, price_book):
    response = staff.post("/admin/billing/pricebook/", {"action": "new_version", "_selected_action": [price_book.pk]})
    assert response.status_code == 302
    new = PriceBook.objects.order_by("-version").first()
    assert new.version == price_book.version + 1
    assert new.effective_from > timezone.now()
    assert new.prices.count() == price_book.prices.count()


def test_a_used_price_book_is_read_only_in_admin(staff, alice, price_book, caps_a):
    fund(alice.merchant, "5")
    send(alice.merchant, channel="sms")
    page = staff.get(f"/admin/billing/pricebook/{price_book.pk}/change/").content.decode()
    assert 'name="name"' not in page and 'name="prices-0-unit_price"' not in page
    price = price_book.prices.get(channel="sms", country="US", message_class="marketing")
    staff.post(
        f"/admin/billing/pricebook/{price_book.pk}/change/",
        {
            "name": "changed",
            "prices-TOTAL_FORMS": "1",
            "prices-INITIAL_FORMS": "1",
            "prices-0-id": price.pk,
            "prices-0-price_book": price_book.pk,
            "prices-0-channel": "sms",
            "prices-0-country": "US",
            "prices-0-message_class": "marketing",
            "prices-0-unit_price": "9",
        },
    )
    price.refresh_from_db()
    price_book.refresh_from_db()
    assert price.unit_price == Decimal("0.01") and price_book.name != "changed"
    assert staff.post(f"/admin/billing/pricebook/{price_book.pk}/delete/", {"post": "yes"}).status_code == 403


def test_an_unused_price_book_is_edited_in_admin(staff):
    book = PriceBook.objects.create(version=1, name="draft", effective_from=timezone.now() + dt.timedelta(days=2))
    response = staff.post(
        f"/admin/billing/pricebook/{book.pk}/change/",
        {
            "name": "draft 2",
            "currency": "USD",
            "effective_from_0": (book.effective_from.date()).isoformat(),
            "effective_from_1": "00:00:00",
            "note": "",
            "prices-TOTAL_FORMS": "1",
            "prices-INITIAL_FORMS": "0",
            "prices-0-channel": "sms",
            "prices-0-country": "fr",
            "prices-0-message_class": "marketing",
            "prices-0-unit_price": "0.07",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert Price.objects.get(price_book=book).country == "FR"


def test_adding_a_subscription_switches_the_plan(staff, alice):
    first, second = PlanFactory(), PlanFactory()
    for plan in (first, second):
        response = staff.post("/admin/billing/subscription/add/", {"merchant": alice.merchant.pk, "plan": plan.pk})
        assert response.status_code == 302
    subs = list(Subscription.objects.filter(merchant=alice.merchant).order_by("started_at", "id"))
    assert [s.plan for s in subs] == [first, second]
    assert subs[0].ended_at is not None and subs[1].ended_at is None


def test_credit_limit_is_set_through_the_service(staff, alice):
    fund(alice.merchant, "5")
    wallet = Wallet.objects.get(merchant=alice.merchant)
    response = staff.post(f"/admin/billing/wallet/{wallet.pk}/change/", {"credit_limit": "50"})
    assert response.status_code == 302
    wallet.refresh_from_db()
    assert (wallet.credit_limit, wallet.balance) == (Decimal("50"), Decimal("5"))
