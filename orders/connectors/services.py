"""Writes for connectors: connect a platform, store and process webhook events, poll, register tracking
numbers, keep each connection's health. Orders themselves are written only through `orders.services`.

connect(merchant=, kind=, label=, credentials=, store=None)      a new connection (and its store)
update_credentials(connection=, values=)                         blank values keep the stored secret
test_connection(connection=)                                     the platform's answer, or its error
receive_webhook(connection=, topic=, event_id=, body=, headers=) store once, queue after commit
process_webhook_event(event_id=)                                 the task's work
poll_connection(connection_id=, backfill_days=None)              one poll / backfill run
queue_tracking_registrations(merchant=, order_ids=)              hand shipped orders to the trackers
register_pending_trackings(connection_id=)                       the registration task's work
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Merchant

from .. import services as order_services
from ..models import Order, Platform, Store
from .base import PlatformError, PollResult, parse_time
from .models import STORE_KINDS, Connection, TrackingRegistration, WebhookEvent
from .registry import connector_for
from .trackers import Registration

logger = logging.getLogger(__name__)

PLATFORM_OF_KIND = {"shopify": Platform.SHOPIFY, "woocommerce": Platform.WOOCOMMERCE, "amazon": Platform.AMAZON}
REGISTRATION_BATCH = 40
REGISTRATION_MAX_AGE = dt.timedelta(days=30)
WAITING_MAX_AGE = dt.timedelta(days=30)
MAX_EVENT_ATTEMPTS = 5


# --- connecting --------------------------------------------------------------------------------------------


def _clean_credentials(kind: str, values: dict[str, Any], existing: dict[str, Any]) -> dict[str, Any]:
    connector = connector_for(kind)
    merged = dict(existing)
    for spec in connector.fields:
        value = values.get(spec.name)
        value = value.strip() if isinstance(value, str) else value
        if value:
            merged[spec.name] = value
        elif not spec.secret:
            merged[spec.name] = ""  # a plain setting may be cleared; a blank secret keeps the stored one
    missing = [str(spec.label) for spec in connector.fields if spec.required and not merged.get(spec.name)]
    if missing:
        raise ValidationError(_("Missing: %(fields)s.") % {"fields": ", ".join(missing)})
    return merged


@transaction.atomic
def connect(
    *, merchant: Merchant, kind: str, label: str, credentials: dict[str, Any], store: Store | None = None
) -> Connection:
    """Connect a platform. A store platform gets its store (created here when not given); a tracker is one
    per merchant and kind."""
    clean = _clean_credentials(kind, credentials, {})
    if store is not None and (store.merchant_id != merchant.pk or store.platform != PLATFORM_OF_KIND.get(kind)):
        raise ValidationError(_("This store cannot be connected to this platform."))
    if kind in STORE_KINDS and store is None:
        store = order_services.create_store(
            merchant=merchant,
            name=label,
            platform=PLATFORM_OF_KIND[kind],
            marketplace=str(clean.get("shop_domain") or clean.get("site_url") or clean.get("marketplace_ids") or "")[
                :200
            ],
        )
    connection = Connection(merchant=merchant, kind=kind, label=label, store=store if kind in STORE_KINDS else None)
    connection.credentials = clean
    try:
        with transaction.atomic():
            connection.save()
    except IntegrityError:
        raise ValidationError(_("This platform is already connected.")) from None
    return connection


def update_credentials(*, connection: Connection, values: dict[str, Any], label: str | None = None) -> Connection:
    connection.credentials = _clean_credentials(connection.kind, values, connection.credentials or {})
    fields = ["credentials"]
    if label:
        connection.label = label
        fields.append("label")
    connection.save(update_fields=fields)
    return connection


def set_enabled(*, connection: Connection, enabled: bool) -> Connection:
    connection.enabled = enabled
    connection.save(update_fields=["enabled"])
    return connection


# --- health ------------------------------------------------------------------------------------------------


def record_success(connection: Connection, *, synced: bool = False, message: str | None = None) -> None:
    values: dict[str, Any] = {"consecutive_failures": 0}
    if synced:
        values["last_sync_at"] = timezone.now()
    if message is not None:
        values["last_test_result"] = message
    Connection.objects.filter(pk=connection.pk).update(**values)


def record_failure(connection: Connection, message: str) -> None:
    logger.warning("connection %s (%s) failed: %s", connection.pk, connection.kind, message)
    Connection.objects.filter(pk=connection.pk).update(
        last_error=message[:2000], last_error_at=timezone.now(), consecutive_failures=F("consecutive_failures") + 1
    )


def test_connection(*, connection: Connection) -> tuple[bool, str]:
    """Call the platform; (True, its answer) or (False, a clear error). Kept on the connection."""
    try:
        message = connector_for(connection.kind).test_connection(connection)
    except PlatformError as exc:
        record_failure(connection, exc.message)
        Connection.objects.filter(pk=connection.pk).update(last_test_result=exc.message)
        return False, exc.message
    record_success(connection, message=message)
    return True, message


# --- webhooks ----------------------------------------------------------------------------------------------


def receive_webhook(
    *, connection: Connection, topic: str, event_id: str, body: bytes, headers: dict[str, str]
) -> tuple[WebhookEvent, bool]:
    """Keep a verified webhook once per provider event id and queue its processing after commit.

    Returns (event, created); a replay (same event id) writes and queues nothing."""
    from .tasks import process_webhook_event_task

    with transaction.atomic():
        event, created = WebhookEvent.objects.get_or_create(
            connection=connection,
            event_id=event_id[:200],
            defaults={
                "merchant_id": connection.merchant_id,
                "topic": topic[:100],
                "body": body.decode("utf-8", errors="replace"),
                "headers": headers,
            },
        )
        Connection.objects.filter(pk=connection.pk).update(last_webhook_at=timezone.now())
        if created:
            transaction.on_commit(lambda: process_webhook_event_task.delay(event.pk))
    return event, created


def process_webhook_event(*, event_id: int, retry_waiting: bool = True) -> str:
    """Apply one stored webhook event (the task's work); returns its new status.

    An event whose order is not here yet waits and is tried again when orders arrive; an event that
    breaks is marked failed with the reason (and logged), never retried forever."""
    with transaction.atomic():
        event = (
            WebhookEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("connection__store", "connection__merchant")
            .filter(pk=event_id)
            .first()
        )
        if event is None or event.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
            return event.status if event else "missing"
        connection = event.connection
        try:
            payload = json.loads(event.body) if event.body else {}
            if not isinstance(payload, dict):
                raise ValueError("payload is not an object")
            outcome = connector_for(connection.kind).handle_event(connection, event, payload)
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
            logger.exception("webhook event %s could not be processed", event.pk)
            outcome_status, detail, order_ids = WebhookEvent.Status.FAILED, f"{exc.__class__.__name__}: {exc}", []
        else:
            outcome_status, detail, order_ids = outcome.status, outcome.detail, outcome.order_ids
        event.status = outcome_status
        event.result = detail[:2000]
        event.attempts += 1
        event.processed_at = timezone.now()
        event.save(update_fields=["status", "result", "attempts", "processed_at"])
    if order_ids:
        queue_tracking_registrations(merchant=connection.merchant, order_ids=order_ids)
    if retry_waiting and outcome_status == WebhookEvent.Status.PROCESSED and order_ids:
        retry_waiting_events(merchant=connection.merchant, exclude_id=event_id)
    return outcome_status


def retry_waiting_events(*, merchant: Merchant, exclude_id: int | None = None) -> int:
    """Try again the events that waited for their order (a fulfilment or carrier scan before the order)."""
    since = timezone.now() - WAITING_MAX_AGE
    ids = list(
        WebhookEvent.objects.for_merchant(merchant)
        .filter(status=WebhookEvent.Status.WAITING, received_at__gte=since, attempts__lt=MAX_EVENT_ATTEMPTS * 20)
        .exclude(pk=exclude_id)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:500]
    )
    done = 0
    for pk in ids:
        if process_webhook_event(event_id=pk, retry_waiting=False) == WebhookEvent.Status.PROCESSED:
            done += 1
    return done


def process_stuck_events(*, older_than: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Events still pending long after they arrived (their task was lost, or crashed on a database error):
    process them again. A day later they are left for someone to look at."""
    now = timezone.now()
    ids = list(
        WebhookEvent.objects.filter(
            status=WebhookEvent.Status.PENDING,
            received_at__lt=now - older_than,
            received_at__gte=now - dt.timedelta(days=1),
        )
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        process_webhook_event(event_id=pk)
    return len(ids)


def purge_old_webhook_events(*, older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Raw bodies hold buyers' personal data: drop handled events after a month."""
    deleted, _detail = WebhookEvent.objects.filter(
        received_at__lt=timezone.now() - older_than,
        status__in=[WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED, WebhookEvent.Status.FAILED],
    ).delete()
    return deleted


# --- polls -------------------------------------------------------------------------------------------------


def _since(connection: Connection) -> dt.datetime | None:
    cursor = connection.sync_cursor or {}
    return parse_time(cursor.get("updated_at_min") or cursor.get("modified_after"))


def poll_connection(*, connection_id: int, backfill_days: int | None = None) -> PollResult:
    """One poll (or backfill) of a store platform. Each page is applied, then the cursor moves past it,
    so a 429 / 5xx mid-way (PlatformError, re-raised for the task to retry) loses nothing."""
    connection = Connection.objects.select_related("store", "merchant").get(pk=connection_id)
    connector = connector_for(connection.kind)
    total = PollResult()
    if not connector.can_poll or not connection.enabled:
        return total
    source = connection.kind
    try:
        for rows, cursor in connector.poll(connection, since=_since(connection), backfill_days=backfill_days):
            total.add(_apply_page(connection, rows, source))
            if cursor is not None:
                connection.sync_cursor = cursor
                Connection.objects.filter(pk=connection.pk).update(sync_cursor=cursor)
    except PlatformError as exc:
        record_failure(connection, exc.message)
        raise
    finally:
        if total.order_ids:
            queue_tracking_registrations(merchant=connection.merchant, order_ids=total.order_ids)
            retry_waiting_events(merchant=connection.merchant)
    record_success(connection, synced=True)
    if total.errors:
        logger.warning("connection %s: %d order(s) rejected", connection.pk, len(total.errors))
    return total


def _apply_page(connection: Connection, rows, source: str) -> PollResult:
    from .ingest import apply_orders

    return apply_orders(connection=connection, rows=rows, source=source)


def start_poll(*, connection: Connection, backfill_days: int | None = None) -> None:
    """Queue a poll / backfill after commit (the page's "sync now" and "import the last N days" buttons)."""
    from .tasks import poll_connection_task

    transaction.on_commit(lambda: poll_connection_task.delay(connection.pk, backfill_days))


def pollable_connection_ids(kind: str) -> list[int]:
    return list(
        Connection.objects.filter(kind=kind, enabled=True, store__status=Store.Status.ACTIVE).values_list(
            "pk", flat=True
        )
    )


# --- tracking registration ---------------------------------------------------------------------------------


def queue_tracking_registrations(*, merchant: Merchant, order_ids: list[int]) -> int:
    """Hand the shipped, undelivered orders among `order_ids` to each of the merchant's trackers."""
    from .tasks import register_trackings_task

    trackers = list(Connection.objects.for_merchant(merchant).trackers().active())
    if not trackers or not order_ids:
        return 0
    orders = list(
        Order.objects.for_merchant(merchant)
        .filter(pk__in=order_ids, delivered_at__isnull=True, cancelled=False)
        .exclude(tracking_number="")
        .values_list("tracking_number", "carrier", "external_id")
    )
    created = 0
    for tracker in trackers:
        rows = [
            TrackingRegistration(
                merchant_id=merchant.pk,
                connection=tracker,
                tracking_number=number,
                carrier=carrier,
                order_reference=ref,
            )
            for number, carrier, ref in orders
        ]
        created += len(TrackingRegistration.objects.bulk_create(rows, ignore_conflicts=True))
        if rows:
            transaction.on_commit(lambda pk=tracker.pk: register_trackings_task.delay(pk))
    return created


def register_pending_trackings(*, connection_id: int) -> dict[str, int]:
    """Register pending tracking numbers with one tracker, a batch at a time. A 429 / 5xx stops the run
    with the rest still pending (PlatformError is re-raised for the task to retry)."""
    connection = Connection.objects.select_related("merchant").get(pk=connection_id)
    connector = connector_for(connection.kind)
    counts = {"registered": 0, "rejected": 0}
    while True:
        batch = list(
            TrackingRegistration.objects.filter(
                connection=connection, status=TrackingRegistration.Status.PENDING
            ).order_by("pk")[:REGISTRATION_BATCH]
        )
        if not batch:
            break
        TrackingRegistration.objects.filter(pk__in=[r.pk for r in batch]).update(attempts=F("attempts") + 1)
        try:
            results = connector.register(
                connection, [Registration(r.tracking_number, r.carrier, r.order_reference) for r in batch]
            )
        except PlatformError as exc:
            record_failure(connection, exc.message)
            raise
        by_number = {r.tracking_number: r for r in batch}
        now = timezone.now()
        for result in results:
            registration = by_number.get(result.tracking_number)
            if registration is None:
                continue
            TrackingRegistration.objects.filter(pk=registration.pk).update(
                status=result.status,
                detail=result.detail[:2000],
                registered_at=now if result.status == "registered" else None,
            )
            counts[result.status] += 1
        answered = {r.tracking_number for r in results}
        unanswered = [r.pk for r in batch if r.tracking_number not in answered]
        if unanswered:
            TrackingRegistration.objects.filter(pk__in=unanswered).update(
                status=TrackingRegistration.Status.REJECTED, detail="no answer for this number"
            )
    record_success(connection, synced=True)
    return counts


def sweep_tracking_registrations(*, now: dt.datetime | None = None) -> int:
    """Beat job: orders that shipped in the last 30 days with a tracking number and no delivery yet, from
    any source (API, CSV too), handed to the merchant's trackers; pending registrations are retried."""
    from .tasks import register_trackings_task

    now = now or timezone.now()
    created = 0
    merchants = Merchant.objects.filter(pk__in=Connection.objects.trackers().active().values("merchant_id"))
    for merchant in merchants:
        order_ids = list(
            Order.objects.for_merchant(merchant)
            .filter(delivered_at__isnull=True, cancelled=False, shipped_at__gte=now - REGISTRATION_MAX_AGE)
            .exclude(tracking_number="")
            .values_list("pk", flat=True)[:5000]
        )
        created += queue_tracking_registrations(merchant=merchant, order_ids=order_ids)
    for pk in (
        TrackingRegistration.objects.filter(status=TrackingRegistration.Status.PENDING)
        .values_list("connection_id", flat=True)
        .distinct()
    ):
        transaction.on_commit(lambda pk=pk: register_trackings_task.delay(pk))
    return created
