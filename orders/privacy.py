"""Buyers' privacy rights: export everything held about one buyer, and erase their personal data.

Other apps hold data about buyers too (reviews: messages; channels: suppressions). They plug in here
without `orders` importing them, from their `AppConfig.ready()`:

    from orders.privacy import register_export_section, register_erasure_hook

    register_export_section("messages", lambda buyer: {"messages": [...]})   # JSON-serialisable dict
    register_erasure_hook(lambda buyer: Message.objects.filter(buyer_id=buyer.pk).update(body=""))

An export section is called with the `Buyer` and its result is put under its name in the export. An
erasure hook is called with the `Buyer` inside the erasure's transaction, before the buyer's own fields
are blanked (so it can still read them); if it raises, nothing is erased.

Erasure blanks name, email, phone and address on the buyer, ship-to city and postal code on their
orders, the IP on their consents and the details of their orders' events, and deletes their push
subscriptions (device tokens and browser subscriptions). It keeps `email_hash` /
`phone_hash` (a suppression must keep matching), the orders with their totals, items and country
(billing and reports), and the consent records (proof of what was agreed).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import DateTimeField, Max, Q
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from .models import Buyer, Consent, Order, OrderEvent, Platform, PushSubscription, Store

logger = logging.getLogger(__name__)

ExportSection = Callable[[Buyer], dict[str, Any]]
ErasureHook = Callable[[Buyer], None]

_export_sections: dict[str, ExportSection] = {}
_erasure_hooks: list[ErasureHook] = []

AMAZON_RETENTION_DAYS = 30  # Amazon's Data Protection Policy: PII deleted within 30 days of delivery
PII_FIELDS = {
    "name": "",
    "first_name": "",
    "last_name": "",
    "email": "",
    "phone": "",
    "address_line1": "",
    "address_line2": "",
    "city": "",
    "postal_code": "",
}


def register_export_section(name: str, fn: ExportSection) -> None:
    """Add `name: fn(buyer)` to every buyer export. Registering a name again replaces it."""
    _export_sections[name] = fn


def register_erasure_hook(fn: ErasureHook) -> None:
    """Call `fn(buyer)` whenever a buyer is erased (inside the same transaction). Idempotent per function."""
    if fn not in _erasure_hooks:
        _erasure_hooks.append(fn)


def unregister(name: str | None = None, hook: ErasureHook | None = None) -> None:
    """For tests: remove a section or a hook."""
    if name is not None:
        _export_sections.pop(name, None)
    if hook is not None and hook in _erasure_hooks:
        _erasure_hooks.remove(hook)


def _iso(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _row(obj, fields) -> dict[str, Any]:
    out = {}
    for name in fields:
        value = getattr(obj, name)
        if hasattr(value, "quantize"):
            value = str(value)
        out[name] = _iso(value)
    return out


BUYER_EXPORT_FIELDS = [
    "id", "external_id", "name", "first_name", "last_name", "email", "email_is_relay", "phone",
    "address_line1", "address_line2", "city", "region", "postal_code", "country", "language", "time_zone",
    "created_at", "updated_at", "erased_at",
]  # fmt: skip
ORDER_EXPORT_FIELDS = [
    "id", "external_id", "number", "placed_at", "currency", "total", "status", "fulfillment_channel",
    "ship_country", "ship_region", "ship_city", "ship_postal_code", "carrier", "tracking_number", "shipped_at",
    "earliest_delivery_date", "latest_delivery_date", "delivered_at", "delivered_source", "delivery_confidence",
    "cancelled", "refunded", "returned", "claim_open", "buyer_reviewed", "source", "created_at", "updated_at",
]  # fmt: skip
ITEM_EXPORT_FIELDS = ["sku", "product_id", "title", "quantity", "unit_price", "category"]
EVENT_EXPORT_FIELDS = ["type", "source", "occurred_at", "received_at", "data"]
PUSH_EXPORT_FIELDS = [
    "kind", "platform", "app_id", "token", "endpoint", "status", "gone_reason", "gone_at", "created_at", "updated_at",
]  # fmt: skip
CONSENT_EXPORT_FIELDS = [
    "channel", "status", "lawful_basis", "source", "text_version", "recorded_at", "ip_address",
]  # fmt: skip


def export_buyer(buyer: Buyer) -> dict[str, Any]:
    """Everything the merchant holds about this buyer, as JSON-serialisable data."""
    buyer = Buyer.objects.select_related("store").get(pk=buyer.pk)
    orders = Order.objects.filter(buyer=buyer).order_by("placed_at", "pk").prefetch_related("items", "events")
    data: dict[str, Any] = {
        "generated_at": timezone.now().isoformat(),
        "store": {"id": buyer.store_id, "name": buyer.store.name, "platform": buyer.store.platform},
        "buyer": _row(buyer, BUYER_EXPORT_FIELDS),
        "consents": [_row(c, CONSENT_EXPORT_FIELDS) for c in buyer.consents.order_by("recorded_at", "pk")],
        "orders": [
            {
                **_row(order, ORDER_EXPORT_FIELDS),
                "items": [_row(i, ITEM_EXPORT_FIELDS) for i in order.items.all()],
                "events": [_row(e, EVENT_EXPORT_FIELDS) for e in order.events.all()],
            }
            for order in orders
        ],
        "push_subscriptions": [
            _row(s, PUSH_EXPORT_FIELDS)
            for s in PushSubscription.objects.filter(buyer=buyer).order_by("created_at", "pk")
        ],
    }
    for name, fn in _export_sections.items():
        data[name] = fn(buyer)
    return data


def erase_buyer(buyer: Buyer, *, reason: str = "") -> Buyer:
    """Replace the buyer's personal data everywhere orders keeps it; hashes, orders and totals stay."""
    with transaction.atomic():
        buyer = Buyer.objects.select_for_update().get(pk=buyer.pk)
        for hook in list(_erasure_hooks):
            hook(buyer)
        now = timezone.now()
        Buyer.objects.filter(pk=buyer.pk).update(**PII_FIELDS, erased_at=buyer.erased_at or now, updated_at=now)
        Order.objects.filter(buyer=buyer).update(ship_city="", ship_postal_code="", updated_at=now)
        Consent.objects.filter(buyer=buyer).update(ip_address=None)
        PushSubscription.objects.filter(buyer=buyer).delete()
        OrderEvent.objects.filter(order__buyer=buyer).exclude(data={}).update(data={})
    logger.info("buyer %s erased (%s)", buyer.pk, reason or "request")
    buyer.refresh_from_db()
    return buyer


def buyers_due_for_erasure(now: dt.datetime | None = None):
    """Buyers past their store's retention: Amazon 30 days after delivery, else the store's own setting.

    The clock starts at the buyer's most recent order: its delivery, else its latest promised delivery
    date, else when it was placed.
    """
    now = now or timezone.now()
    last = Max(
        Coalesce(
            "orders__delivered_at",
            Cast("orders__latest_delivery_date", DateTimeField()),
            "orders__placed_at",
            "orders__created_at",
        )
    )
    conditions = Q(store__platform=Platform.AMAZON, last__lt=now - dt.timedelta(days=AMAZON_RETENTION_DAYS))
    for days in (
        Store.objects.filter(pii_retention_days__isnull=False).values_list("pii_retention_days", flat=True).distinct()
    ):
        conditions |= Q(store__pii_retention_days=days, last__lt=now - dt.timedelta(days=days))
    return Buyer.objects.filter(erased_at__isnull=True).annotate(last=last).filter(conditions).order_by("pk")


def erase_due_buyers(*, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """The beat job's work: erase up to `limit` buyers past retention; returns how many."""
    count = 0
    for buyer in buyers_due_for_erasure(now)[:limit]:
        erase_buyer(buyer, reason="retention")
        count += 1
    return count
