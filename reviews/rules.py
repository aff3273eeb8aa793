"""The campaign's rules as pure functions: one place decides, for planning, dispatch, the dry run and the
order page alike.

- `exclusion_of(campaign, order, items=..., repeat=...)`: the first exclusion code that applies, or None.
- `plan_for(steps, order)`: the ordered channel plan for the order's country (Amazon orders: the Amazon
  steps only; other orders: never an Amazon step).
- `amazon_window(order)`: Amazon's solicitation window (5 days after the earliest delivery date to 30
  days after the latest, the last day included).
- `assign(campaign, order_id, variants)`: hold-out and A/B variant, stable per order (a keyed hash, not
  a random draw), so re-planning or a second beat never moves an order to another group.
- `contact_for(channel, buyer, store)`: the address a channel would use, or the code saying why none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .codes import Code
from .models import NOTICE_PURPOSES, Campaign, Channel, Purpose
from .windows import Window

AMAZON_OPENS = dt.timedelta(days=5)
AMAZON_CLOSES = dt.timedelta(days=31)  # latest + 30 days, that whole day included


def _folded(values: Iterable[str]) -> set[str]:
    return {str(v).strip().casefold() for v in values or [] if str(v).strip()}


def exclusion_of(campaign: Campaign, order, *, items: Sequence | None = None, repeat: bool = False) -> str | None:
    """The first exclusion that applies to this order, as a code; None when the order may be contacted.

    A broadcast's buyers were chosen by its segment (the order is only their last one, for the store and
    language): nothing here applies. A fulfilment notice is news about the parcel, so only a cancelled or
    refunded order is left out of the order-state checks (a claim or a review changes nothing about it).
    """
    if campaign.purpose == Purpose.BROADCAST:
        return None
    if order.cancelled:
        return Code.CANCELLED
    if order.refunded:
        return Code.REFUNDED
    if campaign.purpose not in NOTICE_PURPOSES:
        if order.returned:
            return Code.RETURNED
        if order.claim_open:
            return Code.CLAIM_OPEN
        if order.buyer_reviewed:
            return Code.ALREADY_REVIEWED
    if order.fulfillment_channel in (campaign.exclude_fulfillment or []):
        return Code.FULFILMENT_EXCLUDED
    country = (order.ship_country or "").upper()
    include = {c.upper() for c in campaign.countries_include or []}
    if (include and country not in include) or country in {c.upper() for c in campaign.countries_exclude or []}:
        return Code.COUNTRY_EXCLUDED
    if campaign.min_total is not None and order.total is not None and order.total < campaign.min_total:
        return Code.TOTAL_BELOW_MINIMUM
    if items is not None:
        checks = (
            ("sku", Code.SKU_EXCLUDED, Code.SKU_NOT_INCLUDED, campaign.sku_exclude, campaign.sku_include),
            ("product_id", Code.PRODUCT_EXCLUDED, Code.PRODUCT_NOT_INCLUDED, campaign.product_exclude,
             campaign.product_include),
            ("category", Code.CATEGORY_EXCLUDED, Code.CATEGORY_NOT_INCLUDED, campaign.category_exclude,
             campaign.category_include),
        )  # fmt: skip
        for attribute, excluded_code, not_included_code, exclude, include in checks:
            values = _folded(getattr(item, attribute) for item in items)
            if values & _folded(exclude):
                return excluded_code
            wanted = _folded(include)
            if wanted and not values & wanted:
                return not_included_code
    if repeat:
        return Code.REPEAT_BUYER
    return None


def too_old(campaign: Campaign, order, now: dt.datetime) -> bool:
    """Dispatch's last look: a review request for an order delivered longer ago than the campaign allows.

    Notices were checked against their event when planned, and a broadcast's buyers may have ordered long
    ago on purpose: neither expires here.
    """
    if campaign.purpose == Purpose.BROADCAST or campaign.purpose in NOTICE_PURPOSES:
        return False
    anchor = order.delivered_at or order.shipped_at
    limit = dt.timedelta(days=campaign.max_age_days + (campaign.reminder_days or 0))
    return anchor is not None and now - anchor > limit


def needs_items(campaign: Campaign) -> bool:
    return any(
        (
            campaign.sku_include,
            campaign.sku_exclude,
            campaign.product_include,
            campaign.product_exclude,
            campaign.category_include,
            campaign.category_exclude,
        )
    )


def plan_for(steps: Sequence, order) -> list:
    """The order's channel plan: its country's steps, else the default ('*') ones, in order.

    Amazon orders see only Amazon steps (a country's plan without one falls back to the default's), other
    orders never an Amazon step.
    """
    country = (order.ship_country or "").upper()
    if order.store.is_amazon:
        usable = [s for s in steps if s.channel == Channel.AMAZON]
    else:
        usable = [s for s in steps if s.channel != Channel.AMAZON]
    chosen = [s for s in usable if s.country == country] or [s for s in usable if s.country == "*"]
    return sorted(chosen, key=lambda s: (s.position, s.pk or 0))


def amazon_window(order) -> tuple[dt.datetime, dt.datetime] | None:
    """[opens, closes) in UTC, or None when the order has no promised delivery dates."""
    earliest = order.earliest_delivery_date or order.latest_delivery_date
    latest = order.latest_delivery_date or order.earliest_delivery_date
    if earliest is None:
        if order.delivered_at is None:
            return None
        earliest = latest = order.delivered_at.astimezone(dt.UTC).date()
    start = dt.datetime.combine(earliest, dt.time(0), tzinfo=dt.UTC)
    end = dt.datetime.combine(latest, dt.time(0), tzinfo=dt.UTC)
    return start + AMAZON_OPENS, end + AMAZON_CLOSES


def _bucket(*parts: object, modulo: int) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") % modulo


@dataclass(frozen=True)
class Assignment:
    held_out: bool
    variant: str = ""
    template_name: str = ""


def assign(campaign: Campaign, order_id: int, variants: Sequence) -> Assignment:
    """Hold-out first (per 10,000), then a variant by weight; the same answer every time for an order."""
    if campaign.holdout_percent and _bucket(campaign.pk, order_id, "holdout", modulo=10_000) < (
        campaign.holdout_percent * 100
    ):
        return Assignment(held_out=True)
    variants = sorted(variants, key=lambda v: v.name)
    total = sum(v.weight for v in variants)
    if not total:
        return Assignment(held_out=False)
    point = _bucket(campaign.pk, order_id, "variant", modulo=total)
    for variant in variants:
        if point < variant.weight:
            return Assignment(held_out=False, variant=variant.name, template_name=variant.template_name)
        point -= variant.weight
    return Assignment(held_out=False)


def window_of(campaign: Campaign) -> Window:
    days = frozenset(int(d) for d in (campaign.send_days or []) if str(d).isdigit() and 0 <= int(d) <= 6)
    return Window(start=campaign.window_start, end=campaign.window_end, days=days)


def contact_for(channel: str, buyer, store) -> tuple[str, str | None]:
    """(address, None) when the channel can reach the buyer, else ("", code)."""
    if channel == Channel.AMAZON:
        return ("", None) if store.is_amazon else ("", Code.NO_CONTACT)
    if store.is_amazon:
        return "", Code.AMAZON_ONLY
    if buyer is None:
        return "", Code.NO_CONTACT
    if buyer.erased_at is not None:
        return "", Code.BUYER_ERASED
    if channel == Channel.EMAIL:
        if buyer.email_is_relay:
            return "", Code.RELAY_ADDRESS
        return (buyer.email, None) if buyer.email else ("", Code.NO_CONTACT)
    return (buyer.phone, None) if buyer.phone else ("", Code.NO_CONTACT)


def identity_of(buyer, order) -> str:
    """What the frequency cap counts by: the buyer's email hash, else phone hash, else the buyer row."""
    if buyer is not None:
        if buyer.email_hash:
            return f"e:{buyer.email_hash}"
        if buyer.phone_hash:
            return f"p:{buyer.phone_hash}"
        return f"b:{buyer.pk}"
    return f"o:{order.pk}"
