"""Celery wrappers: ids in, one service call."""

from celery import shared_task


@shared_task
def process_delivery_event_task(event_id: int) -> None:
    from .services import process_delivery_event

    process_delivery_event(event_id=event_id)


@shared_task
def process_pending_delivery_events_task() -> int:
    from .services import process_pending_delivery_events

    return process_pending_delivery_events()


@shared_task
def confirm_sns_subscription_task(account_id: int, subscribe_url: str) -> None:
    from .webhooks.sns import confirm_subscription

    confirm_subscription(account_id=account_id, subscribe_url=subscribe_url)
