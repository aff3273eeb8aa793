"""Reads of the insights app: campaign reports, A/B and hold-out results, chart series, breaker figures.

Reports are computed in SQL from the rows other apps own (reviews.Message, channels.DeliveryEvent,
billing.UsageRecord, orders.Order), read-only. One base queryset annotates each message with EXISTS
subqueries for its delivery events and a subquery for its usage amount, matched on the message reference
(`RefText`: the UUID as channels and billing store it, on PostgreSQL and on the demo's SQLite), then one
GROUP BY per table. So a table costs one query, whatever the number of messages.

Definitions (each message of the merchant's campaigns, except held-out rows, which are not messages):
- planned: every such row (planned, sending, sent, delivered, failed, skipped, unknown);
- sent: the row has a `sent_at` (a provider accepted it, including those that bounced later);
- delivered: the provider reported delivery; failed: status `failed`, by `reason_code`;
- opened / clicked / unsubscribes / complaints: messages with at least one such delivery event;
- review-link clicks: messages whose tracked review link was opened (`clicked_at`);
- cost: the sum of the messages' usage records; cost per review click: cost / review-link clicks.
Messages are placed in days, weeks and months by `send_at` in the merchant's time zone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db import connection, transaction
from django.db.models import CharField, Count, Exists, Func, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Cast, TruncDay
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import UsageRecord
from billing.money import ZERO, quantize
from channels.models import ChannelAccount, DeliveryEvent
from reviews.codes import label as code_label
from reviews.models import Campaign, Message, MessageAttempt, MessageStatus

from . import stats
from .models import BreakerTrip, Notice

PERIODS = ("day", "week", "month")
EVENT_METRICS = {
    "opened": DeliveryEvent.Type.OPENED,
    "clicked": DeliveryEvent.Type.CLICKED,
    "unsubscribes": DeliveryEvent.Type.UNSUBSCRIBED,
    "complaints": DeliveryEvent.Type.COMPLAINED,
}
METRICS = [
    ("planned", _("Planned")),
    ("sent", _("Sent")),
    ("delivered", _("Delivered")),
    ("failed", _("Failed")),
    ("opened", _("Opened")),
    ("clicked", _("Clicked")),
    ("review_clicks", _("Review-link clicks")),
    ("unsubscribes", _("Unsubscribes")),
    ("complaints", _("Complaints")),
    ("cost", _("Cost")),
    ("cost_per_review_click", _("Cost per review click")),
]
DIMENSIONS = {
    "campaign": _("Campaign"),
    "channel": _("Channel"),
    "country": _("Country"),
    "variant": _("Variant"),
    "period": _("Period"),
}
# Orders a campaign's rules excluded at planning (skipped before hold-out was drawn): in neither group.
EXCLUSION_CODES = frozenset(
    {
        "cancelled", "refunded", "returned", "claim_open", "already_reviewed", "fulfilment_excluded",
        "sku_excluded", "sku_not_included", "product_excluded", "product_not_included", "category_excluded",
        "category_not_included", "country_excluded", "total_below_minimum", "repeat_buyer", "too_old",
        "not_delivered", "not_due", "store_not_in_campaign",
    }
)  # fmt: skip


class RefText(Func):
    """A UUID column as the text other apps store (lower case, with hyphens)."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):
        return Cast(self.source_expressions[0], CharField()).as_sql(compiler, connection)

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite keeps a UUIDField as 32 hex digits: put the hyphens back.
        sql, params = compiler.compile(self.source_expressions[0])
        parts = " || '-' || ".join(f"substr({sql}, {a}, {n})" for a, n in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12)))
        return f"lower({parts})", params * 5


