"""Dispatch works a batch at a time: the queries of a batch do not grow with its size, and the checks that are
decided per chunk (frequency caps) still see every message of the chunk."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Reservation, UsageRecord
from channels.fakes.smtp import FakeSmtpServer
from reviews import dispatch, planning
from reviews.codes import Code
from reviews.models import Message, MessageAttempt, MessageStatus
from tests.factories.channels import smtp_account
from tests.factories.reviews import CampaignFactory, PlanStepFactory

pytestmark = pytest.mark.django_db


def _plan(shop, n, **fields):
    orders = [shop.order(days_ago=6, **fields) for _ in range(n)]
    planning.plan_due_messages()
    return orders


def test_the_queries_of_a_dispatched_batch_do_not_grow_with_its_size(shop, settings):
    settings.REVIEWS_SEND_CHUNK = 100
    shop.campaign.reminder_days = 3
    shop.campaign.daily_cap = 1000
    shop.campaign.save()
    with FakeSmtpServer() as sink:
        shop.campaign.plan_steps.update(account=smtp_account(shop.merchant, sink))

        def dispatched(n):
            _plan(shop, n)
            with CaptureQueriesContext(connection) as queries:
                result = dispatch.dispatch_batch(limit=200)
            assert (result.claimed, result.sent) == (n, n)
            return len(queries)

        dispatched(2)  # the day's counters exist from here on
        few, many = dispatched(4), dispatched(40)

    assert many == few
    # ~60: claim, gates, caps, budget, per-address unsubscribe locks (taken and released), recording
    assert many <= 70, "a handful of queries per step of the batch, whatever its size"
    assert len(sink.messages) == 46
    assert Message.objects.filter(step=1, status=MessageStatus.SENT).count() == 46
    assert Message.objects.filter(step=2, status=MessageStatus.PLANNED).count() == 46  # the reminders
    assert MessageAttempt.objects.count() == UsageRecord.objects.count() == 46
    assert not Reservation.objects.filter(status="held").exists()


def test_two_messages_of_one_buyer_in_one_chunk_count_against_each_other(shop, alice):
    shop.campaign.cap_messages = 1
    shop.campaign.save()
    other = CampaignFactory(merchant=alice.merchant, cap_messages=1)
    PlanStepFactory(campaign=other, channel="email", account=shop.outbox, position=0)
    (order,) = _plan(shop, 1)  # both campaigns plan a message for the same buyer

    result = dispatch.dispatch_batch(limit=10)

    assert result.claimed == 2
    assert (result.sent, result.skipped) == (1, 1)
    assert result.codes == {Code.FREQUENCY_CAP: 1}
    statuses = sorted(Message.objects.filter(order=order).values_list("status", flat=True))
    assert statuses == [MessageStatus.SENT, MessageStatus.SKIPPED]


def test_a_minimum_gap_holds_the_second_message_of_a_buyer_in_the_same_chunk(shop, alice):
    shop.campaign.min_gap_hours = 16
    shop.campaign.save()
    buyer = shop.order(days_ago=6).buyer
    shop.order(days_ago=6, buyer=buyer)
    planning.plan_due_messages()

    result = dispatch.dispatch_batch(limit=10)

    assert (result.claimed, result.sent, result.waiting) == (2, 1, 1)
    waiting = Message.objects.get(status=MessageStatus.PLANNED)
    assert waiting.reason_code == Code.FREQUENCY_GAP
    sent = Message.objects.get(status=MessageStatus.SENT)
    assert waiting.send_at == sent.counted_at + dt.timedelta(hours=16)


def test_a_render_that_overran_its_time_once_is_rendered_again_not_skipped(shop, monkeypatch):
    from templates_review.rendering import RenderLimitError

    _plan(shop, 2)
    original, stalls = dispatch.render_for_send, []

    def stall_once(**kwargs):
        if not stalls:
            stalls.append(1)
            raise RenderLimitError("rendering took longer than 0.25 s")  # the machine stalled once
        return original(**kwargs)

    monkeypatch.setattr(dispatch, "render_for_send", stall_once)
    result = dispatch.dispatch_batch(limit=10)
    assert (result.sent, result.skipped) == (2, 0)


def test_a_template_that_always_overruns_is_skipped_as_render_failed(shop, monkeypatch):
    from templates_review.rendering import RenderLimitError

    _plan(shop, 1)

    def always_slow(**kwargs):
        raise RenderLimitError("rendering took longer than 0.25 s")

    monkeypatch.setattr(dispatch, "render_for_send", always_slow)
    result = dispatch.dispatch_batch(limit=10)
    assert (result.sent, result.skipped) == (0, 1)
    assert result.codes == {Code.RENDER_FAILED: 1}
    assert not Reservation.objects.exists()  # nothing was reserved for it
