"""Reads for orders: its own pages and API, and other apps (campaigns, channels, connectors).

For campaigns (reviews/):
    delivered_orders(merchant=, stores=, delivered_from=, delivered_to=, include_excluded=False)
        delivered orders with buyer and store loaded; by default without cancelled, refunded,
        returned, claimed or reviewed ones (served by the partial index `order_contactable_delivered`).
    current_consent(buyer=, channel=) / has_consent(buyer=, channel=)
    buyers_with_identity(merchant=, email_hash=, phone_hash=)   one person across the merchant's stores
    fulfilment_events(merchant_id=, store_ids=, types=, received_after=, event_ids=None, occurred_after=None)
        shipped / out-for-delivery / exception / returned-to-sender events with order, store and buyer
    segment_buyers(merchant_id=, store_ids=, countries=, last_order_from=, last_order_to=, skus=, min_orders=)
        buyers matching a repeat-purchase segment, annotated with their last order (id, time, ship-to country)
For push (campaigns):
    active_push_subscriptions(buyer=, kind=None)   device tokens / browser subscriptions that may be pushed to
    push_target_values(subscription)              plain values for channels' PushTarget(**values)
For reviews received:
    orders_by_reference(merchant=, references=)   {external id or order number: [orders]}
For connectors:
    orders_by_tracking_number(merchant=, tracking_number=), order_by_external_id(store=, external_id=)
Amazon: `Order.earliest_delivery_date` / `latest_delivery_date` give the Solicitations window, and
`Buyer.email_is_relay` (always true for Amazon stores) means "never email this address".
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Exists, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Upper
from django.utils import timezone

from accounts.models import Merchant
from linkstar.identity import InvalidAddress, email_hash

from . import imports
from .models import Buyer, Consent, ImportJob, Order, OrderEvent, OrderItem, PushSubscription, Store
from .parsing import context_for, normalize_tracking_number, parse_order, zone
from .push import active_push_subscriptions, push_target_values  # noqa: F401  (for the campaigns app)


def stores_of(merchant: Merchant) -> QuerySet[Store]:
    return Store.objects.for_merchant(merchant).select_related("connection").order_by("name", "pk")


def store_of(merchant: Merchant, pk: int) -> Store | None:
    return Store.objects.for_merchant(merchant).filter(pk=pk).first()


def orders_of(merchant: Merchant) -> QuerySet[Order]:
    return Order.objects.for_merchant(merchant).select_related("store", "buyer")


def search_orders(
    merchant: Merchant,
    *,
    q: str = "",
    store: Store | None = None,
    status: str = "",
    delivered: str = "",
    country: str = "",
) -> QuerySet[Order]:
    """The orders page: search by order number / external id, buyer email, or tracking number."""
    qs = orders_of(merchant)
    if store is not None:
        qs = qs.filter(store=store)
    if status:
        qs = qs.filter(status=status)
    if country:
        qs = qs.filter(ship_country=country.upper())
    if delivered == "yes":
        qs = qs.filter(delivered_at__isnull=False)
    elif delivered == "no":
        qs = qs.filter(delivered_at__isnull=True)
    q = (q or "").strip()
    if q:
        match = Q(number__iexact=q) | Q(external_id__iexact=q) | Q(tracking_number=normalize_tracking_number(q))
        if q.startswith("#"):
            match |= Q(number__iexact=q.lstrip("#"))
        else:
            match |= Q(number__iexact=f"#{q}")
        if "@" in q:
            with contextlib.suppress(InvalidAddress):
                match |= Q(buyer__email_hash=email_hash(merchant.pk, q))
            match |= Q(buyer__email__icontains=q)
        qs = qs.filter(match)
    return qs.order_by("-placed_at", "-pk")


def order_detail(merchant: Merchant, pk: int) -> Order | None:
    return (
        orders_of(merchant)
        .prefetch_related(
            "items",
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("occurred_at", "pk")),
        )
        .filter(pk=pk)
        .first()
    )


def delivered_orders(
    *,
    merchant: Merchant,
    stores: Iterable[Store] | None = None,
    delivered_from: dt.datetime | None = None,
    delivered_to: dt.datetime | None = None,
    include_excluded: bool = False,
) -> QuerySet[Order]:
    """Delivered orders in a window, for campaigns: buyer and store joined, items prefetched."""
    qs = Order.objects.for_merchant(merchant).delivered_between(delivered_from, delivered_to)
    if stores is not None:
        qs = qs.for_stores(list(stores))
    if not include_excluded:
        qs = qs.not_excluded()
    return qs.select_related("store", "buyer").prefetch_related("items").order_by("delivered_at", "pk")


def campaign_candidates(
    *,
    merchant_id: int,
    store_ids: Iterable[int],
    delivered_from: dt.datetime,
    delivered_to: dt.datetime,
    delivered_after: dt.datetime | None = None,
    changed_since: dt.datetime | None = None,
) -> QuerySet[Order]:
    """Contactable orders a campaign may plan: delivered in [from, to], not cancelled / refunded / returned /
    claimed / reviewed, in the given stores (served by the partial index `order_contactable_delivered`).

    With a cursor (`delivered_after`, `changed_since`) only the orders that became due since the last run
    are read: those delivered after the cursor, or changed (inserted, updated, delivered late) since. The
    cost then follows the number of newly due orders, not the size of the table.
    """
    qs = Order.objects.filter(
        merchant_id=merchant_id,
        store_id__in=list(store_ids),
        delivered_at__gte=delivered_from,
        delivered_at__lte=delivered_to,
    ).not_excluded()
    recent = Q()
    if delivered_after is not None:
        recent |= Q(delivered_at__gt=delivered_after)
    if changed_since is not None:
        recent |= Q(updated_at__gte=changed_since)
    if recent:
        qs = qs.filter(recent)
    return qs


def shipped_candidates(
    *, merchant_id: int, store_ids: Iterable[int], shipped_from: dt.datetime, shipped_to: dt.datetime
) -> QuerySet[Order]:
    """Orders of stores that send no delivery signal: shipped in [from, to], never reported delivered."""
    return Order.objects.filter(
        merchant_id=merchant_id,
        store_id__in=list(store_ids),
        delivered_at__isnull=True,
        shipped_at__gte=shipped_from,
        shipped_at__lte=shipped_to,
    ).not_excluded()


def fulfilment_events(
    *,
    merchant_id: int,
    store_ids: Iterable[int],
    types: Iterable[str],
    received_after: dt.datetime | None = None,
    event_ids: Iterable[int] | None = None,
    occurred_after: dt.datetime | None = None,
) -> QuerySet[OrderEvent]:
    """Order events of these types in these stores, received after the cursor (index
    `orderevent_merchant_type`) or by id (the on-commit path); order, store and buyer joined."""
    qs = OrderEvent.objects.filter(merchant_id=merchant_id, type__in=list(types), order__store_id__in=list(store_ids))
    if received_after is not None:
        qs = qs.filter(received_at__gte=received_after)
    if event_ids is not None:
        qs = qs.filter(pk__in=list(event_ids))
    if occurred_after is not None:
        qs = qs.filter(occurred_at__gte=occurred_after)
    return qs.select_related("order", "order__store", "order__buyer").order_by("pk")


def segment_buyers(
    *,
    merchant_id: int,
    store_ids: Iterable[int],
    countries: Iterable[str] = (),
    last_order_from: dt.datetime | None = None,
    last_order_to: dt.datetime | None = None,
    skus: Iterable[str] = (),
    min_orders: int = 1,
) -> QuerySet[Buyer]:
    """Buyers (not erased) whose orders match a repeat-purchase segment.

    - `countries`: the ship-to country of the buyer's last order is one of these;
    - `last_order_from` / `last_order_to`: their last order was placed in [from, to);
    - `skus`: they bought at least one of these SKUs (case-insensitive), in any order;
    - `min_orders`: at least this many orders that were not cancelled.
    Each buyer carries `last_order_id`, `last_order_at`, `last_country` and `order_count`.
    """
    placed = Coalesce("placed_at", "created_at")
    orders = Order.objects.filter(buyer_id=OuterRef("pk"), cancelled=False).annotate(at=placed).order_by("-at", "-pk")
    qs = (
        Buyer.objects.filter(merchant_id=merchant_id, store_id__in=list(store_ids), erased_at__isnull=True)
        .annotate(
            order_count=Count("orders", filter=Q(orders__cancelled=False)),
            last_order_at=Max(Coalesce("orders__placed_at", "orders__created_at"), filter=Q(orders__cancelled=False)),
            last_order_id=Subquery(orders.values("pk")[:1]),
            last_country=Subquery(orders.values("ship_country")[:1]),
        )
        .filter(order_count__gte=max(1, int(min_orders or 1)))
    )
    wanted = sorted({str(c).strip().upper() for c in countries if str(c).strip()})
    if wanted:
        qs = qs.filter(last_country__in=wanted)
    if last_order_from is not None:
        qs = qs.filter(last_order_at__gte=last_order_from)
    if last_order_to is not None:
        qs = qs.filter(last_order_at__lt=last_order_to)
    wanted_skus = sorted({str(s).strip().upper() for s in skus if str(s).strip()})
    if wanted_skus:
        bought = OrderItem.objects.filter(order__buyer_id=OuterRef("pk"), order__cancelled=False).annotate(
            sku_upper=Upper("sku")
        )
        qs = qs.filter(Exists(bought.filter(sku_upper__in=wanted_skus)))
    return qs.order_by("pk")


def repeat_order_ids(*, merchant_id: int, orders: Iterable[Order]) -> set[int]:
    """Which of these orders come from a buyer (same email or phone hash, any store) who ordered before."""
    orders = [o for o in orders if o.buyer_id]
    repeat: set[int] = set()
    for field in ("id", "email_hash", "phone_hash"):
        keys = {getattr(o.buyer, field) for o in orders if getattr(o.buyer, field)}
        if not keys:
            continue
        first = dict(
            Order.objects.filter(merchant_id=merchant_id, **{f"buyer__{field}__in": keys})
            .values_list(f"buyer__{field}")
            .annotate(first=Min("placed_at"))
            .values_list(f"buyer__{field}", "first")
        )
        for order in orders:
            earliest = first.get(getattr(order.buyer, field))
            if earliest is not None and order.placed_at is not None and order.placed_at > earliest:
                repeat.add(order.pk)
    return repeat


def orders_by_tracking_number(*, merchant: Merchant, tracking_number: str) -> QuerySet[Order]:
    number = normalize_tracking_number(tracking_number)
    if not number:
        return Order.objects.none()
    return Order.objects.for_merchant(merchant).filter(tracking_number=number)


def order_by_external_id(*, store: Store, external_id: str) -> Order | None:
    return Order.objects.filter(store=store, external_id=external_id).first()


def orders_by_reference(*, merchant: Merchant, references: Iterable[str]) -> dict[str, list[Order]]:
    """The merchant's orders whose external id (or, failing that, order number) is one of `references`,
    with store and buyer loaded: {reference: [orders]}; one reference may match orders of several stores."""
    refs = {str(r).strip() for r in references if str(r).strip()}
    found: dict[str, list[Order]] = {}
    if not refs:
        return found
    rows = (
        Order.objects.for_merchant(merchant)
        .filter(Q(external_id__in=refs) | Q(number__in=refs))
        .select_related("store", "buyer")
        .order_by("pk")
    )
    by_number: dict[str, list[Order]] = {}
    for order in rows:
        if order.external_id in refs:
            found.setdefault(order.external_id, []).append(order)
        if order.number in refs:
            by_number.setdefault(order.number, []).append(order)
    for ref, orders in by_number.items():
        found.setdefault(ref, orders)
    return found


def buyer_of(merchant: Merchant, pk: int) -> Buyer | None:
    return Buyer.objects.for_merchant(merchant).select_related("store").filter(pk=pk).first()


def buyers_with_identity(*, merchant: Merchant, email_hash: str = "", phone_hash: str = "") -> QuerySet[Buyer]:
    """Every buyer record of one person across the merchant's stores (by hashed email or phone)."""
    match = Q(pk__in=[])
    if email_hash:
        match |= Q(email_hash=email_hash)
    if phone_hash:
        match |= Q(phone_hash=phone_hash)
    return Buyer.objects.for_merchant(merchant).filter(match)


