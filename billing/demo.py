"""Demo billing: a current price book with realistic prices, three plans, and for both demo merchants
a subscription, caps, a funded wallet, last month's closed statement and usage this month.

Idempotent: price book and plans are upserted by key, top-ups carry a payment
reference, messages a fixed reference (a second run finds them billed).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from . import services
from .models import Plan, Price, PriceBook
from .periods import month_bounds, month_of, previous_month

PRICE_BOOK_NAME = "Linkstar list prices 2026"
PRICE_BOOK_FROM = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

# SMS per segment, by destination (US/CA include carrier fees); the same for every class.
SMS = {
    "US": "0.0110",
    "CA": "0.0110",
    "GB": "0.0450",
    "DE": "0.0950",
    "FR": "0.0850",
    "ES": "0.0800",
    "IT": "0.0900",
    "JP": "0.0800",
    "CN": "0.0450",
    "AU": "0.0550",
    "*": "0.1000",
}
# WhatsApp per message: (marketing, utility); transactional is priced like utility.
WHATSAPP = {
    "US": ("0.0250", "0.0040"),
    "GB": ("0.0529", "0.0220"),
    "DE": ("0.1365", "0.0768"),
    "FR": ("0.0859", "0.0300"),
    "ES": ("0.0615", "0.0200"),
    "IT": ("0.0691", "0.0300"),
    "*": ("0.0600", "0.0200"),
}
CLASSES = ("marketing", "utility", "transactional")

PLANS = [
    # code, name, fee, included email, sms, whatsapp, amazon
    ("starter", "Starter", "0", 0, 0, 0, 0),
    ("growth", "Growth", "29", 2000, 100, 100, 500),
    ("scale", "Scale", "99", 10000, 1000, 500, 3000),
]


def price_rows() -> list[tuple[str, str, str, Decimal]]:
    rows = []
    for cls in CLASSES:
        rows.append(("email", "*", cls, Decimal("0.0006" if cls == "transactional" else "0.0010")))
        rows.append(("amazon_solicitation", "*", cls, Decimal("0.0020")))  # nominal: Amazon sends it
        rows.append(("push", "*", cls, Decimal("0.0002")))  # app and web push (campaign push steps)
        for country, price in SMS.items():
            rows.append(("sms", country, cls, Decimal(price)))
        for country, (marketing, utility) in WHATSAPP.items():
            rows.append(("whatsapp", country, cls, Decimal(marketing if cls == "marketing" else utility)))
    return rows


def _price_book() -> PriceBook:
    book = PriceBook.objects.filter(effective_from=PRICE_BOOK_FROM).first()
    if book is None:
        book = services.create_price_book(
            name=PRICE_BOOK_NAME,
            effective_from=PRICE_BOOK_FROM,
            prices=[services.PriceSpec(*row) for row in price_rows()],
            note="Demo list prices.",
        )
    elif not book.prices.exists():
        Price.objects.bulk_create(
            [Price(price_book=book, channel=c, country=k, message_class=m, unit_price=p) for c, k, m, p in price_rows()]
        )
    return book


def _plans() -> dict[str, Plan]:
    plans = {}
    for code, name, fee, email, sms, whatsapp, amazon in PLANS:
        plans[code], _ = Plan.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "monthly_fee": Decimal(fee),
                "included_email": email,
                "included_sms": sms,
                "included_whatsapp": whatsapp,
                "included_amazon_solicitation": amazon,
            },
        )
    return plans


# (channel, country, class, segments, how many) per merchant and month
USAGE = {
    "zh": [
        ("email", "US", "marketing", 1, 30),
        ("email", "DE", "marketing", 1, 10),
        ("sms", "US", "marketing", 1, 60),
        ("sms", "GB", "marketing", 2, 25),  # with the US texts, 10 segments past the 100 included
        ("whatsapp", "DE", "utility", 1, 5),
        ("amazon_solicitation", "US", "marketing", 1, 15),
        ("amazon_solicitation", "JP", "marketing", 1, 5),
    ],
    "en": [
        ("email", "US", "marketing", 1, 20),
        ("sms", "GB", "marketing", 1, 35),
        ("sms", "US", "marketing", 1, 10),
        ("amazon_solicitation", "US", "marketing", 1, 6),
    ],
}
SETUP = {
    # plan, caps (monthly, daily), SMS/WhatsApp countries, top-up, its note
    "zh": ("growth", ("200", "20"), ["US", "GB", "DE", "FR", "JP"], "300", "银行转账（演示）"),
    "en": ("starter", ("2", None), ["US", "CA", "GB"], "100", "Bank transfer (demo)"),
}


def _send_all(merchant, key: str, label: str, start: dt.datetime, end: dt.datetime) -> int:
    rng = random.Random(f"{key}-{label}")
    sent = 0
    span = max(int((end - start).total_seconds()) - 60, 1)
    for channel, country, cls, segments, count in USAGE[key]:
        for n in range(count):
            at = start + dt.timedelta(seconds=rng.randrange(span))
            ref = f"demo-{key}-{label}-{channel}-{country}-{n}"
            auth = services.authorize_send(
                merchant=merchant,
                message_ref=ref,
                channel=channel,
                country=country,
                message_class=cls,
                quantity=segments,
                now=at,
            )
            if auth.ok:
                services.record_usage(message_ref=ref, sent=True, now=at)
                sent += 1
    return sent


def load(ctx) -> None:
    book = _price_book()
    plans = _plans()
    now = timezone.now()
    last_month = previous_month(month_of(now))
    last_start, last_end = month_bounds(last_month)
    this_start = month_bounds(month_of(now))[0]
    for key, merchant in ctx.merchants.items():
        plan_code, (monthly, daily), countries, amount, note = SETUP[key]
        services.change_plan(merchant=merchant, plan=plans[plan_code], now=last_start)
        services.update_budget_caps(
            merchant=merchant,
            monthly_limit=Decimal(monthly),
            daily_limit=Decimal(daily) if daily else None,
            channel_limits={},
            allowed_countries=countries,
            countries_follow_stores=True,
        )
        services.top_up(
            merchant=merchant,
            amount=Decimal(amount),
            reason=note,
            reference=f"DEMO-{key.upper()}-{last_month:%Y%m}",
            now=last_start + dt.timedelta(hours=9),
        )
        sent = _send_all(merchant, key, f"{last_month:%Y%m}", last_start + dt.timedelta(days=1), last_end)
        services.close_statement(merchant=merchant, month=last_month, now=now)
        if now - this_start > dt.timedelta(minutes=5):
            sent += _send_all(merchant, key, f"{month_of(now):%Y%m}", this_start, now)
        ctx.write(f"billing: {merchant.name}: plan {plans[plan_code].name}, {sent} messages billed this run")
    ctx.write(f"billing: price book v{book.version} with {book.prices.count()} prices, {len(plans)} plans")
