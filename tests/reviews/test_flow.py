"""One order, from signed-for to the outbox: plan, dispatch, bill, once."""

import pytest

from billing.models import UsageRecord
from channels.models import OutboxMessage
from reviews import services
from reviews.codes import Code
from reviews.models import Message, MessageAttempt, MessageStatus

pytestmark = pytest.mark.django_db


def test_an_order_delivered_six_days_ago_is_planned_sent_once_and_billed(shop):
    order = shop.order(days_ago=6)

    assert services.plan_due_messages().planned == 1
    message = Message.objects.get(order=order)
    assert message.status == MessageStatus.PLANNED
    assert message.channel == "email"

    result = services.dispatch_due(max_seconds=5)
    assert result.sent == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.cost is not None
    outbox = OutboxMessage.objects.get(message_ref=message.ref)
    assert outbox.to == order.buyer.email
    assert order.number in outbox.subject
    assert "/campaigns/r/" in outbox.text_body
    assert UsageRecord.objects.filter(message_ref=message.ref).count() == 1
    assert MessageAttempt.objects.filter(message=message, outcome="accepted").count() == 1

    # a second run of both plans and sends nothing
    assert services.plan_due_messages().planned == 0
    assert services.dispatch_due(max_seconds=5).claimed == 0
    assert OutboxMessage.objects.filter(message_ref=message.ref).count() == 1


def test_an_order_delivered_four_days_ago_is_not_planned_yet(shop):
    shop.order(days_ago=4)
    assert services.plan_due_messages().planned == 0
    assert not Message.objects.exists()


def test_an_order_older_than_the_maximum_age_is_never_planned(shop):
    shop.order(days_ago=shop.campaign.max_age_days + 1)
    assert services.plan_due_messages().planned == 0


def test_a_draft_campaign_plans_nothing(shop):
    shop.campaign.status = "draft"
    shop.campaign.save()
    shop.order(days_ago=6)
    assert services.plan_due_messages().planned == 0


def test_no_approved_template_skips_with_a_code(shop):
    from templates_review.models import TemplateVersion

    TemplateVersion.objects.filter(merchant=shop.merchant).update(status="superseded")
    order = shop.order(days_ago=6)
    services.plan_due_messages()
    services.dispatch_due(max_seconds=5)
    message = Message.objects.get(order=order)
    assert message.status == MessageStatus.SKIPPED
    assert message.reason_code == Code.NO_TEMPLATE
