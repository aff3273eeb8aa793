"""How connectors hand what they read to the orders app: orders through `services.upsert_orders` (skipping
payloads older than one already applied), events through `services.record_order_events`."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from .. import services
from ..ingest import MAX_BATCH
from .base import Outcome, PollResult
from .models import Connection, RemoteOrderVersion

logger = logging.getLogger(__name__)


def apply_orders(
    *, connection: Connection, rows: Sequence[tuple[dict[str, Any], dt.datetime | None]], source: str
) -> PollResult:
    """Upsert orders read from the platform; `rows` are (bulk-API row, the platform's updated_at).

    A row whose updated_at is older than the newest one applied for that order is stale (an out-of-order
    webhook, a poll page read before a webhook) and is skipped, so the order never moves backwards.
    """
    result = PollResult(fetched=len(rows))
    store = connection.store
    for start in range(0, len(rows), MAX_BATCH):
        chunk = rows[start : start + MAX_BATCH]
        with transaction.atomic():
            ids = [str(row["external_id"]) for row, _v in chunk]
            known = dict(
                RemoteOrderVersion.objects.select_for_update()
                .filter(connection=connection, external_id__in=ids)
                .order_by("pk")
                .values_list("external_id", "remote_updated_at")
            )
            fresh: list[tuple[dict, dt.datetime | None]] = []
            for row, version in chunk:
                seen = known.get(str(row["external_id"]))
                if seen is not None and version is not None and version < seen:
                    result.skipped_stale += 1
                    continue
                fresh.append((row, version))
            if not fresh:
                continue
            outcomes = services.upsert_orders(store=store, rows=[r for r, _v in fresh], source=source)
            versions = []
            for (_row, version), outcome in zip(fresh, outcomes, strict=True):
                if outcome.status == "error":
                    result.errors.append({"external_id": outcome.external_id, "errors": outcome.errors})
                    logger.warning(
                        "connector %s: order %s rejected: %s", connection.pk, outcome.external_id, outcome.errors
                    )
                    continue
                setattr(result, outcome.status, getattr(result, outcome.status) + 1)
                result.order_ids.append(outcome.order_id)
                if version is not None:
                    versions.append(
                        RemoteOrderVersion(
                            merchant_id=connection.merchant_id,
                            connection=connection,
                            external_id=outcome.external_id,
                            remote_updated_at=max(version, known.get(outcome.external_id) or version),
                        )
                    )
            if versions:
                RemoteOrderVersion.objects.bulk_create(
                    versions,
                    update_conflicts=True,
                    unique_fields=["connection", "external_id"],
                    update_fields=["remote_updated_at"],
                )
    return result


def apply_events(*, connection: Connection, rows: list[dict[str, Any]], source: str) -> Outcome:
    """Record order events (by store + external id, or by tracking number within the merchant).

    When no order matches yet (the tracker or the fulfilment was faster than the order) the outcome is
    `waiting`: the stored webhook event is tried again when orders arrive, so the event is not lost.
    """
    if not rows:
        return Outcome("ignored", "nothing to record")
    results = services.record_order_events(merchant=connection.merchant, rows=rows, source=source)
    order_ids = sorted({pk for r in results for pk in r["order_ids"]})
    missing = [r for r in results if r["status"] == "error"]
    invalid = [e for r in missing for e in r["errors"] if e["field"] not in ("external_id", "tracking_number")]
    if invalid:
        return Outcome("failed", "; ".join(f"{e['field']}: {e['message']}" for e in invalid))
    if missing:
        return Outcome("waiting", "no matching order yet", order_ids)
    created = sum(1 for r in results if r["status"] == "created")
    return Outcome("processed", f"{created} event(s) recorded, {len(results) - created} already known", order_ids)
