"""Dispatch rules one by one: leases, stops mid-batch, budget, retries, fallback, test mode, consent."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import BudgetCap, UsageRecord
from channels.fakes.smtp import FakeSmtpServer
from channels.models import OutboxMessage
from channels.senders.outbox import OutboxSender
from orders.models import Consent
from reviews import dispatch, planning, services
from reviews.codes import Code
from reviews.models import Message, MessageStatus
from tests.factories.channels import ChannelAccountFactory, SuppressionEntryFactory, smtp_account, twilio_account
from tests.factories.reviews import PlanStepFactory, approved_template

pytestmark = pytest.mark.django_db


def _plan(shop, n=1, **order_fields):
    orders = [shop.order(days_ago=6, **order_fields) for _ in range(n)]
    planning.plan_due_messages()
    return orders


def test_a_claim_whose_lease_expired_becomes_unknown_and_is_never_resent(shop, settings):
    (order,) = _plan(shop)
    now = timezone.now()
    claimed = dispatch.claim(now=now, limit=10, token="dead-worker")  # a worker that claims and dies
    assert len(claimed) == 1

    later = now + dt.timedelta(seconds=settings.REVIEWS_LEASE_SECONDS + 1)
    assert dispatch.expire_leases(now=later) == 1
    message = Message.objects.get(order=order)
    assert message.status == MessageStatus.UNKNOWN
    assert message.reason_code == Code.LEASE_EXPIRED

    assert dispatch.dispatch_batch(now=later).claimed == 0
    assert not OutboxMessage.objects.exists()


def test_a_worker_whose_lease_expired_before_it_sent_sends_nothing(shop, settings):
    (order,) = _plan(shop)
    message = Message.objects.get(order=order)
    original = dispatch._send_group

    def slow_group(account, group, **kwargs):
        dispatch.expire_leases(now=timezone.now() + dt.timedelta(seconds=settings.REVIEWS_LEASE_SECONDS + 5))
        return original(account, group, **kwargs)

    dispatch._send_group, saved = slow_group, dispatch._send_group
    try:
        result = dispatch.dispatch_batch()
    finally:
        dispatch._send_group = saved
    message.refresh_from_db()
    # the row had become `unknown` before the send: the worker no longer owns it and sends nothing
    assert result.sent == 0
    assert message.status == MessageStatus.UNKNOWN
    assert OutboxMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("stop", "code"),
    [
        ("campaign", Code.CAMPAIGN_PAUSED),
        ("merchant", Code.MERCHANT_PAUSED),
        ("global", Code.GLOBAL_STOP),
    ],
)
def test_a_pause_or_emergency_stop_is_honoured_mid_batch(shop, settings, monkeypatch, stop, code):
    settings.REVIEWS_STOP_CHECK_SECONDS = 0
    settings.REVIEWS_SEND_CHUNK = 5
    _plan(shop, 30)
    original = OutboxSender.send
    calls = []

    def send_then_stop(self, message):
        calls.append(message.message_ref)
        if len(calls) == 2:
            if stop == "campaign":
                services.set_campaign_status(campaign=shop.campaign, status="paused")
            elif stop == "merchant":
                from accounts.models import Merchant

                Merchant.objects.filter(pk=shop.merchant.pk).update(status=Merchant.Status.PAUSED)
            else:
                services.set_global_stop(stopped=True, reason="incident")
        return original(self, message)

    monkeypatch.setattr(OutboxSender, "send", send_then_stop)
    result = dispatch.dispatch_batch(limit=30)

    assert result.sent == 5  # the chunk under way finishes; nothing after it
    assert Message.objects.filter(status=MessageStatus.PLANNED, reason_code=code).count() == 25
    assert dispatch.dispatch_batch(limit=30).claimed == 0  # still stopped: nothing is even claimed
    assert not UsageRecord.objects.filter(
        message_ref__in=[str(r) for r in Message.objects.filter(status="planned").values_list("message_ref", flat=True)]
    ).exists()


def test_resuming_a_paused_campaign_sends_the_rest_once(shop, settings):
    _plan(shop, 3)
    services.set_campaign_status(campaign=shop.campaign, status="paused")
    assert dispatch.dispatch_batch().claimed == 0
    services.set_campaign_status(campaign=shop.campaign, status="active")
    assert dispatch.dispatch_due(max_seconds=5).sent == 3
    assert OutboxMessage.objects.count() == 3


def test_stopping_a_campaign_skips_its_planned_messages(shop):
    _plan(shop, 2)
    services.set_campaign_status(campaign=shop.campaign, status="stopped")
    assert set(Message.objects.values_list("status", "reason_code")) == {("skipped", Code.CAMPAIGN_STOPPED)}


def test_reaching_the_budget_cap_stops_the_merchants_sends(shop):
    BudgetCap.objects.filter(merchant=shop.merchant).update(monthly_limit=Decimal("0.005"))  # five emails
    _plan(shop, 8)
    result = dispatch.dispatch_due(max_seconds=5)
    assert result.sent == 5
    waiting = Message.objects.filter(status=MessageStatus.PLANNED)
    assert waiting.count() == 3
    assert set(waiting.values_list("reason_code", flat=True)) == {Code.MONTHLY_CAP_REACHED}
    assert all(m.send_at > timezone.now() for m in waiting)
    assert UsageRecord.objects.filter(merchant=shop.merchant).count() == 5


def test_a_temporary_failure_retries_with_backoff_then_gives_up(shop, settings):
    settings.REVIEWS_MAX_ATTEMPTS = 2
    with FakeSmtpServer() as sink:
        account = smtp_account(shop.merchant, sink)
        shop.campaign.plan_steps.update(account=account)
        (order,) = _plan(shop, buyer_fields={"email": "tempfail@example.test"})
        dispatch.dispatch_batch()
        message = Message.objects.get(order=order)
        assert message.status == MessageStatus.PLANNED
        assert message.reason_code == Code.RETRYING
        assert message.attempt_count == 1
        assert message.send_at > timezone.now() + dt.timedelta(seconds=50)

        dispatch.dispatch_batch(now=message.send_at + dt.timedelta(seconds=1))
        message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.reason_code == Code.RETRIES_EXHAUSTED
    assert list(message.attempts.values_list("outcome", flat=True)) == ["temporary_failure"] * 2
    assert not UsageRecord.objects.filter(message_ref=message.ref).exists()


def test_a_lost_smtp_answer_is_unknown_and_never_resent(shop):
    with FakeSmtpServer() as sink:
        account = smtp_account(shop.merchant, sink)
        shop.campaign.plan_steps.update(account=account)
        (order,) = _plan(shop, buyer_fields={"email": "drop@example.test"})
        dispatch.dispatch_due(max_seconds=5)
        message = Message.objects.get(order=order)
        assert message.status == MessageStatus.UNKNOWN
        assert message.reason_code == Code.PROVIDER_UNKNOWN
        assert dispatch.dispatch_due(max_seconds=5).claimed == 0


def _noon_tomorrow() -> dt.datetime:
    """Inside the US SMS / WhatsApp hours (08:00-21:00) of these tests' UTC buyers, whenever the suite runs."""
    return (timezone.now() + dt.timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)


