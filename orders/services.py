"""Writes for orders: the only door into the orders tables for views, the API, tasks, connectors and other apps.

upsert_orders(store=, rows=, source=)                 bulk upsert by (store, external_id), per-row results
record_order_event(order=, type=, occurred_at=, source=, dedupe_key=)   one event, idempotent
record_order_events(merchant=, rows=, source=)        many events by (store, external_id) or tracking number
mark_delivered_by_hand(order=, user=, at=)            the audited button
mark_orders_reviewed(merchant=, reviews=, source=)    the buyer reviewed: `buyer_reviewed` + a REVIEWED event
record_consent(buyer=, channel=, status=, ...)        append a consent record
export_buyer(buyer) / erase_buyer(buyer)              privacy duties (see orders.privacy for the hooks)
register_push_subscription(buyer=, kind=, ...)        a device token / browser subscription (orders.push)
mark_push_subscriptions_gone(merchant=, subscription_ids=, reason=)   after channels' `subscription_gone`
create_store / update_store, create_import / set_import_mapping / start_import / run_import
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import Merchant, User

from . import imports
from .events import EventOutcome, EventSpec, record_events, validate_event
from .ingest import MAX_BATCH, BatchTooLarge, RowResult, upsert_orders
from .models import Buyer, Channel, Consent, ImportJob, Order, OrderEvent, Source, Store
from .parsing import FieldError, normalize_tracking_number, parse_datetime, zone
from .privacy import erase_buyer, erase_due_buyers, export_buyer
from .push import mark_push_subscriptions_gone, register_push_subscription, remove_push_subscription

logger = logging.getLogger(__name__)

__all__ = [
    "BatchTooLarge",
    "RowResult",
    "create_import",
    "create_store",
    "erase_buyer",
    "erase_due_buyers",
    "export_buyer",
    "mark_delivered_by_hand",
    "mark_orders_reviewed",
    "mark_push_subscriptions_gone",
    "record_consent",
    "record_order_event",
    "record_order_events",
    "register_push_subscription",
    "remove_push_subscription",
    "run_import",
    "set_import_mapping",
    "start_import",
    "update_store",
    "upsert_orders",
]

STORE_FIELDS = (
    "name",
    "platform",
    "marketplace",
    "default_currency",
    "default_language",
    "status",
    "postal_address",
    "pii_retention_days",
)
IMPORT_BATCH = 500
MAX_REPORTED_ERRORS = 10_000


# --- stores -----------------------------------------------------------------------------------------------


def _save_store(store: Store) -> Store:
    store.default_currency = (store.default_currency or "").upper()
    store.full_clean(exclude=["merchant"])
    try:
        with transaction.atomic():
            store.save()
    except IntegrityError:
        raise ValidationError({"name": _("You already have a store with this name.")}) from None
    return store


def create_store(*, merchant: Merchant, name: str, platform: str, **fields: Any) -> Store:
    """A new store; `fields` are any of STORE_FIELDS."""
    unknown = set(fields) - set(STORE_FIELDS)
    if unknown:
        raise TypeError(f"unknown store fields: {sorted(unknown)}")
    return _save_store(Store(merchant=merchant, name=name, platform=platform, **fields))


def update_store(*, store: Store, **fields: Any) -> Store:
    for name, value in fields.items():
        if name not in STORE_FIELDS:
            raise TypeError(f"unknown store field: {name}")
        setattr(store, name, value)
    return _save_store(store)


# --- events -----------------------------------------------------------------------------------------------


def record_order_event(
    *,
    order: Order,
    type: str,  # noqa: A002  (the issue's name for it)
    occurred_at: dt.datetime,
    source: str,
    dedupe_key: str,
    data: dict[str, Any] | None = None,
    actor: User | None = None,
) -> EventOutcome:
    """Record one event; a known `(order, dedupe_key)` changes nothing (`outcome.created` is False).

    Raises ValidationError for an unknown type or source, a naive or future time, or a bad dedupe key.
    """
    errors = validate_event(type, occurred_at, source, dedupe_key, timezone.now())
    if errors:
        raise ValidationError({e["field"]: e["message"] for e in errors})
    spec = EventSpec(
        order_id=order.pk,
        type=type,
        occurred_at=occurred_at,
        source=source,
        dedupe_key=dedupe_key,
        data=data or {},
        actor_id=actor.pk if actor else None,
    )
    (outcome,) = record_events([spec])
    order.refresh_from_db()
    return outcome


def _event_row_errors(row: Any, now: dt.datetime) -> tuple[dict | None, list[dict]]:
    if not isinstance(row, dict):
        return None, [{"field": "", "message": _("Each event must be a JSON object.")}]
    errors: list[dict] = []
    try:
        occurred_at = parse_datetime(row.get("occurred_at"), dt.UTC)
    except FieldError as exc:
        occurred_at = None
        errors.append({"field": "occurred_at", "message": str(exc)})
    type_ = row.get("type") if isinstance(row.get("type"), str) else ""
    dedupe_key = row.get("dedupe_key")
    if dedupe_key is None and occurred_at is not None:
        dedupe_key = f"{type_}:{occurred_at.isoformat()}"
    dedupe_key = dedupe_key if isinstance(dedupe_key, str) else ""
    data = row.get("data") or {}
    if not isinstance(data, dict):
        errors.append({"field": "data", "message": _("Expected an object.")})
    if occurred_at is None and not errors:
        errors.append({"field": "occurred_at", "message": _("This field is required.")})
    if not errors:
        errors.extend(validate_event(type_, occurred_at, Source.API, dedupe_key, now))
    store = row.get("store")
    external_id = row.get("external_id")
    tracking = row.get("tracking_number")
    if tracking not in (None, "") and not isinstance(tracking, str):
        errors.append({"field": "tracking_number", "message": _("Expected text.")})
    elif external_id not in (None, ""):
        if isinstance(store, bool) or not isinstance(store, int):
            errors.append({"field": "store", "message": _("Give the store id with the external_id.")})
        if not isinstance(external_id, str | int):
            errors.append({"field": "external_id", "message": _("Expected text.")})
    elif not tracking:
        errors.append({"field": "external_id", "message": _("Give either store and external_id, or tracking_number.")})
    if errors:
        return None, errors
    return {
        "type": type_,
        "occurred_at": occurred_at,
        "dedupe_key": dedupe_key,
        "data": data,
        "store": store,
        "external_id": str(external_id) if external_id not in (None, "") else "",
        "tracking_number": normalize_tracking_number(tracking or ""),
    }, []


def record_order_events(
    *, merchant: Merchant, rows: list[dict[str, Any]], source: str = Source.API
) -> list[dict[str, Any]]:
    """Many events, each naming its order by `store` + `external_id` or by `tracking_number` (all the
    merchant's orders with that number). Per-row results `{index, status, order_ids, errors}`, where
    status is created (recorded), unchanged (a replay) or error. Used by the bulk API and by connectors.
    """
    if len(rows) > MAX_BATCH:
        raise BatchTooLarge(_("At most %(n)d events per batch.") % {"n": MAX_BATCH})
    now = timezone.now()
    parsed: list[tuple[int, dict]] = []
    results: list[dict[str, Any]] = [{} for _row in rows]
    for index, row in enumerate(rows):
        clean, errors = _event_row_errors(row, now)
        if errors:
            results[index] = {"index": index, "status": "error", "order_ids": [], "errors": errors}
        else:
            parsed.append((index, clean))

    by_external: dict[tuple[int, str], int] = {}
    keys = {(c["store"], c["external_id"]) for _i, c in parsed if c["external_id"]}
    if keys:
        qs = Order.objects.for_merchant(merchant).filter(
            store_id__in={s for s, _e in keys}, external_id__in={e for _s, e in keys}
        )
        by_external = {(s, e): pk for pk, s, e in qs.values_list("pk", "store_id", "external_id")}
    by_tracking: dict[str, list[int]] = {}
    numbers = {c["tracking_number"] for _i, c in parsed if not c["external_id"]}
    if numbers:
        for pk, number in (
            Order.objects.for_merchant(merchant)
            .filter(tracking_number__in=numbers)
            .values_list("pk", "tracking_number")
        ):
            by_tracking.setdefault(number, []).append(pk)

    specs: list[EventSpec] = []
    spec_rows: list[int] = []
    for index, clean in parsed:
        if clean["external_id"]:
            pk = by_external.get((clean["store"], clean["external_id"]))
            order_ids = [pk] if pk else []
            missing = {"field": "external_id", "message": _("No order with this external_id in this store.")}
        else:
            order_ids = by_tracking.get(clean["tracking_number"], [])
            missing = {"field": "tracking_number", "message": _("No order has this tracking number.")}
        if not order_ids:
            results[index] = {"index": index, "status": "error", "order_ids": [], "errors": [missing]}
            continue
        results[index] = {"index": index, "status": "unchanged", "order_ids": order_ids, "errors": []}
        for pk in order_ids:
            specs.append(
                EventSpec(
                    order_id=pk,
                    type=clean["type"],
                    occurred_at=clean["occurred_at"],
                    source=source,
                    dedupe_key=clean["dedupe_key"],
                    data=clean["data"],
                )
            )
            spec_rows.append(index)
    for index, outcome in zip(spec_rows, record_events(specs), strict=True):
        if outcome.created:
            results[index]["status"] = "created"
    return results


def mark_delivered_by_hand(*, order: Order, user: User, at: dt.datetime | None = None) -> EventOutcome:
    """A merchant's member says the order was signed for; the event names who, for the audit."""
    at = at or timezone.now()
    return record_order_event(
        order=order,
        type=OrderEvent.Type.DELIVERED,
        occurred_at=at,
        source=Source.MANUAL,
        dedupe_key="manual:delivered",
        data={"by": user.email},
        actor=user,
    )


# --- consent ----------------------------------------------------------------------------------------------


def mark_orders_reviewed(
    *, merchant: Merchant, reviews: list[tuple[Order, dt.datetime, str]], source: str
) -> list[EventOutcome]:
    """Orders whose buyer reviewed, as (order, reviewed at, dedupe key): sets `buyer_reviewed` (campaigns then
    leave them alone) and adds a REVIEWED event to each timeline, in one transaction; replays change nothing."""
    now = timezone.now()
    specs = []
    for order, at, key in reviews:
        if order.merchant_id != merchant.pk:
            raise ValidationError(_("This order belongs to another merchant."))
        errors = validate_event(OrderEvent.Type.REVIEWED, min(at, now), source, key, now)
        if errors:
            raise ValidationError({e["field"]: e["message"] for e in errors})
        specs.append(
            EventSpec(order_id=order.pk, type=OrderEvent.Type.REVIEWED, occurred_at=min(at, now), source=source,
                      dedupe_key=key)
        )  # fmt: skip
    return record_events(specs)


def record_consent(
    *,
    buyer: Buyer,
    channel: str,
    status: str,
    lawful_basis: str,
    source: str,
    text_version: str = "",
    recorded_at: dt.datetime | None = None,
    ip_address: str | None = None,
) -> Consent:
    """Append a consent record (the latest per channel is the buyer's current answer)."""
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Use email, sms or whatsapp.")})
    consent = Consent(
        merchant_id=buyer.merchant_id,
        buyer=buyer,
        channel=channel,
        status=status,
        lawful_basis=lawful_basis,
        source=source,
        text_version=text_version,
        recorded_at=recorded_at or timezone.now(),
        ip_address=ip_address,
    )
    consent.full_clean(exclude=["merchant", "buyer"], validate_unique=False)
    consent.save()
    return consent


# --- CSV / XLSX imports -----------------------------------------------------------------------------------


def create_import(*, store: Store, filename: str, content: bytes, user: User | None) -> ImportJob:
    """Keep an uploaded file and guess its column mapping; raises ValidationError when unreadable."""
    try:
        table = imports.read_table(content, filename)
    except imports.UnreadableFile as exc:
        raise ValidationError({"file": str(exc)}) from None
    return ImportJob.objects.create(
        merchant_id=store.merchant_id,
        store=store,
        created_by=user,
        filename=filename[:255],
        file_format="xlsx" if table.encoding == "xlsx" else "csv",
        encoding=table.encoding,
        content=content,
        headers=table.headers,
        mapping=imports.guess_mapping(table.headers),
        total_rows=sum(1 for r in table.rows if any(str(c).strip() for c in r)),
    )


def set_import_mapping(*, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    clean = {t: h for t, h in mapping.items() if t in imports.TARGETS and h in job.headers}
    if "external_id" not in clean and "number" not in clean:
        raise ValidationError({"external_id": _("Choose the column that holds the order id.")})
    if job.status != ImportJob.Status.UPLOADED:
        raise ValidationError(_("This import has already started."))
    job.mapping = clean
    job.save(update_fields=["mapping"])
    return job


def start_import(*, job: ImportJob) -> ImportJob:
    """Queue the import (after commit); a second click on a started import does nothing."""
    from .tasks import run_import_task

    started = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.UPLOADED).update(
        status=ImportJob.Status.QUEUED
    )
    if started:
        transaction.on_commit(lambda: run_import_task.delay(job.pk))
    job.refresh_from_db()
    return job


def run_import(*, job_id: int) -> None:
    """The import itself (a Celery task): batches of orders through upsert_orders, progress in the row."""
    job = ImportJob.objects.select_related("store", "merchant", "created_by").get(pk=job_id)
    if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING) or job.content is None:
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING,
        started_at=timezone.now(),
        processed_rows=0,
        created_count=0,
        updated_count=0,
        unchanged_count=0,
        error_count=0,
        errors=[],
    )
    language = (job.created_by.language if job.created_by else "") or job.merchant.default_language
    try:
        with override(language):
            errors = _import_rows(job)
    except Exception:
        logger.exception("import %s failed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED,
            failure=_("The import stopped because of an internal error. Rows imported so far are kept."),
            finished_at=timezone.now(),
        )
        raise
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        errors=errors[:MAX_REPORTED_ERRORS],
        finished_at=timezone.now(),
        content=None,  # the file holds buyers' personal data: keep it no longer than needed
    )


