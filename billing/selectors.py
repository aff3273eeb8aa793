"""Reads for billing: prices, plans, balances, caps, usage, statements, and the books check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from . import hooks
from .countries import ANY_COUNTRY
from .models import (
    ALL_CHANNELS,
    BudgetCap,
    CapAlert,
    Channel,
    ChannelCap,
    LedgerEntry,
    Plan,
    Price,
    PriceBook,
    Reservation,
    SpendCounter,
    Statement,
    Subscription,
    UsageRecord,
    Wallet,
)
from .money import ZERO, billing_currency, quantize, sum_of
from .periods import day_of, month_bounds, month_of

# --- prices ----------------------------------------------------------------------------------


def current_price_book(at: dt.datetime | None = None) -> PriceBook | None:
    """The version in effect at `at` (now): the latest effective-from not in the future."""
    return PriceBook.objects.effective_at(at or timezone.now()).first()


def find_price(*, price_book: PriceBook, channel: str, country: str, message_class: str) -> Price | None:
    """A price for the destination country wins over the '*' default."""
    best = None
    for price in Price.objects.filter(
        price_book=price_book, channel=channel, message_class=message_class, country__in=[country, ANY_COUNTRY]
    ):
        if price.country == country:
            return price
        best = price
    return best


def price_book_is_used(price_book: PriceBook) -> bool:
    """Used = it priced a reservation (and so possibly a usage record): then it is frozen."""
    if price_book.pk is None:
        return False
    return (
        Reservation.objects.filter(price_book=price_book).exists()
        or UsageRecord.objects.filter(price_book=price_book).exists()
    )


def price_table(price_book: PriceBook) -> list[Price]:
    return list(price_book.prices.all())


# --- plans and subscriptions -----------------------------------------------------------------


def current_subscription(merchant, at: dt.datetime | None = None) -> Subscription | None:
    at = at or timezone.now()
    return (
        Subscription.objects.for_merchant(merchant)
        .filter(started_at__lte=at)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at))
        .select_related("plan")
        .order_by("-started_at")
        .first()
    )


def plan_of(merchant, at: dt.datetime | None = None) -> Plan | None:
    subscription = current_subscription(merchant, at)
    return subscription.plan if subscription else None


def subscription_for_month(merchant, month: dt.date) -> Subscription | None:
    """The latest subscription that overlapped the month: its plan's fee is charged in full."""
    start, end = month_bounds(month)
    return (
        Subscription.objects.for_merchant(merchant)
        .filter(started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .select_related("plan")
        .order_by("-started_at")
        .first()
    )


def offered_plans():
    return Plan.objects.filter(is_active=True)


# --- wallet and caps -------------------------------------------------------------------------


def wallet_of(merchant) -> Wallet:
    """The merchant's wallet, or an empty unsaved one (a wallet is created by its first entry)."""
    wallet = Wallet.objects.for_merchant(merchant).first()
    return wallet or Wallet(merchant=merchant, currency=billing_currency())


def budget_cap_of(merchant) -> BudgetCap:
    cap = BudgetCap.objects.for_merchant(merchant).first()
    return cap or BudgetCap(merchant=merchant)


def channel_caps_of(merchant) -> dict[str, ChannelCap]:
    return {c.channel: c for c in ChannelCap.objects.for_merchant(merchant)}


def allowed_countries(merchant, cap: BudgetCap | None = None) -> set[str]:
    """Where SMS and WhatsApp may go: the stores' shipping countries, else the explicit list."""
    cap = cap if cap is not None else budget_cap_of(merchant)
    if cap.countries_follow_stores:
        shipping = hooks.shipping_countries(merchant)
        if shipping is not None:
            return shipping
    return {str(c).upper() for c in cap.allowed_countries or []}


@dataclass(frozen=True)
class CapState:
    scope: str  # "day" | "month"
    channel: str  # "all" or a channel
    limit: Decimal
    spent: Decimal  # used + reserved
    percent: int

    @property
    def reached(self) -> bool:
        return self.spent >= self.limit

    @property
    def channel_label(self) -> str:
        return Channel(self.channel).label if self.channel != ALL_CHANNELS else ""


def cap_states(merchant, now: dt.datetime | None = None) -> list[CapState]:
    """Every cap the merchant set, with what today / this month has spent against it."""
    cap = BudgetCap.objects.for_merchant(merchant).first()
    limits = []
    if cap is not None:
        limits += [("month", ALL_CHANNELS, cap.monthly_limit), ("day", ALL_CHANNELS, cap.daily_limit)]
    for channel_cap in ChannelCap.objects.for_merchant(merchant):
        limits += [
            ("month", channel_cap.channel, channel_cap.monthly_limit),
            ("day", channel_cap.channel, channel_cap.daily_limit),
        ]
    limits = [entry for entry in limits if entry[2] is not None]
    if not limits:
        return []
    starts = {"day": day_of(now), "month": month_of(now)}
    counters = {
        (c.scope, c.channel): c
        for c in SpendCounter.objects.for_merchant(merchant).filter(
            Q(scope="day", period_start=starts["day"]) | Q(scope="month", period_start=starts["month"])
        )
    }
    states = []
    for scope, channel, limit in limits:
        counter = counters.get((scope, channel))
        spent = counter.total if counter else ZERO
        percent = int(spent * 100 / limit) if limit > 0 else (100 if spent > 0 else 0)
        states.append(CapState(scope=scope, channel=channel, limit=limit, spent=spent, percent=percent))
    return states


def active_cap_alerts(merchant, now: dt.datetime | None = None) -> list[CapAlert]:
    """Alerts of the current day and month whose cap is still the one alerted about."""
    states = {(s.scope, s.channel): s for s in cap_states(merchant, now)}
    alerts = CapAlert.objects.for_merchant(merchant).filter(
        Q(scope="day", period_start=day_of(now)) | Q(scope="month", period_start=month_of(now))
    )
    current = []
    seen = set()
    for alert in alerts.order_by("-threshold", "-created_at"):
        state = states.get((alert.scope, alert.channel))
        key = (alert.scope, alert.channel)
        if state is None or state.limit != alert.limit or key in seen:
            continue
        seen.add(key)
        current.append(alert)
    return current


def blocking_alerts(merchant, now: dt.datetime | None = None) -> list[CapAlert]:
    """Caps at 100 %: dispatch is skipping this merchant's paid messages until they reset or rise."""
    return [a for a in active_cap_alerts(merchant, now) if a.threshold >= 100]


# --- usage -----------------------------------------------------------------------------------


def usage_records(merchant, *, month: dt.date | None = None, channel: str = "", country: str = ""):
    records = UsageRecord.objects.for_merchant(merchant).select_related("price_book")
    if month is not None:
        records = records.filter(period=month)
    if channel:
        records = records.filter(channel=channel)
    if country:
        records = records.filter(country=country)
    return records.order_by("-created_at", "-id")


@dataclass(frozen=True)
class UsageRow:
    channel: str
    country: str
    message_class: str
    messages: int
    units: int
    included_units: int
    amount: Decimal


@dataclass(frozen=True)
class UsageSummary:
    month: dt.date
    currency: str
    rows: list[UsageRow]
    by_channel: list[tuple[str, int, Decimal]]  # (channel, messages, amount)
    by_country: list[tuple[str, int, Decimal]]
    messages: int
    units: int
    amount: Decimal


def usage_summary(merchant, month: dt.date) -> UsageSummary:
    """Usage of one statement month by channel x country x class, and per channel and per country."""
    grouped = (
        UsageRecord.objects.for_merchant(merchant)
        .filter(period=month)
        .values("channel", "country", "message_class")
        .annotate(
            messages=Count("id"), units=Sum("quantity"), included_units=Sum("included_units"), amount=Sum("amount")
        )
        .order_by("channel", "country", "message_class")
    )
    rows = [UsageRow(**{**row, "amount": quantize(Decimal(row["amount"]))}) for row in grouped]
    channels: dict[str, list] = {}
    countries: dict[str, list] = {}
    for row in rows:
        for bucket, key in ((channels, row.channel), (countries, row.country or ANY_COUNTRY)):
            entry = bucket.setdefault(key, [0, ZERO])
            entry[0] += row.messages
            entry[1] += row.amount
    by_channel = sorted(((k, v[0], v[1]) for k, v in channels.items()), key=lambda t: (-t[2], -t[1], t[0]))
    by_country = sorted(((k, v[0], v[1]) for k, v in countries.items()), key=lambda t: (-t[2], -t[1], t[0]))
    return UsageSummary(
        month=month,
        currency=wallet_of(merchant).currency,
        rows=rows,
        by_channel=by_channel,
        by_country=by_country,
        messages=sum(r.messages for r in rows),
        units=sum(r.units for r in rows),
        amount=sum((r.amount for r in rows), ZERO),
    )


def usage_months(merchant) -> list[dt.date]:
    """Months with usage, newest first (for the month picker)."""
    months = UsageRecord.objects.for_merchant(merchant).values_list("period", flat=True).distinct()
    return sorted(set(months), reverse=True)


# --- ledger and statements -------------------------------------------------------------------


def ledger_of(merchant, *, kinds: list[str] | None = None):
    entries = LedgerEntry.objects.for_merchant(merchant).select_related("created_by")
    if kinds:
        entries = entries.filter(kind__in=kinds)
    return entries.order_by("-created_at", "-id")


def top_ups_of(merchant):
    return ledger_of(merchant, kinds=[LedgerEntry.Kind.TOP_UP])


def statements_of(merchant):
    return Statement.objects.for_merchant(merchant).order_by("-month")


def latest_closed_month(merchant_id: int) -> dt.date | None:
    return Statement.objects.filter(merchant_id=merchant_id).aggregate(m=Max("month"))["m"]


def first_activity_month(merchant) -> dt.date | None:
    """The earliest month with a ledger entry, usage or a subscription (where statements start)."""
    candidates = [
        LedgerEntry.objects.for_merchant(merchant).aggregate(m=Min("period"))["m"],
        UsageRecord.objects.for_merchant(merchant).aggregate(m=Min("period"))["m"],
    ]
    first_subscription = Subscription.objects.for_merchant(merchant).aggregate(m=Min("started_at"))["m"]
    if first_subscription is not None:
        candidates.append(month_of(first_subscription))
    found = [c for c in candidates if c is not None]
    return min(found) if found else None


# --- the books check -------------------------------------------------------------------------


def verify_books(merchant) -> list[str]:
    """Problems found, empty when the books agree:

    - the wallet balance equals the sum of its ledger;
    - what the wallet holds reserved equals the held reservations;
    - every usage record with a charge has exactly its ledger entry;
    - today's and this month's counters equal their usage records and held reservations.
    """
    problems = []
    wallet = Wallet.objects.for_merchant(merchant).first()
    ledger_sum = sum_of(LedgerEntry.objects.for_merchant(merchant))
    held = Reservation.objects.for_merchant(merchant).filter(status=Reservation.Status.HELD)
    held_sum = sum_of(held)
    balance = wallet.balance if wallet else ZERO
    reserved = wallet.reserved if wallet else ZERO
    if balance != ledger_sum:
        problems.append(f"balance {balance} != ledger sum {ledger_sum}")
    if reserved != held_sum:
        problems.append(f"reserved {reserved} != held reservations {held_sum}")
    usage_sum = sum_of(UsageRecord.objects.for_merchant(merchant))
    ledger_usage = sum_of(LedgerEntry.objects.for_merchant(merchant).filter(kind=LedgerEntry.Kind.USAGE))
    if usage_sum != -ledger_usage:
        problems.append(f"usage records {usage_sum} != usage in the ledger {-ledger_usage}")

    for counter in SpendCounter.objects.for_merchant(merchant).filter(
        Q(scope="day", period_start=day_of()) | Q(scope="month", period_start=month_of())
    ):
        field = "day" if counter.scope == "day" else "month"
        used = Reservation.objects.for_merchant(merchant).filter(
            status=Reservation.Status.CONSUMED, **{field: counter.period_start}
        )
        reserved_q = held.filter(**{field: counter.period_start})
        if counter.channel != ALL_CHANNELS:
            used = used.filter(channel=counter.channel)
            reserved_q = reserved_q.filter(channel=counter.channel)
        used_amount = sum_of(UsageRecord.objects.filter(message_ref__in=used.values("message_ref")))
        reserved_amount = sum_of(reserved_q)
        if counter.amount_used != used_amount or counter.amount_reserved != reserved_amount:
            problems.append(
                f"counter {counter.scope} {counter.period_start} {counter.channel}: "
                f"used {counter.amount_used}/{used_amount}, reserved {counter.amount_reserved}/{reserved_amount}"
            )
    return problems