def _dispatch_at(at: dt.datetime, rounds: int = 3) -> int:
    return sum(dispatch.dispatch_batch(now=at).sent for _ in range(rounds))


def test_a_missing_email_falls_back_to_sms(shop, fake):
    sms = twilio_account(shop.merchant, fake)
    approved_template(shop.merchant, channel="sms", locale="en")
    PlanStepFactory(campaign=shop.campaign, channel="sms", account=sms, position=1)
    (order,) = _plan(shop, buyer_fields={"email": "", "phone": "+14155550100"})
    assert _dispatch_at(_noon_tomorrow()) == 1
    message = Message.objects.get(order=order)
    assert (message.status, message.channel) == (MessageStatus.SENT, "sms")
    assert message.provider_message_id.startswith("SM")
    sent = [r for r in fake.state.requests if r.path.endswith("/Messages.json")]
    assert len(sent) == 1 and b"%2B14155550100" in sent[0].body


def test_whatsapp_63016_falls_back_to_sms_once(shop, fake):
    shop.campaign.plan_steps.all().delete()
    whatsapp = twilio_account(shop.merchant, fake, kind="twilio_whatsapp")
    sms = twilio_account(shop.merchant, fake)
    approved_template(shop.merchant, channel="whatsapp", locale="en")
    approved_template(shop.merchant, channel="sms", locale="en")
    PlanStepFactory(campaign=shop.campaign, country="US", channel="whatsapp", account=whatsapp, position=0)
    PlanStepFactory(campaign=shop.campaign, country="US", channel="sms", account=sms, position=1)
    fake.state.whatsapp_window_closed.add("+14155550100")
    (order,) = _plan(shop, buyer_fields={"phone": "+14155550100"})

    _dispatch_at(_noon_tomorrow())
    message = Message.objects.get(order=order)
    assert (message.status, message.channel, message.plan_index) == (MessageStatus.SENT, "sms", 1)
    attempts = list(message.attempts.values_list("channel", "outcome", "error_code"))
    assert attempts == [
        ("whatsapp", "permanent_failure", "outside_session_window"),
        ("sms", "accepted", ""),
    ]
    assert UsageRecord.objects.get(message_ref=message.ref).channel == "sms"
    posts = [r for r in fake.state.requests if r.path.endswith("/Messages.json")]
    assert len(posts) == 2


def test_test_mode_never_reaches_a_buyer_outside_the_allow_list(shop):
    shop.campaign.test_mode = True
    shop.campaign.test_recipients = ["Tester@Example.test"]
    shop.campaign.save()
    allowed, other = _plan(shop, 1, buyer_fields={"email": "tester@example.test"}) + _plan(shop, 1)
    dispatch.dispatch_due(max_seconds=5)
    assert list(OutboxMessage.objects.values_list("to", flat=True)) == ["tester@example.test"]
    assert Message.objects.get(order=other).reason_code == Code.TEST_MODE
    assert Message.objects.get(order=allowed).status == MessageStatus.SENT