def _import_rows(job: ImportJob) -> list[dict[str, Any]]:
    table = imports.read_table(bytes(job.content), job.filename)
    groups = imports.group_orders(table, job.mapping)
    naive_tz = zone(job.merchant.default_time_zone)
    errors: list[dict[str, Any]] = []
    for start in range(0, len(groups), IMPORT_BATCH):
        chunk = groups[start : start + IMPORT_BATCH]
        counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
        sendable = []
        for group in chunk:
            if group.errors:
                counts["error"] += 1
                errors.extend({"row": group.lines[0], **e} for e in group.errors)
            else:
                sendable.append(group)
        results = upsert_orders(store=job.store, rows=[g.row for g in sendable], source=Source.CSV, naive_tz=naive_tz)
        for group, result in zip(sendable, results, strict=True):
            counts[result.status] += 1
            for error in result.errors:
                errors.append(
                    {
                        "row": imports.line_of(error["field"], group),
                        "column": imports.column_of(error["field"], job.mapping),
                        "message": error["message"],
                    }
                )
        ImportJob.objects.filter(pk=job.pk).update(
            processed_rows=F("processed_rows") + sum(len(g.lines) for g in chunk),
            created_count=F("created_count") + counts["created"],
            updated_count=F("updated_count") + counts["updated"],
            unchanged_count=F("unchanged_count") + counts["unchanged"],
            error_count=F("error_count") + counts["error"],
        )
    errors.sort(key=lambda e: e["row"])
    return errors


def purge_stale_import_files(*, older_than: dt.timedelta = dt.timedelta(days=7)) -> int:
    """Drop the bytes of uploads never imported (or failed) after a week: they hold personal data."""
    return (
        ImportJob.objects.filter(created_at__lt=timezone.now() - older_than, content__isnull=False)
        .exclude(status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING])
        .update(content=None)
    )
