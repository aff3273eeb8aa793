"""Never twice: several dispatchers and beats at once, each thread with its own PostgreSQL connection.

Transactional tests: every thread commits for real, so SKIP LOCKED, the unique constraint and the
advisory locks are what keep them apart. Sends are counted where they land (the SMTP sink, the outbox)
by our message reference.
"""

import email
from collections import Counter

import pytest

from channels.fakes.smtp import FakeSmtpServer
from channels.models import OutboxMessage
from reviews import dispatch, planning
from reviews.codes import Code
from reviews.models import Message, MessageStatus
from tests.concurrency import race
from tests.factories.channels import smtp_account
from tests.factories.orders import BuyerFactory
from tests.factories.reviews import CampaignFactory, PlanStepFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_four_dispatchers_on_the_same_due_messages_send_each_exactly_once_over_smtp(shop, settings):
    settings.REVIEWS_BATCH_SIZE = 7  # many small claims, so the workers really interleave
    with FakeSmtpServer() as sink:
        account = smtp_account(shop.merchant, sink)
        step = shop.campaign.plan_steps.get()
        step.account = account
        step.save()
        orders = [shop.order(days_ago=6) for _ in range(60)]
        assert planning.plan_due_messages().planned == 60

        def worker(index):
            return dispatch.dispatch_due(max_seconds=60).sent

        sent = race(worker, 4)
        refs = Counter(email.message_from_bytes(m.data)["X-Linkstar-Ref"] for m in sink.messages)

    expected = {m.ref for m in Message.objects.filter(order__in=orders)}
    assert sum(sent) == 60
    assert set(refs) == expected  # nothing lost
    assert max(refs.values()) == 1  # nothing twice
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 60
    assert sum(1 for n in sent if n) >= 2, "the work was shared"


def test_two_beats_planning_at_once_plan_each_order_once(shop):
    orders = [shop.order(days_ago=6) for _ in range(40)]

    def beat(index):
        return planning.plan_due_messages().planned

    planned = race(beat, 2)
    assert Message.objects.count() == 40
    assert set(Message.objects.values_list("order_id", flat=True)) == {o.pk for o in orders}
    assert sum(planned) >= 40  # each beat may count what it tried; the database kept one row per order


def test_frequency_cap_holds_when_two_campaigns_race_for_the_same_buyers(shop):
    other = CampaignFactory(merchant=shop.merchant, cap_messages=1)
    PlanStepFactory(campaign=other, channel="email", account=shop.outbox)
    shop.campaign.cap_messages = 1
    shop.campaign.save()
    buyers = [BuyerFactory(store=shop.store, merchant=shop.merchant, time_zone="UTC") for _ in range(15)]
    for buyer in buyers:
        shop.order(days_ago=6, buyer=buyer)
        shop.order(days_ago=7, buyer=buyer)
    planning.plan_due_messages()
    assert Message.objects.count() == 60  # 2 campaigns x 2 orders x 15 buyers

    def worker(index):
        total = 0
        while True:
            part = dispatch.dispatch_batch(limit=1)
            if not part.claimed:
                return total
            total += part.sent

    race(worker, 4)
    per_buyer = Counter(OutboxMessage.objects.filter(merchant=shop.merchant).values_list("to", flat=True))
    assert set(per_buyer) == {b.email for b in buyers}
    assert set(per_buyer.values()) == {1}, per_buyer
    assert Message.objects.filter(status=MessageStatus.SKIPPED, reason_code=Code.FREQUENCY_CAP).count() == 45
