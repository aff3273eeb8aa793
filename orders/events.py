"""Order events: the append-only timeline, and what each event does to its order.

One code path for every source (API, CSV, connectors, carrier webhooks, the "mark delivered" button):
`record_events` takes many events at once (the bulk API), `services.record_order_event` takes one.
Each event is kept once per `(order, dedupe_key)`; a replay changes nothing.

The delivery rule, in one place (`merge_delivered`): the first delivered event sets `delivered_at`; later
events never clear it nor move it, except that an earlier-dated delivery from a more trusted source (a
carrier over a platform over the merchant's own system over a click) corrects it. Every event is kept,
with `applied` saying whether it changed the order.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CONFIDENCE_OF_SOURCE, SOURCE_TRUST, Order, OrderEvent, Source

FUTURE_TOLERANCE = dt.timedelta(days=1)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedEvent:
    """What listeners learn about a newly recorded event (after the commit)."""

    event_id: int
    order_id: int
    merchant_id: int
    type: str


EventListener = Callable[[list[RecordedEvent]], None]
_listeners: list[EventListener] = []


def register_event_listener(listener: EventListener) -> EventListener:
    """Another app (reviews) hears of new order events once they are committed; orders never imports it."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def unregister_event_listener(listener: EventListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _notify(events: list[RecordedEvent]) -> None:
    for listener in list(_listeners):
        try:
            listener(events)
        except Exception:  # a listener's failure must not fail ingestion; the beat planner catches up
            logger.exception("order event listener %r failed", listener)


FLAG_OF_EVENT = {
    OrderEvent.Type.RETURNED: "returned",
    OrderEvent.Type.REFUNDED: "refunded",
    OrderEvent.Type.CLAIM_OPENED: "claim_open",
    OrderEvent.Type.REVIEWED: "buyer_reviewed",
    OrderEvent.Type.CANCELLED: "cancelled",
}
# Status an event moves the order to, and the statuses it may move it from (never backwards).
STATUS_OF_EVENT = {
    OrderEvent.Type.SHIPPED: (
        Order.Status.SHIPPED,
        {Order.Status.PENDING, Order.Status.PROCESSING},
    ),
    OrderEvent.Type.OUT_FOR_DELIVERY: (
        Order.Status.OUT_FOR_DELIVERY,
        {Order.Status.PENDING, Order.Status.PROCESSING, Order.Status.SHIPPED, Order.Status.DELIVERY_EXCEPTION},
    ),
    OrderEvent.Type.DELIVERY_EXCEPTION: (
        Order.Status.DELIVERY_EXCEPTION,
        {Order.Status.PENDING, Order.Status.PROCESSING, Order.Status.SHIPPED, Order.Status.OUT_FOR_DELIVERY},
    ),
    OrderEvent.Type.DELIVERED: (
        Order.Status.DELIVERED,
        {
            Order.Status.PENDING,
            Order.Status.PROCESSING,
            Order.Status.SHIPPED,
            Order.Status.OUT_FOR_DELIVERY,
            Order.Status.DELIVERY_EXCEPTION,
        },
    ),
    OrderEvent.Type.RETURNED_TO_SENDER: (
        Order.Status.RETURNED_TO_SENDER,
        {
            Order.Status.PENDING,
            Order.Status.PROCESSING,
            Order.Status.SHIPPED,
            Order.Status.OUT_FOR_DELIVERY,
            Order.Status.DELIVERY_EXCEPTION,
        },
    ),
    OrderEvent.Type.RETURNED: (Order.Status.RETURNED, set(Order.Status.values) - {Order.Status.CANCELLED}),
    OrderEvent.Type.REFUNDED: (Order.Status.REFUNDED, set(Order.Status.values) - {Order.Status.CANCELLED}),
    OrderEvent.Type.CANCELLED: (Order.Status.CANCELLED, set(Order.Status.values)),
}
ORDER_FIELDS_TOUCHED = [
    "status",
    "shipped_at",
    "delivered_at",
    "delivered_source",
    "delivery_confidence",
    "returned",
    "refunded",
    "claim_open",
    "buyer_reviewed",
    "cancelled",
    "updated_at",
]


def trust(source: str) -> int:
    return SOURCE_TRUST.get(source, 0)


def merge_delivered(
    current_at: dt.datetime | None, current_source: str, new_at: dt.datetime, new_source: str
) -> tuple[dt.datetime, str, bool]:
    """(delivered_at, source, changed) after a delivered report: first wins; a more trusted, earlier one corrects."""
    if current_at is None:
        return new_at, new_source, True
    if new_at < current_at and trust(new_source) > trust(current_source):
        return new_at, new_source, True
    return current_at, current_source, False


@dataclass
class EventSpec:
    """One event to record against one order (already resolved and scoped to the merchant)."""

    order_id: int
    type: str
    occurred_at: dt.datetime
    source: str
    dedupe_key: str
    data: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None


@dataclass
class EventOutcome:
    spec: EventSpec
    created: bool  # False: a replay of a known (order, dedupe_key), nothing changed
    applied: bool = False  # True when it changed the order
    event_id: int | None = None


