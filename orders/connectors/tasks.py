"""Celery tasks of the connectors: ids in, one service call. A platform that answers 429 / 5xx is retried
later with backoff (the cursor or the pending rows keep what is left, so nothing is lost)."""

from __future__ import annotations

from celery import shared_task

from .base import PlatformError

MAX_RETRIES = 8


def _countdown(exc: PlatformError, retries: int) -> int:
    backoff = min(3600, 30 * 2**retries)
    return int(max(exc.retry_after or 0, backoff))


@shared_task
def process_webhook_event_task(event_id: int) -> str:
    from .services import process_webhook_event

    return process_webhook_event(event_id=event_id)


@shared_task(bind=True, max_retries=MAX_RETRIES)
def poll_connection_task(self, connection_id: int, backfill_days: int | None = None) -> dict:
    from .services import poll_connection

    try:
        result = poll_connection(connection_id=connection_id, backfill_days=backfill_days)
    except PlatformError as exc:
        if not exc.retryable:
            return {"error": exc.message}
        raise self.retry(countdown=_countdown(exc, self.request.retries), exc=exc) from None
    return {"fetched": result.fetched, "created": result.created, "updated": result.updated}


@shared_task(bind=True, max_retries=MAX_RETRIES)
def register_trackings_task(self, connection_id: int) -> dict:
    from .services import register_pending_trackings

    try:
        return register_pending_trackings(connection_id=connection_id)
    except PlatformError as exc:
        if not exc.retryable:
            return {"error": exc.message}
        raise self.retry(countdown=_countdown(exc, self.request.retries), exc=exc) from None


def _poll_all(kind: str) -> int:
    from .services import pollable_connection_ids

    ids = pollable_connection_ids(kind)
    for pk in ids:
        poll_connection_task.delay(pk)
    return len(ids)


@shared_task
def poll_woocommerce_task() -> int:
    """Reconciliation: WooCommerce never retries a failed webhook, so every store is read back."""
    return _poll_all("woocommerce")


@shared_task
def poll_amazon_task() -> int:
    return _poll_all("amazon")


@shared_task
def poll_shopify_task() -> int:
    """Catches what webhooks missed (Shopify drops a subscription after 48 hours of failures)."""
    return _poll_all("shopify")


@shared_task
def connector_housekeeping_task() -> dict:
    """Register shipped orders with trackers, retry events waiting for their order or stuck pending, drop
    old bodies."""
    from accounts.models import Merchant

    from .models import WebhookEvent
    from .services import (
        process_stuck_events,
        purge_old_webhook_events,
        retry_waiting_events,
        sweep_tracking_registrations,
    )

    queued = sweep_tracking_registrations()
    retried = 0
    for merchant in Merchant.objects.filter(
        pk__in=WebhookEvent.objects.filter(status=WebhookEvent.Status.WAITING).values("merchant_id")
    ):
        retried += retry_waiting_events(merchant=merchant)
    stuck = process_stuck_events()
    return {"registrations": queued, "retried": retried, "stuck": stuck, "purged": purge_old_webhook_events()}