@dataclass
class ReportFilter:
    campaign: Campaign | None = None
    channel: str = ""
    country: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    period: str = "day"

    def query(self) -> dict:
        out = {"period": self.period}
        for key in ("channel", "country"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.date_from:
            out["date_from"] = self.date_from.isoformat()
        if self.date_to:
            out["date_to"] = self.date_to.isoformat()
        return out


def zone_of(merchant) -> ZoneInfo:
    try:
        return ZoneInfo(merchant.default_time_zone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _day_start(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def _scoped_messages(merchant, flt: ReportFilter) -> QuerySet[Message]:
    rows = Message.objects.for_merchant(merchant).exclude(status=MessageStatus.HELD_OUT)
    tz = zone_of(merchant)
    if flt.campaign is not None:
        rows = rows.filter(campaign_id=flt.campaign.pk)
    if flt.channel:
        rows = rows.filter(channel=flt.channel)
    if flt.country:
        rows = rows.filter(country=flt.country.upper())
    if flt.date_from:
        rows = rows.filter(send_at__gte=_day_start(flt.date_from, tz))
    if flt.date_to:
        rows = rows.filter(send_at__lt=_day_start(flt.date_to + dt.timedelta(days=1), tz))
    return rows


def insert_card_scans(merchant, flt: ReportFilter) -> dict:
    """Printed insert cards and their QR scans in the report's date range (the merchant's days), read through
    the inserts app: {"cards", "scans", "scanned_cards"}. Cards are not messages: only the merchant-wide
    report shows them, beside the channels."""
    from inserts import selectors as insert_selectors

    tz = zone_of(merchant)
    since = _day_start(flt.date_from, tz) if flt.date_from else None
    until = _day_start(flt.date_to + dt.timedelta(days=1), tz) if flt.date_to else None
    return insert_selectors.scan_counts(merchant=merchant, since=since, until=until)


def _has_event(event_type: str) -> Exists:
    return Exists(
        DeliveryEvent.objects.filter(
            merchant_id=OuterRef("merchant_id"), message_ref=OuterRef("ref_text"), event_type=event_type
        )
    )


def annotated_messages(merchant, flt: ReportFilter) -> QuerySet[Message]:
    """The filtered messages, each with its events (booleans) and usage amount."""
    usage = UsageRecord.objects.filter(
        merchant_id=OuterRef("merchant_id"), message_ref=OuterRef("ref_text")
    ).order_by()  # unique per reference: no sort needed
    return (
        _scoped_messages(merchant, flt)
        .annotate(ref_text=RefText("message_ref"))
        .annotate(
            **{f"has_{name}": _has_event(event_type) for name, event_type in EVENT_METRICS.items()},
            usage_amount=Subquery(usage.values("amount")[:1]),
        )
    )


def _aggregates() -> dict:
    sent = Q(sent_at__isnull=False)
    return {
        "planned": Count("id"),
        "sent": Count("id", filter=sent),
        "delivered": Count("id", filter=Q(status=MessageStatus.DELIVERED) | Q(delivered_at__isnull=False)),
        "failed": Count("id", filter=Q(status=MessageStatus.FAILED)),
        "review_clicks": Count("id", filter=Q(clicked_at__isnull=False)),
        **{name: Count("id", filter=Q(**{f"has_{name}": True})) for name in EVENT_METRICS},
        "cost": Sum("usage_amount"),
    }


@dataclass
class ReportRow:
    key: object
    label: str
    planned: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    opened: int = 0
    clicked: int = 0
    review_clicks: int = 0
    unsubscribes: int = 0
    complaints: int = 0
    cost: Decimal = ZERO

    @property
    def cost_per_review_click(self) -> Decimal | None:
        return quantize(self.cost / self.review_clicks) if self.review_clicks else None

    @property
    def review_click_rate(self) -> float:
        return stats.proportion(self.review_clicks, self.sent)

    def value(self, metric: str):
        return getattr(self, metric)


@contextlib.contextmanager
def _without_jit():
    """PostgreSQL's JIT compiles these many-subplan queries for longer than they run (measured in
    bench/insights_report.py: 0.8 s of JIT for 0.2 s of work on 20,000 messages); off for this transaction."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


COUNTS = ("planned", "sent", "delivered", "failed", "opened", "clicked", "review_clicks", "unsubscribes", "complaints")


@dataclass
class Cube:
    """The filtered messages counted per (campaign, channel, country, variant, local day): one query. Every
    table of a report page is a sum over these cells, so a page costs one query however many tables it has."""

    merchant: object
    flt: ReportFilter
    cells: list[dict]


def cube(merchant, flt: ReportFilter) -> Cube:
    rows = annotated_messages(merchant, flt).annotate(day=TruncDay("send_at", tzinfo=zone_of(merchant)))
    with _without_jit():
        grouped = list(
            rows.order_by().values("campaign_id", "channel", "country", "variant", "day").annotate(**_aggregates())
        )
    for cell in grouped:
        day = cell["day"]
        cell["day"] = day.date() if isinstance(day, dt.datetime) else day
        # exact decimals (SQLite, the demo's database, sums decimals as floats)
        cell["cost"] = quantize(Decimal(str(cell["cost"]))) if cell["cost"] is not None else ZERO
    return Cube(merchant=merchant, flt=flt, cells=grouped)


def period_start(day: dt.date, period: str) -> dt.date:
    if period == "week":
        return day - dt.timedelta(days=day.weekday())  # ISO weeks start on Monday
    if period == "month":
        return day.replace(day=1)
    return day


def _sums(cells: Iterable[dict], key_of) -> dict:
    sums: dict = {}
    for cell in cells:
        acc = sums.setdefault(key_of(cell), {**dict.fromkeys(COUNTS, 0), "cost": ZERO})
        for name in COUNTS:
            acc[name] += cell[name]
        acc["cost"] += cell["cost"]
    return sums


def total_of(c: Cube) -> ReportRow:
    values = _sums(c.cells, lambda cell: "total").get("total") or {}
    return ReportRow(key="total", label=str(_("Total")), **values)


def rollup(c: Cube, dimension: str) -> list[ReportRow]:
    """One row per campaign, channel, country, variant or period, in order."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown report dimension {dimension!r}")
    if dimension == "period":
        period = c.flt.period if c.flt.period in PERIODS else "day"
        sums = _sums(c.cells, lambda cell: period_start(cell["day"], period))
        return [ReportRow(key=k, label=period_label(k, period), **sums[k]) for k in sorted(sums)]
    field_name = {"campaign": "campaign_id"}.get(dimension, dimension)
    sums = _sums(c.cells, lambda cell: cell[field_name])
    labels = _labels(c.merchant, dimension, sums)
    rows = [ReportRow(key=k, label=str(labels.get(k, k)), **sums[k]) for k in sorted(sums)]
    if dimension == "campaign":
        rows.sort(key=lambda r: r.label)
    return rows


def totals(merchant, flt: ReportFilter) -> ReportRow:
    return total_of(cube(merchant, flt))


def report(merchant, flt: ReportFilter, dimension: str) -> list[ReportRow]:
    return rollup(cube(merchant, flt), dimension)


def _labels(merchant, dimension: str, keys: Iterable) -> dict:
    keys = list(keys)
    if dimension == "campaign":
        return dict(Campaign.objects.for_merchant(merchant).filter(pk__in=keys).values_list("pk", "name"))
    if dimension == "channel":
        from reviews.models import Channel

        return {k: (Channel(k).label if k in Channel.values else (k or "—")) for k in keys}
    return {k: (k or "—") for k in keys}


def period_label(day: dt.date, period: str) -> str:
    if period == "month":
        return day.strftime("%Y-%m")
    if period == "week":
        year, week, _day = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


@dataclass
class FailureRow:
    code: str
    label: str
    count: int


def failures_by_code(merchant, flt: ReportFilter) -> list[FailureRow]:
    grouped = (
        _scoped_messages(merchant, flt)
        .filter(status=MessageStatus.FAILED)
        .order_by()
        .values("reason_code")
        .annotate(n=Count("id"))
        .order_by("-n", "reason_code")
    )
    return [FailureRow(g["reason_code"], code_label(g["reason_code"]) or "—", g["n"]) for g in grouped]


# --- A/B and hold-out ----------------------------------------------------------------------


@dataclass
class VariantResult:
    name: str
    sent: int
    delivered: int
    review_clicks: int
    rate: stats.Interval  # review-link clicks / sent
    delivered_rate: stats.Interval  # review-link clicks / delivered
    is_control: bool = False
    test: stats.TestResult | None = None  # against the control (sent basis)
    delivered_test: stats.TestResult | None = None


def control_name(names: list[str]) -> str:
    """The control: a variant named "control" (any case), else the first name in order."""
    for name in names:
        if name.strip().casefold() == "control":
            return name
    return sorted(names)[0] if names else ""


def ab_results(campaign: Campaign) -> list[VariantResult]:
    grouped = (
        Message.objects.filter(campaign_id=campaign.pk)
        .exclude(variant="")
        .exclude(status=MessageStatus.HELD_OUT)
        .order_by()
        .values("variant")
        .annotate(
            sent=Count("id", filter=Q(sent_at__isnull=False)),
            delivered=Count("id", filter=Q(status=MessageStatus.DELIVERED) | Q(delivered_at__isnull=False)),
            clicks=Count("id", filter=Q(clicked_at__isnull=False, sent_at__isnull=False)),
            delivered_clicks=Count(
                "id",
                filter=Q(clicked_at__isnull=False)
                & (Q(status=MessageStatus.DELIVERED) | Q(delivered_at__isnull=False)),
            ),
        )
        .order_by("variant")
    )
    data = {g["variant"]: g for g in grouped}
    names = sorted(set(data) | set(campaign.variants.values_list("name", flat=True)))
    if not names:
        return []
    control = control_name(names)
    empty = {"sent": 0, "delivered": 0, "clicks": 0, "delivered_clicks": 0}
    c = data.get(control, empty)
    results = []
    for name in names:
        g = data.get(name, empty)
        result = VariantResult(
            name=name,
            sent=g["sent"],
            delivered=g["delivered"],
            review_clicks=g["clicks"],
            rate=stats.wilson_interval(g["clicks"], g["sent"]),
            delivered_rate=stats.wilson_interval(g["delivered_clicks"], g["delivered"]),
            is_control=name == control,
        )
        if name != control:
            result.test = stats.two_proportion_test(g["clicks"], g["sent"], c["clicks"], c["sent"])
            result.delivered_test = stats.two_proportion_test(
                g["delivered_clicks"], g["delivered"], c["delivered_clicks"], c["delivered"]
            )
        results.append(result)
    return results


@dataclass
class HoldoutOutcome:
    label: str
    messaged: int  # orders with the outcome in the messaged group
    held: int
    messaged_per_1000: float
    held_per_1000: float
    lift: stats.Interval  # difference per 1,000 orders, Newcombe's 95 % interval


@dataclass
class HoldoutResult:
    messaged_orders: int
    held_out_orders: int
    outcomes: list[HoldoutOutcome] = field(default_factory=list)


def holdout_results(campaign: Campaign) -> HoldoutResult | None:
    """Messaged group (every order assigned to receive the campaign: intention to treat, whatever then
    happened to its message) against the held-out group, per 1,000 orders, on each order's first step."""
    from orders.models import Order

    first = Message.objects.filter(campaign_id=campaign.pk, step=1).exclude(
        status=MessageStatus.SKIPPED, reason_code__in=EXCLUSION_CODES
    )
    held = Q(status=MessageStatus.HELD_OUT)
    clicked = Exists(
        Message.objects.filter(campaign_id=campaign.pk, order_id=OuterRef("order_id"), clicked_at__isnull=False)
    )
    reviewed = Exists(Order.objects.filter(pk=OuterRef("order_id"), buyer_reviewed=True))
    counts = first.annotate(any_click=clicked, reviewed=reviewed).aggregate(
        messaged=Count("id", filter=~held),
        held=Count("id", filter=held),
        messaged_clicks=Count("id", filter=~held & Q(any_click=True)),
        held_clicks=Count("id", filter=held & Q(any_click=True)),
        messaged_reviewed=Count("id", filter=~held & Q(reviewed=True)),
        held_reviewed=Count("id", filter=held & Q(reviewed=True)),
    )
    if not counts["held"]:
        return None
    result = HoldoutResult(messaged_orders=counts["messaged"], held_out_orders=counts["held"])
    for key, label in (("clicks", _("Review-link clicks")), ("reviewed", _("Orders marked reviewed"))):
        x1, x2 = counts[f"messaged_{key}"], counts[f"held_{key}"]
        n1, n2 = counts["messaged"], counts["held"]
        result.outcomes.append(
            HoldoutOutcome(
                label=str(label),
                messaged=x1,
                held=x2,
                messaged_per_1000=stats.proportion(x1, n1) * 1000,
                held_per_1000=stats.proportion(x2, n2) * 1000,
                lift=stats.per_thousand(stats.difference_interval(x1, n1, x2, n2)),
            )
        )
    return result


# --- charts' series ------------------------------------------------------------------------


def funnel(row: ReportRow) -> list[tuple[str, int]]:
    return [
        (str(_("Planned")), row.planned),
        (str(_("Sent")), row.sent),
        (str(_("Delivered")), row.delivered),
        (str(_("Opened")), row.opened),
        (str(_("Review-link clicks")), row.review_clicks),
    ]


def recent_filter(days: int = 30, *, now: dt.datetime | None = None, merchant=None) -> ReportFilter:
    now = now or timezone.now()
    today = now.astimezone(zone_of(merchant)).date() if merchant is not None else now.date()
    return ReportFilter(date_from=today - dt.timedelta(days=days - 1), date_to=today, period="day")


def fill_days(rows: list[ReportRow], flt: ReportFilter) -> list[ReportRow]:
    """Daily series with the empty days present (a line over gaps would lie)."""
    if flt.period != "day" or not flt.date_from or not flt.date_to or (flt.date_to - flt.date_from).days > 366:
        return rows
    by_day = {r.key: r for r in rows}
    out, day = [], flt.date_from
    while day <= flt.date_to:
        out.append(by_day.get(day) or ReportRow(key=day, label=day.isoformat()))
        day += dt.timedelta(days=1)
    return out


# --- circuit breakers ----------------------------------------------------------------------


@dataclass
class AccountFigures:
    account_id: int
    merchant_id: int
    since: dt.datetime
    until: dt.datetime
    sends: int
    complaints: int
    hard_bounces: int
    attempts: int
    provider_errors: int
    unsubscribes: int
    trailing_unsubscribes: int
    last_trip_id: int | None


def breaker_candidates(*, since: dt.datetime, until: dt.datetime) -> list[int]:
    """Accounts that sent, or heard of anything, in the window (each test an index probe per account:
    `message_account_sent`, and the delivery events' account key)."""
    sent = Message.objects.filter(account_id=OuterRef("pk"), sent_at__gte=since, sent_at__lte=until)
    heard = DeliveryEvent.objects.filter(account_id=OuterRef("pk"), occurred_at__gte=since, occurred_at__lte=until)
    return list(ChannelAccount.objects.filter(Exists(sent) | Exists(heard)).order_by("pk").values_list("pk", flat=True))


def account_figures(account: ChannelAccount, *, window: dt.timedelta, now: dt.datetime) -> AccountFigures:
    """The account's figures since the window's start, or since its last trip when that is later (a
    person resumed after it: the breaker looks only at what happened since)."""
    last = BreakerTrip.objects.filter(account_id=account.pk).order_by("-tripped_at", "-id").first()
    since = now - window
    if last is not None and last.tripped_at > since:
        since = last.tripped_at
    events = (
        DeliveryEvent.objects.filter(account_id=account.pk, occurred_at__gt=since, occurred_at__lte=now)
        .order_by()
        .values("event_type")
        .annotate(n=Count("id"))
    )
    by_type = {e["event_type"]: e["n"] for e in events}
    attempts = MessageAttempt.objects.filter(
        account_id=account.pk, created_at__gt=since, created_at__lte=now
    ).aggregate(total=Count("id"), errors=Count("id", filter=~Q(outcome="accepted")))
    trailing = DeliveryEvent.objects.filter(
        account_id=account.pk,
        event_type=DeliveryEvent.Type.UNSUBSCRIBED,
        occurred_at__gt=since - dt.timedelta(days=7),
        occurred_at__lte=since,
    ).count()
    return AccountFigures(
        account_id=account.pk,
        merchant_id=account.merchant_id,
        since=since,
        until=now,
        sends=Message.objects.filter(account_id=account.pk, sent_at__gt=since, sent_at__lte=now).count(),
        complaints=by_type.get(DeliveryEvent.Type.COMPLAINED, 0),
        hard_bounces=by_type.get(DeliveryEvent.Type.BOUNCED, 0),
        attempts=attempts["total"],
        provider_errors=attempts["errors"],
        unsubscribes=by_type.get(DeliveryEvent.Type.UNSUBSCRIBED, 0),
        trailing_unsubscribes=trailing,
        last_trip_id=last.pk if last else None,
    )


def trips_of(merchant) -> QuerySet[BreakerTrip]:
    return BreakerTrip.objects.for_merchant(merchant).select_related("account")


# --- notices and digest ----------------------------------------------------------------------


def notices_of(merchant) -> QuerySet[Notice]:
    return Notice.objects.for_merchant(merchant)


def unread_count(merchant) -> int:
    return Notice.objects.for_merchant(merchant).unread().count()


@dataclass
class Digest:
    start: dt.date
    end: dt.date  # inclusive
    sent: int
    review_clicks: int
    complaints: int
    cost: Decimal
    trips: int
    tickets: int | None  # None: no service-recovery tickets in this installation


def weekly_digest(merchant, *, week_start: dt.date) -> Digest:
    flt = ReportFilter(date_from=week_start, date_to=week_start + dt.timedelta(days=6))
    total = totals(merchant, flt)
    tz = zone_of(merchant)
    start, end = _day_start(week_start, tz), _day_start(week_start + dt.timedelta(days=7), tz)
    tickets = None
    try:
        ticket_model = apps.get_model("reviews", "ServiceRecoveryTicket")
    except LookupError:
        ticket_model = None
    if ticket_model is not None:
        tickets = ticket_model.objects.filter(merchant=merchant, created_at__gte=start, created_at__lt=end).count()
    return Digest(
        start=week_start,
        end=week_start + dt.timedelta(days=6),
        sent=total.sent,
        review_clicks=total.review_clicks,
        complaints=total.complaints,
        cost=total.cost,
        trips=BreakerTrip.objects.for_merchant(merchant).filter(tripped_at__gte=start, tripped_at__lt=end).count(),
        tickets=tickets,
    )
