"""Many workers, each with its own PostgreSQL connection, race for one small budget.

Transactional tests: every thread commits for real, so the row lock on the
wallet is what keeps them apart. Figures: 20 workers x 10 attempts = 200
authorisations against room for 20 messages; overshoot must be 0.
"""

import random
from decimal import Decimal

import pytest
from django.db.models import Sum

from billing import selectors, services
from billing.models import DenyReason, Reservation, SpendCounter, UsageRecord, Wallet
from tests.concurrency import race
from tests.factories.billing import BudgetCapFactory, fund, new_ref, price_book_with

WORKERS = 20
ATTEMPTS_PER_WORKER = 10

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_workers_racing_for_the_last_of_a_monthly_cap_never_overshoot(alice):
    price_book_with()
    cap = Decimal("1.00")  # SMS to the US is 0.01 a segment: 5 segments = 0.05, room for 20 messages
    BudgetCapFactory(merchant=alice.merchant, monthly_limit=cap, daily_limit=None)
    fund(alice.merchant, "100")

    def worker(index):
        outcomes = []
        for _ in range(ATTEMPTS_PER_WORKER):
            outcomes.append(
                services.authorize_send(
                    merchant=alice.merchant,
                    message_ref=new_ref(),
                    channel="sms",
                    country="US",
                    message_class="marketing",
                    quantity=5,
                )
            )
        return outcomes

    outcomes = [o for batch in race(worker, WORKERS) for o in batch]
    granted = [o for o in outcomes if o.ok]
    refused = [o for o in outcomes if not o.ok]
    reserved = sum((o.amount for o in granted), Decimal("0"))

    assert len(outcomes) == WORKERS * ATTEMPTS_PER_WORKER
    assert len(granted) == 20, "every cent of the cap is used, no more"
    assert reserved == cap  # overshoot = reserved - cap = 0
    assert {o.reason for o in refused} == {DenyReason.MONTHLY_CAP_REACHED}
    # no lost reservation: each grant has its row, and wallet and counters hold exactly their sum
    assert Reservation.objects.filter(status="held").count() == 20
    assert Reservation.objects.aggregate(s=Sum("amount"))["s"] == reserved
    assert Wallet.objects.get(merchant=alice.merchant).reserved == reserved
    month = SpendCounter.objects.get(merchant=alice.merchant, scope="month", channel="all")
    assert month.amount_reserved == reserved and month.amount_used == 0

    # settle them from twenty workers too: half sent, half failed; nothing is lost or counted twice
    refs = [o.message_ref for o in granted]

    def settle(index):
        ref = refs[index]
        sent = index % 2 == 0
        services.record_usage(message_ref=ref, sent=sent)
        services.record_usage(message_ref=ref, sent=sent)  # a retry of the same call
        return sent

    race(settle, WORKERS)
    spent = UsageRecord.objects.aggregate(s=Sum("amount"))["s"]
    assert UsageRecord.objects.count() == 10 and spent == Decimal("0.50")
    wallet = Wallet.objects.get(merchant=alice.merchant)
    assert (wallet.balance, wallet.reserved) == (Decimal("99.50"), Decimal("0"))
    assert selectors.verify_books(alice.merchant) == []


def test_racing_workers_with_mixed_sizes_never_spend_more_than_the_balance_or_daily_cap(alice):
    price_book_with()
    BudgetCapFactory(merchant=alice.merchant, daily_limit=Decimal("0.70"), monthly_limit=Decimal("50"))
    fund(alice.merchant, "0.63")  # the balance binds before the daily cap
    rng = random.Random(8)
    plan = [[rng.choice([("sms", 1), ("sms", 3), ("whatsapp", 1), ("email", 1)]) for _ in range(10)] for _ in range(20)]

    def worker(index):
        results = []
        for channel, quantity in plan[index]:
            auth = services.authorize_send(
                merchant=alice.merchant,
                message_ref=new_ref(),
                channel=channel,
                country="US",
                message_class="marketing",
                quantity=quantity,
            )
            if auth.ok:
                services.record_usage(message_ref=auth.message_ref, sent=True)
            results.append(auth)
        return results

    outcomes = [o for batch in race(worker, WORKERS) for o in batch]
    spent = UsageRecord.objects.aggregate(s=Sum("amount"))["s"] or Decimal("0")
    assert spent == sum((o.amount for o in outcomes if o.ok), Decimal("0"))
    assert spent <= Decimal("0.63")
    assert Decimal("0.63") - spent < Decimal("0.03"), "refusals came only when the budget was really short"
    assert {o.reason for o in outcomes if not o.ok} <= {DenyReason.INSUFFICIENT_BALANCE}
    wallet = Wallet.objects.get(merchant=alice.merchant)
    assert wallet.balance == Decimal("0.63") - spent >= 0
    assert wallet.reserved == 0
    assert selectors.verify_books(alice.merchant) == []
