"""What a month of messages will cost, before anything is sent (the quote page, a campaign's estimate).

Read-only: nothing here reserves or writes. Prices come from the price book in
effect at `at`; the plan's included volume is applied per channel, to the
volumes in the order given (billing itself applies it in time order).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .models import Channel, MessageClass, Plan
from .money import ZERO, billing_currency, quantize

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Volume:
    """Expected messages to one channel x country x class (SMS: `units_per_message` segments each)."""

    channel: str
    country: str
    message_class: str
    messages: int
    units_per_message: int = 1

    def __post_init__(self):
        if self.channel not in Channel.values:
            raise ValueError(f"unknown channel {self.channel!r}")
        if self.message_class not in MessageClass.values:
            raise ValueError(f"unknown message class {self.message_class!r}")
        if self.messages < 0 or self.units_per_message < 1:
            raise ValueError("messages must be 0 or more and units per message at least 1")


@dataclass(frozen=True)
class QuoteLine:
    channel: str
    country: str
    message_class: str
    messages: int
    units: int
    included_units: int
    unit_price: Decimal | None  # None: the price book has no price for it
    amount: Decimal

    @property
    def billable_units(self) -> int:
        return self.units - self.included_units

    @property
    def priced(self) -> bool:
        return self.unit_price is not None


@dataclass(frozen=True)
class Quote:
    currency: str
    price_book_version: int | None
    plan_name: str
    plan_fee: Decimal
    lines: list[QuoteLine] = field(default_factory=list)

    @property
    def usage_total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.plan_fee + self.usage_total

    @property
    def messages(self) -> int:
        return sum(line.messages for line in self.lines)

    @property
    def unpriced(self) -> list[QuoteLine]:
        return [line for line in self.lines if not line.priced]


def estimate_cost(
    *,
    merchant=None,
    volumes: Iterable[Volume],
    plan: Plan | None = None,
    at: dt.datetime | None = None,
    apply_included: bool = True,
) -> Quote:
    """Price `volumes` for one month. `plan` defaults to the merchant's current plan (none: no fee).

    A campaign's 30-day estimate passes its expected volumes with
    `apply_included=False` when the month's included volume is already used.
    """
    from . import selectors

    if plan is None and merchant is not None:
        plan = selectors.plan_of(merchant, at)
    book = selectors.current_price_book(at)
    merged: dict[tuple[str, str, str], list[int]] = {}
    for volume in volumes:
        key = (volume.channel, (volume.country or "").upper(), volume.message_class)
        entry = merged.setdefault(key, [0, 0])
        entry[0] += volume.messages
        entry[1] += volume.messages * volume.units_per_message
    pools = {c: (plan.included_for(c) if plan and apply_included else 0) for c in Channel.values}
    lines = []
    for (channel, country, message_class), (messages, units) in merged.items():
        price = (
            selectors.find_price(price_book=book, channel=channel, country=country, message_class=message_class)
            if book
            else None
        )
        if price is None:
            lines.append(QuoteLine(channel, country, message_class, messages, units, 0, None, ZERO))
            continue
        included = min(units, pools[channel])
        pools[channel] -= included
        amount = quantize(price.unit_price * (units - included))
        lines.append(QuoteLine(channel, country, message_class, messages, units, included, price.unit_price, amount))
    return Quote(
        currency=book.currency if book else billing_currency(),
        price_book_version=book.version if book else None,
        plan_name=plan.name if plan else "",
        plan_fee=plan.monthly_fee if plan else ZERO,
        lines=lines,
    )


def volumes_from_mix(
    *,
    monthly_orders: int,
    messages_per_order: int,
    channel_shares: Mapping[str, Decimal],
    country_shares: Mapping[str, Decimal],
    sms_segments: int = 1,
    message_class: str = MessageClass.MARKETING,
) -> list[Volume]:
    """Turn 'orders a month, % reached per channel, % per country' into volumes.

    A share is a percentage of orders. Amazon allows one solicitation per
    order, so that channel ignores `messages_per_order`; SMS counts
    `sms_segments` units per message. Counts round half up.
    """
    volumes = []
    for channel, channel_share in channel_shares.items():
        if not channel_share:
            continue
        per_order = 1 if channel == Channel.AMAZON_SOLICITATION else messages_per_order
        units = sms_segments if channel == Channel.SMS else 1
        for country, country_share in country_shares.items():
            exact = Decimal(monthly_orders * per_order) * Decimal(channel_share) * Decimal(country_share) / HUNDRED**2
            messages = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
            if messages:
                volumes.append(Volume(channel, country, message_class, messages, units))
    return volumes
