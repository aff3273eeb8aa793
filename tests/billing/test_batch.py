"""The batch API dispatch uses: `authorize_sends` / `record_usages`, one wallet lock per batch per merchant."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from billing import selectors, services
from billing.models import DenyReason, LedgerEntry, Reservation, SpendCounter, UsageRecord, Wallet
from billing.services import SendRequest, Usage
from tests.concurrency import race
from tests.factories.billing import BudgetCapFactory, fund, new_ref, price_book_with


def sms(quantity=1, ref=None, country="US"):
    return SendRequest(
        message_ref=ref or new_ref(), channel="sms", country=country, message_class="marketing", quantity=quantity
    )


@pytest.mark.django_db
def test_a_batch_at_the_monthly_cap_refuses_only_the_requests_that_do_not_fit(alice, price_book):
    BudgetCapFactory(merchant=alice.merchant, monthly_limit=Decimal("0.05"))  # US SMS: 0.01 a segment
    fund(alice.merchant, "10")
    requests = [sms(2), sms(2), sms(2), sms(1)]  # 0.02 + 0.02 fit; 0.02 more would pass 0.05; 0.01 still fits

    answers = services.authorize_sends(merchant=alice.merchant, requests=requests)

    assert [a.ok for a in answers] == [True, True, False, True]
    assert answers[2].reason == DenyReason.MONTHLY_CAP_REACHED
    assert [a.message_ref for a in answers] == [r.message_ref for r in requests]
    assert Reservation.objects.filter(status="held").aggregate(s=Sum("amount"))["s"] == Decimal("0.05")
    assert Wallet.objects.get(merchant=alice.merchant).reserved == Decimal("0.05")
    month = SpendCounter.objects.get(merchant=alice.merchant, scope="month", channel="all")
    assert month.amount_reserved == Decimal("0.05")
    assert selectors.verify_books(alice.merchant) == []


@pytest.mark.django_db
def test_a_batch_refuses_what_the_balance_cannot_cover_and_keeps_channels_apart(alice, price_book):
    BudgetCapFactory(merchant=alice.merchant)
    fund(alice.merchant, "0.03")
    email = SendRequest(message_ref=new_ref(), channel="email", country="US", message_class="marketing")
    requests = [sms(2), sms(2), email, SendRequest(new_ref(), "sms", "FR", "marketing")]

    answers = services.authorize_sends(merchant=alice.merchant, requests=requests)

    assert [a.ok for a in answers] == [True, False, True, False]
    assert answers[1].reason == DenyReason.INSUFFICIENT_BALANCE
    assert answers[3].reason == DenyReason.COUNTRY_NOT_ALLOWED  # FR is not on Alice's list
    counters = {c.channel: c.amount_reserved for c in SpendCounter.objects.filter(merchant=alice.merchant, scope="day")}
    assert counters == {"all": Decimal("0.021"), "sms": Decimal("0.02"), "email": Decimal("0.001")}
    assert selectors.verify_books(alice.merchant) == []


@pytest.mark.django_db
def test_authorizing_the_same_batch_again_returns_the_same_reservations(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    requests = [sms(1), sms(3), sms(2)]
    first = services.authorize_sends(merchant=alice.merchant, requests=requests)
    again = services.authorize_sends(merchant=alice.merchant, requests=[*requests, requests[0]])

    assert [a.amount for a in again] == [a.amount for a in first] + [first[0].amount]
    assert all(a.ok for a in again)
    assert Reservation.objects.count() == 3
    assert Wallet.objects.get(merchant=alice.merchant).reserved == Decimal("0.06")


@pytest.mark.django_db
def test_invalid_requests_in_a_batch_write_nothing(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    with pytest.raises(ValueError, match="quantity"):
        services.authorize_sends(merchant=alice.merchant, requests=[sms(1), sms(0)])
    assert not Reservation.objects.exists()


@pytest.mark.django_db
def test_record_usages_bills_the_sent_releases_the_rest_and_is_idempotent(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    refs = [
        a.message_ref for a in services.authorize_sends(merchant=alice.merchant, requests=[sms(2) for _ in range(4)])
    ]
    usages = [Usage(refs[0], True), Usage(refs[1], True, quantity=3), Usage(refs[2], False), Usage(refs[3], False)]

    out = services.record_usages(usages=usages)
    again = services.record_usages(usages=usages)

    assert out[refs[0]].amount == Decimal("0.02") and out[refs[1]].amount == Decimal("0.03")
    assert out[refs[2]] is None and out[refs[3]] is None
    assert again[refs[0]].pk == out[refs[0]].pk and again[refs[2]] is None
    assert UsageRecord.objects.count() == 2
    assert LedgerEntry.objects.filter(kind="usage").count() == 2
    wallet = Wallet.objects.get(merchant=alice.merchant)
    assert (wallet.balance, wallet.reserved) == (Decimal("9.95"), Decimal("0"))
    statuses = dict(Reservation.objects.values_list("message_ref", "status"))
    assert [statuses[r] for r in refs] == ["consumed", "consumed", "released", "released"]
    assert selectors.verify_books(alice.merchant) == []


@pytest.mark.django_db
def test_record_usages_with_an_unknown_reference_writes_nothing(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    (auth,) = services.authorize_sends(merchant=alice.merchant, requests=[sms(1)])
    with pytest.raises(services.ReservationNotFound):
        services.record_usages(usages=[Usage(auth.message_ref, True), Usage(new_ref(), True)])
    assert not UsageRecord.objects.exists()
    assert Reservation.objects.get().status == "held"


@pytest.mark.django_db
def test_a_batch_costs_the_same_number_of_queries_whatever_its_size(alice, price_book, caps_a):
    fund(alice.merchant, "100")

    def queries(n):
        requests = [sms(1) for _ in range(n)]
        with CaptureQueriesContext(connection) as authorizing:
            services.authorize_sends(merchant=alice.merchant, requests=requests)
        with CaptureQueriesContext(connection) as recording:
            services.record_usages(usages=[Usage(r.message_ref, i % 2 == 0) for i, r in enumerate(requests)])
        return len(authorizing), len(recording)

    queries(2)  # counters and alerts of the day exist from here on
    assert queries(40) == queries(3)


# --- many workers, one budget (transactional: every thread commits for real) -------------------------------


@pytest.mark.django_db(transaction=True)
def test_ten_workers_authorizing_batches_against_one_cap_never_overshoot(alice):
    price_book_with()
    cap = Decimal("1.00")  # 5 segments of US SMS = 0.05: room for exactly 20 messages
    BudgetCapFactory(merchant=alice.merchant, monthly_limit=cap, daily_limit=None)
    fund(alice.merchant, "100")

    def worker(index):
        answers = []
        for _ in range(3):
            answers += services.authorize_sends(merchant=alice.merchant, requests=[sms(5) for _ in range(5)])
        return answers

    answers = [a for batch in race(worker, 10) for a in batch]
    granted = [a for a in answers if a.ok]
    assert len(answers) == 150
    assert len(granted) == 20
    assert sum((a.amount for a in granted), Decimal("0")) == cap
    assert {a.reason for a in answers if not a.ok} == {DenyReason.MONTHLY_CAP_REACHED}

    refs = [a.message_ref for a in granted]

    def settle(index):
        mine = refs[index * 2 : index * 2 + 2]
        usages = [Usage(ref, sent=i == 0) for i, ref in enumerate(mine)]
        services.record_usages(usages=usages)
        services.record_usages(usages=usages)  # a retry of the same call
        return len(mine)

    race(settle, 10)
    assert UsageRecord.objects.count() == 10
    wallet = Wallet.objects.get(merchant=alice.merchant)
    assert (wallet.balance, wallet.reserved) == (Decimal("99.50"), Decimal("0"))
    assert selectors.verify_books(alice.merchant) == []
