"""Bulk upsert of orders with their buyers, items and consents: the one way orders are written.

A batch costs a fixed number of queries whatever its size: one to read (and lock) the batch's existing
orders, one for their buyers, one upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`) for buyers and
one for orders, one delete and one insert for the items of changed orders, one insert for consents and
one for events. A row whose content hash equals the stored one is `unchanged` and not written at all,
so a replayed payload (an API retry, a second CSV import, a re-delivered webhook) changes nothing.

Rules kept across sources: `delivered_at` follows `events.merge_delivered`; exclusion flags (refunded,
returned, claim open, reviewed, cancelled) are only ever set, never cleared, by an upsert; a buyer whose
personal data was erased keeps it erased when their order is sent again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .events import merge_delivered
from .models import CONFIDENCE_OF_SOURCE, Buyer, Consent, Order, OrderEvent, OrderItem, Source, Store
from .parsing import ORDER_FLAGS, ParsedOrder, context_for, parse_order

MAX_BATCH = 1000

BUYER_FIELDS = [
    "external_id",
    "name",
    "first_name",
    "last_name",
    "email",
    "email_is_relay",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "language",
    "time_zone",
    "email_hash",
    "phone_hash",
]
ORDER_UPDATE_FIELDS = [
    "buyer",
    "number",
    "placed_at",
    "currency",
    "total",
    "status",
    "fulfillment_channel",
    "ship_country",
    "ship_region",
    "ship_city",
    "ship_postal_code",
    "carrier",
    "tracking_number",
    "shipped_at",
    "earliest_delivery_date",
    "latest_delivery_date",
    "delivered_at",
    "delivered_source",
    "delivery_confidence",
    *ORDER_FLAGS,
    "source",
    "content_hash",
    "updated_at",
]
_EXISTING_COLUMNS = (
    "pk",
    "external_id",
    "content_hash",
    "delivered_at",
    "delivered_source",
    "shipped_at",
    "status",
    *ORDER_FLAGS,
)
_NO_REGRESSION = {Order.Status.PENDING, Order.Status.PROCESSING, Order.Status.SHIPPED, Order.Status.OUT_FOR_DELIVERY}


@dataclass
class RowResult:
    index: int
    external_id: str
    status: str  # created | updated | unchanged | error
    errors: list[dict[str, str]] = field(default_factory=list)
    order_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "external_id": self.external_id,
            "status": self.status,
            "errors": self.errors,
            "order_id": self.order_id,
        }


class BatchTooLarge(ValueError):
    pass


def _external_id_of(row: Any) -> str:
    if isinstance(row, dict) and isinstance(row.get("external_id"), str | int):
        return str(row["external_id"]).strip()[:100]
    return ""


def upsert_orders(
    *,
    store: Store,
    rows: list[dict[str, Any]],
    source: str = Source.API,
    naive_tz: dt.tzinfo | None = None,
) -> list[RowResult]:
    """Validate and upsert up to 1,000 orders by `(store, external_id)`; one result per row, in order.

    Invalid rows are reported and skipped; valid rows are written together in one transaction.
    `naive_tz` is how times without a zone are read (UTC for the API, the merchant's zone for files).
    """
    if len(rows) > MAX_BATCH:
        raise BatchTooLarge(_("At most %(n)d orders per batch.") % {"n": MAX_BATCH})
    now = timezone.now()
    ctx = context_for(store, naive_tz=naive_tz, now=now)
    results: list[RowResult | None] = [None] * len(rows)
    valid: list[tuple[int, ParsedOrder]] = []
    first_index: dict[str, int] = {}
    for index, row in enumerate(rows):
        parsed, errors = parse_order(row, ctx)
        if errors:
            results[index] = RowResult(index, _external_id_of(row), "error", errors)
            continue
        if parsed.external_id in first_index:
            message = _("The same external_id is already in row %(row)d of this batch.") % {
                "row": first_index[parsed.external_id]
            }
            results[index] = RowResult(
                index, parsed.external_id, "error", [{"field": "external_id", "message": message}]
            )
            continue
        first_index[parsed.external_id] = index
        valid.append((index, parsed))
    if valid:
        with transaction.atomic():
            _write(store, valid, results, source, now)
    return results  # type: ignore[return-value]


def _write(store: Store, valid: list[tuple[int, ParsedOrder]], results: list, source: str, now: dt.datetime) -> None:
    existing = {
        row[1]: dict(zip(_EXISTING_COLUMNS, row, strict=True))
        for row in Order.objects.select_for_update()
        .filter(store=store, external_id__in=[p.external_id for _i, p in valid])
        .order_by("pk")
        .values_list(*_EXISTING_COLUMNS)
    }
    to_write: list[tuple[int, ParsedOrder, dict | None]] = []
    for index, parsed in valid:
        old = existing.get(parsed.external_id)
        if old is not None and old["content_hash"] == parsed.content_hash:
            results[index] = RowResult(index, parsed.external_id, "unchanged", order_id=old["pk"])
        else:
            to_write.append((index, parsed, old))
    if not to_write:
        return

    buyer_ids = _upsert_buyers(store, [p for _i, p, _o in to_write])

    orders: list[Order] = []
    delivered_events: list[tuple[str, OrderEvent]] = []
    for _index, parsed, old in to_write:
        values = dict(parsed.order)
        flags = dict(parsed.flags)
        delivered_at, delivered_source = (old or {}).get("delivered_at"), (old or {}).get("delivered_source", "")
        delivered_changed = False
        if values["delivered_at"] is not None:
            delivered_at, delivered_source, delivered_changed = merge_delivered(
                delivered_at, delivered_source, values["delivered_at"], source
            )
        if old is not None:
            for flag in ORDER_FLAGS:
                flags[flag] = flags[flag] or old[flag]
            values["shipped_at"] = values["shipped_at"] or old["shipped_at"]
        status = values["status"]
        if flags["cancelled"]:
            status = Order.Status.CANCELLED
        elif delivered_at is not None and status in _NO_REGRESSION:
            status = Order.Status.DELIVERED
        values.update(
            status=status,
            delivered_at=delivered_at,
            delivered_source=delivered_source or "",
            delivery_confidence=CONFIDENCE_OF_SOURCE.get(delivered_source, "") if delivered_at else "",
        )
        orders.append(
            Order(
                merchant_id=store.merchant_id,
                store_id=store.pk,
                external_id=parsed.external_id,
                buyer_id=buyer_ids.get(parsed.buyer["key"]),
                source=source,
                content_hash=parsed.content_hash,
                **values,
                **flags,
            )
        )
        if values["delivered_at"] is not None and parsed.order["delivered_at"] is not None:
            delivered_events.append((parsed.external_id, _delivered_event(store, parsed, source, delivered_changed)))

    Order.objects.bulk_create(
        orders,
        update_conflicts=True,
        unique_fields=["store", "external_id"],
        update_fields=ORDER_UPDATE_FIELDS,
    )
    order_id = {o.external_id: o.pk for o in orders}

    changed_ids = [order_id[p.external_id] for _i, p, old in to_write if old is not None]
    if changed_ids:
        OrderItem.objects.filter(order_id__in=changed_ids).delete()
    OrderItem.objects.bulk_create(
        [
            OrderItem(merchant_id=store.merchant_id, order_id=order_id[p.external_id], **item)
            for _i, p, _o in to_write
            for item in p.items
        ]
    )
    consents = [
        Consent(merchant_id=store.merchant_id, buyer_id=buyer_ids[p.buyer["key"]], **consent)
        for _i, p, _o in to_write
        for consent in p.consents
        if p.buyer["key"] in buyer_ids
    ]
    if consents:
        Consent.objects.bulk_create(consents, ignore_conflicts=True)
    _insert_timeline(store, to_write, order_id, source, now)
    for external_id, event in delivered_events:
        event.order_id = order_id[external_id]
    if delivered_events:
        OrderEvent.objects.bulk_create([e for _x, e in delivered_events], ignore_conflicts=True)

    for index, parsed, old in to_write:
        status = "updated" if old is not None else "created"
        results[index] = RowResult(index, parsed.external_id, status, order_id=order_id[parsed.external_id])


def _upsert_buyers(store: Store, parsed_orders: list[ParsedOrder]) -> dict[str, int]:
    """Buyer id by key for the batch; new and changed buyers in one upsert, erased ones left erased."""
    from .parsing import content_hash

    wanted: dict[str, dict] = {}
    for parsed in parsed_orders:
        wanted[parsed.buyer["key"]] = parsed.buyer  # the last row of a buyer in the batch wins
    stored = {
        key: (pk, digest, erased)
        for pk, key, digest, erased in Buyer.objects.filter(store=store, key__in=list(wanted)).values_list(
            "pk", "key", "content_hash", "erased_at"
        )
    }
    ids = {key: pk for key, (pk, _d, _e) in stored.items()}
    upserts = []
    for key, values in wanted.items():
        digest = content_hash(values)
        if key in stored:
            _pk, old_digest, erased = stored[key]
            if erased is not None or old_digest == digest:
                continue
        upserts.append(
            Buyer(
                merchant_id=store.merchant_id,
                store_id=store.pk,
                key=key,
                content_hash=digest,
                **{name: values[name] for name in BUYER_FIELDS},
            )
        )
    if upserts:
        Buyer.objects.bulk_create(
            upserts,
            update_conflicts=True,
            unique_fields=["store", "key"],
            update_fields=[*BUYER_FIELDS, "content_hash", "updated_at"],
        )
        ids.update({b.key: b.pk for b in upserts})
    return ids


def _delivered_event(store: Store, parsed: ParsedOrder, source: str, applied: bool) -> OrderEvent:
    at = parsed.order["delivered_at"]
    return OrderEvent(
        merchant_id=store.merchant_id,
        type=OrderEvent.Type.DELIVERED,
        source=source,
        occurred_at=at,
        dedupe_key=f"{source}:delivered:{at.isoformat()}",
        applied=applied,
        data={},
    )


# Timeline entries written straight from the order rows, one INSERT … SELECT per kind, so a batch of 1,000
# orders does not build 2,000 event objects in Python. (type, when it happened, dedupe key suffix)
_TIMELINE_SQL = {
    "created": (OrderEvent.Type.CREATED, "COALESCE(o.placed_at, %s)", "':created'"),
    "updated": (OrderEvent.Type.UPDATED, "%s", "':updated:' || o.content_hash"),
    "shipped": (OrderEvent.Type.SHIPPED, "COALESCE(o.shipped_at, %s)", "':shipped'"),
    "cancelled": (OrderEvent.Type.CANCELLED, "%s", "':cancelled'"),
    "refunded": (OrderEvent.Type.REFUNDED, "%s", "':refunded'"),
    "returned": (OrderEvent.Type.RETURNED, "%s", "':returned'"),
    "claim_open": (OrderEvent.Type.CLAIM_OPENED, "%s", "':claim_open'"),
    "buyer_reviewed": (OrderEvent.Type.REVIEWED, "%s", "':buyer_reviewed'"),
}


def _insert_timeline(
    store: Store, to_write: list[tuple[int, ParsedOrder, dict | None]], order_id: dict[str, int], source: str, now
) -> None:
    """created / updated / shipped / flag events of the written rows (a replay of one is ignored)."""
    ids: dict[str, list[int]] = {kind: [] for kind in _TIMELINE_SQL}
    for _index, parsed, old in to_write:
        pk = order_id[parsed.external_id]
        ids["created" if old is None else "updated"].append(pk)
        if parsed.order["shipped_at"] and (old is None or old["shipped_at"] is None):
            ids["shipped"].append(pk)
        for flag in ORDER_FLAGS:
            if parsed.flags[flag] and (old is None or not old[flag]):
                ids[flag].append(pk)
    table = connection.ops.quote_name(OrderEvent._meta.db_table)
    orders_table = connection.ops.quote_name(Order._meta.db_table)
    with connection.cursor() as cursor:
        for kind, pks in ids.items():
            if not pks:
                continue
            type_, occurred, suffix = _TIMELINE_SQL[kind]
            placeholders = ", ".join(["%s"] * len(pks))
            sql = (
                f"INSERT INTO {table} (merchant_id, order_id, type, source, occurred_at, received_at, dedupe_key, "  # noqa: S608
                f"applied, data) SELECT o.merchant_id, o.id, %s, %s, {occurred}, %s, %s || {suffix}, %s, '{{}}' "
                f"FROM {orders_table} o WHERE o.id IN ({placeholders}) ON CONFLICT (order_id, dedupe_key) DO NOTHING"
            )
            cursor.execute(sql, [type_, source, now, now, source, True, *pks])