def validate_event(type_: str, occurred_at: dt.datetime, source: str, dedupe_key: str, now: dt.datetime) -> list:
    """Field errors of an event, as `{"field", "message"}` dicts (empty when it may be recorded)."""
    errors = []
    if type_ not in OrderEvent.Type.values:
        errors.append(
            {
                "field": "type",
                "message": _("Unknown event type; expected one of: %(v)s.") % {"v": ", ".join(OrderEvent.Type.values)},
            }
        )
    if source not in Source.values:
        errors.append({"field": "source", "message": _("Unknown source.")})
    if not dedupe_key or len(dedupe_key) > 200:
        errors.append({"field": "dedupe_key", "message": _("Give a dedupe key of at most 200 characters.")})
    if occurred_at is None:
        errors.append({"field": "occurred_at", "message": _("This field is required.")})
    elif timezone.is_naive(occurred_at):
        errors.append({"field": "occurred_at", "message": _("Give a time zone with the time.")})
    elif occurred_at > now + FUTURE_TOLERANCE:
        errors.append({"field": "occurred_at", "message": _("This time is in the future.")})
    return errors


def apply_event(order: Order, spec: EventSpec) -> bool:
    """Change `order` in memory as `spec` says; True if anything changed."""
    changed = False
    if spec.type == OrderEvent.Type.DELIVERED:
        at, source, moved = merge_delivered(order.delivered_at, order.delivered_source, spec.occurred_at, spec.source)
        if moved:
            order.delivered_at, order.delivered_source = at, source
            order.delivery_confidence = CONFIDENCE_OF_SOURCE.get(source, "")
            changed = True
    elif spec.type == OrderEvent.Type.SHIPPED and order.shipped_at is None:
        order.shipped_at = spec.occurred_at
        changed = True
    flag = FLAG_OF_EVENT.get(spec.type)
    if flag and not getattr(order, flag):
        setattr(order, flag, True)
        changed = True
    move = STATUS_OF_EVENT.get(spec.type)
    # A delivered order stays delivered when a late "out for delivery" or exception arrives.
    late_scan = (
        order.delivered_at
        and move
        and move[0] in (Order.Status.OUT_FOR_DELIVERY, Order.Status.DELIVERY_EXCEPTION, Order.Status.RETURNED_TO_SENDER)
    )
    if move and order.status in move[1] and order.status != move[0] and not late_scan:
        order.status = move[0]
        changed = True
    return changed


def record_events(specs: list[EventSpec]) -> list[EventOutcome]:
    """Record many events in one transaction: lock their orders, skip known dedupe keys, apply in order."""
    if not specs:
        return []
    order_ids = sorted({s.order_id for s in specs})
    with transaction.atomic():
        orders = {o.pk: o for o in Order.objects.select_for_update().filter(pk__in=order_ids).order_by("pk")}
        known = set(
            OrderEvent.objects.filter(order_id__in=order_ids, dedupe_key__in={s.dedupe_key for s in specs}).values_list(
                "order_id", "dedupe_key"
            )
        )
        outcomes: list[EventOutcome] = []
        new_events: list[OrderEvent] = []
        changed_orders: dict[int, Order] = {}
        # Apply in time order so "first delivered" means first in time within one batch as well.
        for spec in sorted(specs, key=lambda s: s.occurred_at):
            order = orders.get(spec.order_id)
            if order is None or (spec.order_id, spec.dedupe_key) in known:
                outcomes.append(EventOutcome(spec=spec, created=False))
                continue
            known.add((spec.order_id, spec.dedupe_key))
            applied = apply_event(order, spec)
            if applied:
                changed_orders[order.pk] = order
            event = OrderEvent(
                merchant_id=order.merchant_id,
                order_id=order.pk,
                type=spec.type,
                source=spec.source,
                occurred_at=spec.occurred_at,
                dedupe_key=spec.dedupe_key,
                applied=applied,
                actor_id=spec.actor_id,
                data=spec.data or {},
            )
            new_events.append(event)
            outcomes.append(EventOutcome(spec=spec, created=True, applied=applied))
        OrderEvent.objects.bulk_create(new_events)
        if changed_orders:
            now = timezone.now()
            for order in changed_orders.values():
                order.updated_at = now
            Order.objects.bulk_update(list(changed_orders.values()), ORDER_FIELDS_TOUCHED)
        if new_events and _listeners:
            recorded = [RecordedEvent(e.pk, e.order_id, e.merchant_id, e.type) for e in new_events if e.pk]
            transaction.on_commit(lambda: _notify(recorded))
    by_key = {(e.order_id, e.dedupe_key): e.pk for e in new_events}
    for outcome in outcomes:
        if outcome.created:
            outcome.event_id = by_key.get((outcome.spec.order_id, outcome.spec.dedupe_key))
    order_index = {id(s): i for i, s in enumerate(specs)}
    outcomes.sort(key=lambda o: order_index[id(o.spec)])
    return outcomes
