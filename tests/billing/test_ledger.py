from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing import selectors, services
from billing.models import LedgerEntry, Wallet
from tests.factories.billing import fund

pytestmark = pytest.mark.django_db


def test_top_ups_adjustments_and_refunds_move_the_balance_and_the_ledger_agrees(alice, bob):
    fund(alice.merchant, "100", reference="PAY-1")
    services.post_manual_entry(merchant=alice.merchant, kind="adjustment", amount="-2.5", reason="late fee")
    services.post_manual_entry(merchant=alice.merchant, kind="adjustment", amount="1", reason="goodwill")
    services.post_manual_entry(merchant=alice.merchant, kind="refund", amount="20", reason="paid back on request")
    wallet = Wallet.objects.get(merchant=alice.merchant)
    assert wallet.balance == Decimal("78.5")
    entries = list(LedgerEntry.objects.filter(merchant=alice.merchant).order_by("created_at", "id"))
    assert [e.amount for e in entries] == [Decimal("100"), Decimal("-2.5"), Decimal("1"), Decimal("-20")]
    assert [e.balance_after for e in entries] == [Decimal("100"), Decimal("97.5"), Decimal("98.5"), Decimal("78.5")]
    assert selectors.verify_books(alice.merchant) == []
    assert not Wallet.objects.filter(merchant=bob.merchant).exists()


def test_a_replayed_payment_reference_tops_up_once(alice):
    first = fund(alice.merchant, "50", reference="PAY-7")
    second = fund(alice.merchant, "50", reference="PAY-7")
    assert first.pk == second.pk
    assert Wallet.objects.get(merchant=alice.merchant).balance == Decimal("50")


@pytest.mark.parametrize(
    ("kind", "amount", "reason", "field"),
    [
        ("top_up", "10", "", "reason"),
        ("top_up", "-10", "x", "amount"),
        ("refund", "0", "x", "amount"),
        ("adjustment", "0", "x", "amount"),
        ("usage", "1", "x", "kind"),
        ("adjustment", "0.0000001", "x", "amount"),
    ],
)
def test_bad_manual_entries_are_refused_with_the_field(alice, kind, amount, reason, field):
    with pytest.raises(ValidationError) as caught:
        services.post_manual_entry(merchant=alice.merchant, kind=kind, amount=amount, reason=reason)
    assert field in caught.value.message_dict
    assert not LedgerEntry.objects.exists()


def test_the_books_check_finds_a_tampered_balance(alice):
    fund(alice.merchant, "10")
    Wallet.objects.filter(merchant=alice.merchant).update(balance=Decimal("11"))
    assert selectors.verify_books(alice.merchant) == ["balance 11.000000 != ledger sum 10.000000"]
    assert services.check_books() == {alice.merchant.pk: ["balance 11.000000 != ledger sum 10.000000"]}


def test_check_billing_command_fails_when_the_books_disagree(alice):
    from django.core.management import CommandError, call_command

    fund(alice.merchant, "10")
    call_command("check_billing")
    Wallet.objects.filter(merchant=alice.merchant).update(reserved=Decimal("1"))
    with pytest.raises(CommandError):
        call_command("check_billing")
