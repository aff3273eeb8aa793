"""Beat and a real Celery worker; what providers and privacy requests do to messages; the API."""

import datetime as dt
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from django.utils import timezone

from billing.models import Reservation, UsageRecord
from channels.models import OutboxMessage
from linkstar.celery import app
from orders import services as order_services
from reviews import dispatch, planning, services, tasks
from reviews.codes import Code
from reviews.models import Message, MessageStatus


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def celery_worker():
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=10) as w:
            yield w
    finally:
        app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
def test_beat_tasks_with_a_real_worker_turn_due_orders_into_sent_messages(shop, celery_worker, settings):
    settings.REVIEWS_DISPATCH_LOOPS = 2
    orders = [shop.order(days_ago=6) for _ in range(12)]
    tasks.plan_due_messages_task.delay()
    assert _wait_for(lambda: Message.objects.count() == 12)
    tasks.kick_dispatch_task.delay()
    assert _wait_for(lambda: Message.objects.filter(status=MessageStatus.SENT).count() == 12)
    refs = list(OutboxMessage.objects.values_list("message_ref", flat=True))
    assert len(refs) == len(set(refs)) == 12
    assert {m.order_id for m in Message.objects.all()} == {o.pk for o in orders}


@pytest.mark.django_db
def test_periodic_jobs_are_registered_for_beat():
    from linkstar.periodic import all_specs

    tasks_by_name = {s.name: s.task for s in all_specs()}
    assert tasks_by_name["reviews: plan due messages"] == "reviews.tasks.plan_due_messages_task"
    assert tasks_by_name["reviews: kick dispatch"] == "reviews.tasks.kick_dispatch_task"


@pytest.mark.django_db
def test_a_delivery_event_moves_the_message_forward(shop):
    order = shop.order(days_ago=6)
    planning.plan_due_messages()
    dispatch.dispatch_due(max_seconds=5)
    message = Message.objects.get(order=order)
    at = timezone.now()
    services.on_delivery_event(merchant_id=shop.merchant.pk, message_ref=message.ref, event_type="delivered",
                               occurred_at=at)  # fmt: skip
    message.refresh_from_db()
    assert (message.status, message.delivered_at) == (MessageStatus.DELIVERED, at)
    # another merchant's event for the same reference changes nothing
    services.on_delivery_event(merchant_id=shop.merchant.pk + 999, message_ref=message.ref, event_type="bounced",
                               occurred_at=at)  # fmt: skip
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


@pytest.mark.django_db
def test_an_unknown_message_proven_sent_by_the_provider_is_billed_then(shop):
    order = shop.order(days_ago=6)
    planning.plan_due_messages()
    message = Message.objects.get(order=order)
    from billing.services import authorize_send

    assert authorize_send(merchant=shop.merchant, message_ref=message.ref, channel="email", country="US",
                          message_class="utility").ok  # fmt: skip
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.UNKNOWN, reason_code=Code.PROVIDER_UNKNOWN)
    services.on_delivery_event(merchant_id=shop.merchant.pk, message_ref=message.ref, event_type="delivered",
                               occurred_at=timezone.now())  # fmt: skip
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert UsageRecord.objects.filter(message_ref=message.ref).count() == 1
    assert Reservation.objects.get(message_ref=message.ref).status == "consumed"


@pytest.mark.django_db
def test_a_bounce_marks_the_message_failed(shop):
    order = shop.order(days_ago=6)
    planning.plan_due_messages()
    dispatch.dispatch_due(max_seconds=5)
    message = Message.objects.get(order=order)
    services.on_delivery_event(merchant_id=shop.merchant.pk, message_ref=message.ref, event_type="bounced",
                               occurred_at=timezone.now(), detail="550 no such user")  # fmt: skip
    message.refresh_from_db()
    assert (message.status, message.reason_code) == (MessageStatus.FAILED, Code.BOUNCED)


@pytest.mark.django_db
def test_a_buyer_export_lists_messages_and_erasure_skips_waiting_ones(shop):
    order = shop.order(days_ago=6)
    shop.campaign.window_start, shop.campaign.window_end = dt.time(0), dt.time(0, 1)
    shop.campaign.send_days = []
    shop.campaign.save()
    planning.plan_due_messages()
    message = Message.objects.get(order=order)
    export = order_services.export_buyer(order.buyer)
    assert export["messages"]["messages"][0]["message_ref"] == message.ref
    order_services.erase_buyer(order.buyer)
    message.refresh_from_db()
    assert (message.status, message.reason_code) == (MessageStatus.SKIPPED, Code.BUYER_ERASED)


@pytest.mark.django_db
def test_api_creates_a_campaign_activates_it_and_lists_its_messages(shop, api_a):
    body = {
        "name": "API campaign",
        "delay_days": 5,
        "message_class": "utility",
        "plan": [{"country": "*", "position": 0, "channel": "email", "account": shop.outbox.pk}],
        "variants": [{"name": "A", "weight": 1}],
    }
    response = api_a.post(reverse("reviews-api:campaign-list"), body, format="json")
    assert response.status_code == 201, response.json()
    campaign_id = response.json()["id"]
    assert response.json()["status"] == "draft"
    response = api_a.post(reverse("reviews-api:campaign-status", args=[campaign_id]), {"status": "active"},
                          format="json")  # fmt: skip
    assert response.status_code == 200 and response.json()["status"] == "active"
    shop.order(days_ago=6)
    planning.plan_due_messages()
    listed = api_a.get(reverse("reviews-api:message-list"), {"campaign": campaign_id}).json()
    assert listed["count"] == 1 and listed["results"][0]["status"] == "planned"
    bad = api_a.get(reverse("reviews-api:message-list"), {"status": "nonsense"})
    assert bad.status_code == 400


@pytest.mark.django_db
def test_api_refuses_an_account_of_another_merchant_and_deleting_an_active_campaign(shop, api_a, bob):
    from tests.factories.channels import ChannelAccountFactory

    foreign = ChannelAccountFactory(merchant=bob.merchant)
    body = {"name": "Bad", "plan": [{"country": "*", "position": 0, "channel": "email", "account": foreign.pk}]}
    response = api_a.post(reverse("reviews-api:campaign-list"), body, format="json")
    assert response.status_code == 400
    assert "plan" in response.json()["errors"]
    response = api_a.delete(reverse("reviews-api:campaign-detail", args=[shop.campaign.pk]))
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("reference", ["", "not-a-uuid", "canary-7f3a"])
def test_a_delivery_event_naming_no_message_of_ours_is_ignored_quietly(shop, reference):
    # providers echo whatever metadata a sender set; a reference that is not a UUID used to raise in the task
    order = shop.order(days_ago=6)
    planning.plan_due_messages()
    services.on_delivery_event(merchant_id=shop.merchant.pk, message_ref=reference, event_type="bounced",
                               occurred_at=timezone.now())  # fmt: skip
    assert Message.objects.get(order=order).status == MessageStatus.PLANNED
