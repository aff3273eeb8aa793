"""Celery wrappers: ids in, one service call."""

from celery import shared_task
from django.conf import settings


@shared_task
def plan_due_messages_task() -> int:
    from .planning import plan_due_messages

    return plan_due_messages().planned


@shared_task
def plan_order_events_task(event_ids: list[int]) -> int:
    """Fulfilment notices for order events just recorded (queued after their commit), then a dispatch kick."""
    from .notices import plan_order_events

    planned = plan_order_events(event_ids=event_ids).planned
    if planned:
        kick_dispatch_task.delay()
    return planned


@shared_task
def dispatch_due_task() -> int:
    """One worker's loop over due batches (SKIP LOCKED lets any number run side by side)."""
    from .dispatch import dispatch_due

    return dispatch_due(max_seconds=float(getattr(settings, "REVIEWS_WORKER_SECONDS", 50))).sent


@shared_task
def kick_dispatch_task() -> int:
    """Beat's kick: expire silent leases, then start the configured number of dispatch loops if work is due."""
    from django.utils import timezone

    from .dispatch import expire_leases
    from .models import Message

    expire_leases()
    if not Message.objects.due(timezone.now()).exists():
        return 0
    loops = max(1, int(getattr(settings, "REVIEWS_DISPATCH_LOOPS", 2)))
    for _ in range(loops):
        dispatch_due_task.delay()
    return loops


@shared_task
def delivery_event_task(
    merchant_id: int, message_ref: str, event_type: str, occurred_at: str, provider_event_id: str, detail: str
) -> None:
    from django.utils.dateparse import parse_datetime

    from .services import on_delivery_event

    on_delivery_event(
        merchant_id=merchant_id,
        message_ref=message_ref,
        event_type=event_type,
        occurred_at=parse_datetime(occurred_at),
        provider_event_id=provider_event_id,
        detail=detail,
    )