def current_consent(*, buyer: Buyer, channel: str) -> Consent | None:
    """The buyer's latest consent record for a channel (None: never asked)."""
    return buyer.consents.filter(channel=channel).order_by("-recorded_at", "-pk").first()


def current_consent_statuses(*, buyer_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """{(buyer id, channel): status of the latest consent record} for many buyers in one query (dispatch)."""
    latest: dict[tuple[int, str], str] = {}
    rows = (
        Consent.objects.filter(buyer_id__in=list(buyer_ids))
        .order_by("buyer_id", "channel", "-recorded_at", "-pk")
        .values_list("buyer_id", "channel", "status")
    )
    for buyer_id, channel, status in rows:
        latest.setdefault((buyer_id, channel), status)
    return latest


def has_consent(*, buyer: Buyer, channel: str) -> bool:
    consent = current_consent(buyer=buyer, channel=channel)
    return consent is not None and consent.status == Consent.Status.GRANTED


def consents_of(buyer: Buyer) -> QuerySet[Consent]:
    return buyer.consents.order_by("-recorded_at", "-pk")


def order_counts(merchant: Merchant) -> dict[str, int]:
    """The dashboard card: all orders, delivered in the last 30 days, shipped and waiting for delivery."""
    since = timezone.now() - dt.timedelta(days=30)
    return Order.objects.for_merchant(merchant).aggregate(
        total=Count("pk"),
        delivered_30d=Count("pk", filter=Q(delivered_at__gte=since)),
        awaiting_delivery=Count("pk", filter=Q(delivered_at__isnull=True, cancelled=False, shipped_at__isnull=False)),
        stores=Count("store", distinct=True),
    )


def import_jobs_of(merchant: Merchant) -> QuerySet[ImportJob]:
    return ImportJob.objects.for_merchant(merchant).select_related("store", "created_by").defer("content")


def preview_import(job: ImportJob, mapping: dict[str, str] | None = None) -> list[dict]:
    """The first orders of an uploaded file as they would be imported, each with its errors (nothing saved)."""
    mapping = mapping if mapping is not None else job.mapping
    if job.content is None:
        return []
    table = imports.read_table(bytes(job.content), job.filename)
    groups = imports.group_orders(table, mapping)[: imports.PREVIEW_ORDERS]
    ctx = context_for(job.store, naive_tz=zone(job.merchant.default_time_zone))
    preview = []
    for group in groups:
        errors = [{"row": group.lines[0], **e} for e in group.errors]
        parsed = None
        if not errors:
            parsed, field_errors = parse_order(group.row, ctx)
            errors = [
                {
                    "row": imports.line_of(e["field"], group),
                    "column": imports.column_of(e["field"], mapping),
                    "message": e["message"],
                }
                for e in field_errors
            ]
        preview.append({"lines": group.lines, "row": group.row, "parsed": parsed, "errors": errors})
    return preview


def push_subscriptions_of(buyer: Buyer) -> QuerySet[PushSubscription]:
    """Every push subscription of the buyer (active and gone), for the buyer page and the API."""
    return PushSubscription.objects.filter(buyer=buyer).order_by("-created_at", "-pk")


def active_push_subscriptions_by_buyer(*, buyer_ids: Iterable[int]) -> dict[tuple[int, str], PushSubscription]:
    """{(buyer id, kind): the newest active subscription} for many buyers in one query (dispatch's batches)."""
    found: dict[tuple[int, str], PushSubscription] = {}
    rows = PushSubscription.objects.filter(
        buyer_id__in=list(buyer_ids), status=PushSubscription.Status.ACTIVE
    ).order_by("buyer_id", "kind", "-updated_at", "-id")
    for row in rows:
        found.setdefault((row.buyer_id, row.kind), row)
    return found
