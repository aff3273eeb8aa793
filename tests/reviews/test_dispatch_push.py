"""Campaign plan steps on app push (FCM) and web push: the buyer's registered device instead of an address,
sent through the local FCM / web-push fakes, billed as "push", and the plan's next channel when the buyer
has no subscription or the push service says it is gone."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.models import UsageRecord
from channels.fakes.push import FakeBrowser
from channels.models import OutboxMessage
from orders.models import PushSubscription
from reviews import dispatch, planning, services
from reviews.codes import Code
from reviews.models import Message, MessageStatus
from tests.factories.channels import fcm_account, web_push_account
from tests.factories.orders import PushSubscriptionFactory
from tests.factories.reviews import PlanStepFactory, approved_template

pytestmark = pytest.mark.django_db


def _noon_tomorrow() -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)


def _dispatch(rounds: int = 3) -> int:
    at = _noon_tomorrow()
    return sum(dispatch.dispatch_batch(now=at).sent for _ in range(rounds))


def _push_first(shop, account, channel):
    """The plan: the push step first, the shop's email step second."""
    shop.campaign.plan_steps.update(position=1)
    PlanStepFactory(campaign=shop.campaign, channel=channel, account=account, position=0)
    approved_template(
        shop.merchant,
        channel="push",
        locale="en",
        subject="Thanks from {{ store.name }}",
        body_text="How is order {{ order.number }}? Tell others.",
        link="{{ review_link }}",
    )


@pytest.fixture
def push_fake(fake):
    fake.state.fcm_keys = {}
    fake.state.fcm_tokens.clear()
    fake.state.fcm_messages.clear()
    fake.state.webpush_subscriptions.clear()
    fake.state.webpush_messages.clear()
    return fake


def test_an_app_push_step_sends_through_fcm_and_is_recorded_as_sent_and_billed(shop, push_fake):
    account = fcm_account(shop.merchant, push_fake)
    _push_first(shop, account, "push")
    order = shop.order(days_ago=6)
    device = PushSubscriptionFactory(buyer=order.buyer, kind="fcm")
    planning.plan_due_messages()

    assert _dispatch() == 1

    message = Message.objects.get(order=order)
    assert (message.status, message.channel, message.plan_index) == (MessageStatus.SENT, "push", 0)
    assert message.provider_message_id.startswith("projects/linkstar-test/messages/")
    (sent,) = push_fake.state.fcm_messages
    assert sent["message"]["token"] == device.token
    assert sent["message"]["notification"] == {
        "title": f"Thanks from {order.store.name}",
        "body": f"How is order {order.number}? Tell others.",
    }
    assert sent["message"]["data"]["linkstar_ref"] == str(message.ref)
    # the tracked review link of this message (its signature part differs between two signings)
    assert sent["message"]["data"]["link"].rsplit("/", 2)[0] == dispatch.review_link(message).rsplit("/", 2)[0]
    usage = UsageRecord.objects.get(message_ref=message.ref)
    assert (usage.channel, usage.amount) == ("push", Decimal("0.0002"))
    assert message.cost == Decimal("0.0002")
    assert not OutboxMessage.objects.exists()  # the email step was not needed


def test_a_web_push_step_is_encrypted_for_the_buyers_browser(shop, push_fake):
    account = web_push_account(shop.merchant)
    _push_first(shop, account, "web_push")
    order = shop.order(days_ago=6)
    browser = FakeBrowser(push_fake).subscribe(account.config["vapid_public_key"])
    PushSubscriptionFactory(
        buyer=order.buyer,
        kind="web_push",
        token="",
        endpoint=browser.endpoint,
        p256dh=browser.p256dh,
        auth=browser.auth,
    )
    planning.plan_due_messages()

    assert _dispatch() == 1

    message = Message.objects.get(order=order)
    assert (message.status, message.channel) == (MessageStatus.SENT, "web_push")
    (received,) = push_fake.state.webpush_messages
    payload = json.loads(received["payload"])
    assert payload["title"] == f"Thanks from {order.store.name}"
    assert payload["ref"] == str(message.ref)
    assert UsageRecord.objects.get(message_ref=message.ref).channel == "push"


def test_a_buyer_without_an_active_push_subscription_falls_back_to_the_next_channel(shop, push_fake):
    account = fcm_account(shop.merchant, push_fake)
    _push_first(shop, account, "push")
    order = shop.order(days_ago=6)
    PushSubscriptionFactory(buyer=order.buyer, kind="fcm", status=PushSubscription.Status.GONE)
    PushSubscriptionFactory(buyer=order.buyer, kind="web_push")  # another kind does not count
    planning.plan_due_messages()

    assert _dispatch() == 1

    message = Message.objects.get(order=order)
    assert (message.status, message.channel, message.plan_index) == (MessageStatus.SENT, "email", 1)
    assert not push_fake.state.fcm_messages
    assert OutboxMessage.objects.count() == 1


def test_a_gone_device_token_is_marked_gone_and_the_message_falls_back_to_email(shop, push_fake):
    account = fcm_account(shop.merchant, push_fake)
    _push_first(shop, account, "push")
    order = shop.order(days_ago=6)
    device = PushSubscriptionFactory(buyer=order.buyer, kind="fcm", token="gone-" + "a" * 40)
    planning.plan_due_messages()

    assert _dispatch() == 1

    message = Message.objects.get(order=order)
    assert (message.status, message.channel, message.plan_index) == (MessageStatus.SENT, "email", 1)
    attempts = list(message.attempts.order_by("number").values_list("channel", "outcome", "error_code"))
    assert attempts[0] == ("push", "permanent_failure", "subscription_gone")
    device.refresh_from_db()
    assert (device.status, device.token) == (PushSubscription.Status.GONE, "")
    assert UsageRecord.objects.filter(message_ref=message.ref).get().channel == "email"


def test_a_marketing_push_needs_a_consent_no_push_record_can_give(shop, push_fake):
    account = fcm_account(shop.merchant, push_fake)
    shop.campaign.plan_steps.all().delete()
    PlanStepFactory(campaign=shop.campaign, channel="push", account=account, position=0)
    shop.campaign.message_class = "marketing"
    shop.campaign.save(update_fields=["message_class"])
    order = shop.order(days_ago=6)
    PushSubscriptionFactory(buyer=order.buyer, kind="fcm")

    code, _address, _version = dispatch.usable_step(
        shop.campaign, order, shop.campaign.plan_steps.get(), variant="", cache={}
    )

    assert code == Code.NO_CONSENT


def test_a_push_step_needs_an_account_of_its_kind(shop, push_fake):
    fcm = fcm_account(shop.merchant, push_fake)
    steps = [{"country": "*", "position": 0, "channel": "web_push", "account": fcm, "template_name": ""}]
    with pytest.raises(ValidationError):
        services.update_campaign(campaign=shop.campaign, data={}, steps=steps, variants=[])
    steps[0]["channel"] = "push"
    services.update_campaign(campaign=shop.campaign, data={}, steps=steps, variants=[])
    assert list(shop.campaign.plan_steps.values_list("channel", "account")) == [("push", fcm.pk)]
