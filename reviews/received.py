"""Reviews in: reviews the merchant reports back (CSV upload or API), checked row by row.

Each review names an order (its id or number) or a product (ASIN / product id), a rating 1–5 and a date,
optionally a title and text. A review of a known order:
- marks the order reviewed through `orders.services.mark_orders_reviewed` (`buyer_reviewed` and a REVIEWED
  event), so planning leaves it out and a planned reminder is skipped with `already_reviewed`;
- is attributed to the most recent review request sent (or delivered) for that order within the campaign's
  attribution window (`Campaign.attribution_days`, default 30): sent no later than the review's day and no
  earlier than that many days before it, in the merchant's time zone.

The same review sent twice (same order or product, rating, date and title) is kept once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import selectors as order_selectors
from orders import services as order_services
from orders.parsing import parse_date

from .models import Message, MessageStatus, Purpose, ReceivedReview, ReviewSource
from .windows import zone

MAX_ROWS = 20_000
COLUMN_ALIASES = {
    "order_id": {"order_id", "order id", "order", "order number", "amazon order id", "orderid", "订单号", "订单编号"},
    "asin": {"asin", "product id", "product_id", "产品id"},
    "sku": {"sku", "seller sku"},
    "rating": {"rating", "stars", "star rating", "score", "评分", "星级"},
    "date": {"date", "review date", "reviewed on", "reviewed_on", "日期", "评价日期"},
    "title": {"title", "review title", "标题"},
    "text": {"text", "review", "review text", "body", "content", "内容"},
}


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    attributed: int = 0
    orders_marked: int = 0
    errors: list[dict] = field(default_factory=list)  # {"line", "field", "message"}
    reviews: list[ReceivedReview] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _fold(header: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", str(header)).strip().lower().replace("-", " ").split())


def column_mapping(headers: list[str]) -> dict[str, int]:
    """{field: column index} from a CSV header row (English and Chinese spellings)."""
    mapping: dict[str, int] = {}
    for index, header in enumerate(headers):
        folded = _fold(header)
        for name, aliases in COLUMN_ALIASES.items():
            if name not in mapping and (folded in aliases or folded.replace(" ", "_") in aliases):
                mapping[name] = index
    return mapping


def rows_from_table(table) -> tuple[list[tuple[int, dict]], list[dict]]:
    """(line, row) pairs from an orders.imports Table, or file-level errors (missing columns)."""
    mapping = column_mapping(table.headers)
    missing = []
    if "order_id" not in mapping and "asin" not in mapping:
        missing.append(_("a column with the order id or the ASIN"))
    for name, label in (("rating", _("rating")), ("date", _("date"))):
        if name not in mapping:
            missing.append(label)
    if missing:
        return [], [{"line": 1, "field": "", "message": _("Missing columns: %(c)s.") % {"c": ", ".join(missing)}}]
    rows = []
    for offset, cells in enumerate(table.rows):
        if not any(str(c).strip() for c in cells):
            continue
        rows.append((table.first_line + offset, {name: cells[index] for name, index in mapping.items()}))
    return rows, []


def _rating(value: Any) -> int | None:
    raw = str(value if value is not None else "").strip().replace("★", "")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        return None
    if number != number.to_integral_value() or not 1 <= number <= 5:
        return None
    return int(number)


@dataclass
class _Parsed:
    line: int
    order_ref: str
    asin: str
    sku: str
    rating: int
    reviewed_on: dt.date
    title: str
    text: str
    order: Any = None


def _parse(line: int, row: Any, today: dt.date) -> tuple[_Parsed | None, list[dict]]:
    if not isinstance(row, dict):
        return None, [{"line": line, "field": "", "message": _("Each review must be an object.")}]
    errors = []

    def error(name: str, message: str) -> None:
        errors.append({"line": line, "field": name, "message": message})

    order_ref = str(row.get("order_id") or "").strip()[:100]
    asin = str(row.get("asin") or "").strip()[:100]
    if not order_ref and not asin:
        error("order_id", _("Give the order id or the ASIN."))
    rating = _rating(row.get("rating"))
    if rating is None:
        error("rating", _("The rating must be a whole number from 1 to 5."))
    raw_date = row.get("date", row.get("reviewed_on"))
    try:
        reviewed_on = parse_date(raw_date)
    except Exception:  # noqa: BLE001  (orders.parsing raises its own FieldError or ValueError)
        reviewed_on = None
    if reviewed_on is None:
        error("date", _("Give the review's date (YYYY-MM-DD)."))
    elif reviewed_on > today + dt.timedelta(days=1):
        error("date", _("This date is in the future."))
    if errors:
        return None, errors
    return (
        _Parsed(
            line=line,
            order_ref=order_ref,
            asin=asin,
            sku=str(row.get("sku") or "").strip()[:100],
            rating=rating,
            reviewed_on=reviewed_on,
            title=str(row.get("title") or "").strip()[:300],
            text=str(row.get("text") or "").strip()[:10_000],
        ),
        [],
    )


def _dedupe_key(p: _Parsed) -> str:
    subject = f"order:{p.order.pk}" if p.order is not None else f"asin:{p.asin.casefold()}"
    raw = "|".join([subject, str(p.rating), p.reviewed_on.isoformat(), p.title.casefold()])
    return hashlib.sha256(raw.encode()).hexdigest()[:64]


def attribution_for(*, merchant, order_ids: list[int], reviews: list[_Parsed]) -> dict[int, Message]:
    """{index in `reviews`: the request it is attributed to} (see the module docstring)."""
    tz = zone("", merchant.default_time_zone)
    candidates: dict[int, list[Message]] = {}
    rows = (
        Message.objects.filter(
            merchant_id=merchant.pk,
            order_id__in=order_ids,
            status__in=[MessageStatus.SENT, MessageStatus.DELIVERED],
            sent_at__isnull=False,
            campaign__purpose=Purpose.REVIEW_REQUEST,
        )
        .select_related("campaign")
        .order_by("-sent_at", "-pk")
    )
    for message in rows:
        candidates.setdefault(message.order_id, []).append(message)
    found = {}
    for index, review in enumerate(reviews):
        if review.order is None:
            continue
        day_end = dt.datetime.combine(review.reviewed_on + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        for message in candidates.get(review.order.pk, []):
            start = dt.datetime.combine(
                review.reviewed_on - dt.timedelta(days=message.campaign.attribution_days), dt.time(0), tzinfo=tz
            )
            if start <= message.sent_at < day_end:
                found[index] = message
                break
    return found


def import_reviews(*, merchant, rows: list[tuple[int, Any]], source: str, all_or_nothing: bool = False) -> ImportReport:
    """Check and store reviews given as (line, row) pairs. Bad rows are reported with their line, field and
    reason; with `all_or_nothing` (the API) one bad row stores nothing, otherwise the good rows are stored.
    Each stored review and its order's REVIEWED mark commit together."""
    if source not in ReviewSource.values:
        raise ValueError(source)
    report = ImportReport(rows=len(rows))
    if len(rows) > MAX_ROWS:
        report.errors.append(
            {"line": 0, "field": "", "message": _("At most %(n)d reviews at a time.") % {"n": MAX_ROWS}}
        )
        return report
    today = timezone.localdate()
    parsed: list[_Parsed] = []
    for line, row in rows:
        item, errors = _parse(line, row, today)
        report.errors += errors
        if item is not None:
            parsed.append(item)
    orders = order_selectors.orders_by_reference(merchant=merchant, references=[p.order_ref for p in parsed])
    good: list[_Parsed] = []
    for item in parsed:
        if item.order_ref:
            matches = orders.get(item.order_ref, [])
            if not matches:
                report.errors.append({"line": item.line, "field": "order_id", "message": _("No such order.")})
                continue
            if len(matches) > 1:
                report.errors.append(
                    {"line": item.line, "field": "order_id",
                     "message": _("This reference matches orders of several stores; use the order id.")}
                )  # fmt: skip
                continue
            item.order = matches[0]
            if not item.asin:
                first = item.order.items.order_by("position").values_list("product_id", flat=True).first()
                item.asin = first or ""
        good.append(item)
    report.errors.sort(key=lambda e: (e["line"], e["field"]))
    if all_or_nothing and report.errors:
        return report
    keys = {_dedupe_key(item): item for item in good}
    known = set(
        ReceivedReview.objects.filter(merchant_id=merchant.pk, dedupe_key__in=list(keys)).values_list(
            "dedupe_key", flat=True
        )
    )
    new = [(key, item) for key, item in keys.items() if key not in known]
    report.duplicates = len(good) - len(new)
    items = [item for _key, item in new]
    attributed = attribution_for(
        merchant=merchant, order_ids=[i.order.pk for i in items if i.order is not None], reviews=items
    )
    tz = zone("", merchant.default_time_zone)
    with transaction.atomic():
        created = ReceivedReview.objects.bulk_create(
            [
                ReceivedReview(
                    merchant_id=merchant.pk,
                    order=item.order,
                    asin=item.asin,
                    sku=item.sku,
                    rating=item.rating,
                    reviewed_on=item.reviewed_on,
                    title=item.title,
                    text=item.text,
                    source=source,
                    attributed_message=attributed.get(index),
                    dedupe_key=key,
                )
                for index, (key, item) in enumerate(new)
            ]
        )
        marks = [
            (item.order, dt.datetime.combine(item.reviewed_on, dt.time(12), tzinfo=tz), f"review:{key[:40]}")
            for key, item in new
            if item.order is not None
        ]
        outcomes = order_services.mark_orders_reviewed(
            merchant=merchant, reviews=marks, source="csv" if source == ReviewSource.CSV else "api"
        )
    report.created = len(created)
    report.attributed = len(attributed)
    report.orders_marked = sum(1 for o in outcomes if o.applied)
    report.reviews = created
    return report