def test_a_suppressed_address_is_skipped_with_its_code(shop):
    from linkstar.identity import email_hash

    (order,) = _plan(shop)
    SuppressionEntryFactory(
        merchant=shop.merchant, channel="email", address=order.buyer.email,
        address_hash=email_hash(shop.merchant.pk, order.buyer.email),
    )  # fmt: skip
    dispatch.dispatch_due(max_seconds=5)
    assert Message.objects.get(order=order).reason_code == Code.SUPPRESSED
    assert not OutboxMessage.objects.exists()


def test_a_marketing_message_needs_consent_and_a_withdrawal_blocks_any(shop):
    shop.campaign.message_class = "marketing"
    shop.campaign.save()
    without, granted = _plan(shop, 2)
    Consent.objects.create(
        merchant=shop.merchant, buyer=granted.buyer, channel="email", status="granted", lawful_basis="consent",
        recorded_at=timezone.now() - dt.timedelta(days=30),
    )  # fmt: skip
    dispatch.dispatch_due(max_seconds=5)
    assert Message.objects.get(order=without).reason_code == Code.NO_CONSENT
    assert Message.objects.get(order=granted).status == MessageStatus.SENT


def test_a_reminder_is_planned_after_the_first_send_and_skipped_once_the_buyer_clicked(shop, client):
    shop.campaign.reminder_days = 3
    shop.campaign.save()
    (order,) = _plan(shop)
    dispatch.dispatch_due(max_seconds=5)
    reminder = Message.objects.get(order=order, step=2)
    assert reminder.status == MessageStatus.PLANNED
    outbox = OutboxMessage.objects.get()
    link = next(w for w in outbox.text_body.split() if "/campaigns/r/" in w)
    assert client.get(link.replace("http://testserver", "")).status_code in (200, 302)

    dispatch.dispatch_batch(now=reminder.send_at + dt.timedelta(minutes=1))
    reminder.refresh_from_db()
    assert reminder.status == MessageStatus.SKIPPED
    assert reminder.reason_code == Code.REMINDER_NOT_NEEDED


def test_the_campaign_daily_cap_defers_the_rest_to_tomorrow(shop):
    shop.campaign.daily_cap = 2
    shop.campaign.save()
    _plan(shop, 4)
    assert dispatch.dispatch_due(max_seconds=5).sent == 2
    assert set(Message.objects.filter(status=MessageStatus.PLANNED).values_list("reason_code", flat=True)) == {
        Code.CAMPAIGN_DAILY_CAP
    }


def test_a_gap_under_the_minimum_defers_instead_of_dropping(shop):
    shop.campaign.min_gap_hours = 16
    shop.campaign.save()
    buyer_order = shop.order(days_ago=6)
    shop.order(days_ago=7, buyer=buyer_order.buyer)
    planning.plan_due_messages()
    dispatch.dispatch_due(max_seconds=5)
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 1
    waiting = Message.objects.get(status=MessageStatus.PLANNED)
    assert waiting.reason_code == Code.FREQUENCY_GAP
    assert waiting.send_at > timezone.now() + dt.timedelta(hours=15)


def test_an_account_of_another_kind_cannot_join_the_plan(shop, bob):
    foreign = ChannelAccountFactory(merchant=bob.merchant, kind="outbox")
    with pytest.raises(Exception, match="another merchant"):
        services.update_campaign(
            campaign=shop.campaign,
            data={},
            steps=[{"country": "*", "position": 0, "channel": "email", "account": foreign}],
        )


def test_an_amazon_order_is_solicited_through_the_sp_api_once(shop, fake):
    from orders.models import Platform
    from tests.factories.channels import amazon_account
    from tests.factories.orders import StoreFactory

    store = StoreFactory(merchant=shop.merchant, platform=Platform.AMAZON)
    account = amazon_account(shop.merchant, fake)
    PlanStepFactory(campaign=shop.campaign, channel="amazon", account=account, position=1)
    earliest = (timezone.now() - dt.timedelta(days=8)).date()
    order = shop.order(
        store=store,
        external_id="114-1234567-7654321",
        earliest_delivery_date=earliest,
        latest_delivery_date=earliest,
        buyer_fields={"email": "q1w2e3@marketplace.amazon.com", "email_is_relay": True},
    )
    planning.plan_due_messages()
    dispatch.dispatch_due(max_seconds=10)
    dispatch.dispatch_due(max_seconds=10)
    message = Message.objects.get(order=order)
    assert (message.status, message.channel) == (MessageStatus.SENT, "amazon")
    assert message.provider_message_id.startswith("114-1234567-7654321")
    posts = [r for r in fake.state.requests if r.method == "POST" and "/solicitations/" in r.path]
    assert len(posts) == 1
    assert not OutboxMessage.objects.exists()  # nothing went out by email
