"""Benchmark: planning cost follows the due orders, not the size of the orders table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/linkstar_bench python bench/plan.py [--due 10000]

Creates a throw-away database next to DATABASE_URL's, loads 200,000 orders with COPY (10,000 of them
delivered six days ago: due; the rest delivered months ago, or cancelled, or never delivered), plans one
active campaign (the real `plan_campaign`: the indexed due-order query, the rules, the idempotent insert),
grows the table to 2,000,000 orders with the same 10,000 due, deletes the messages and plans again.
Prints one JSON line; `ratio` = plan_s_2m / plan_s_200k (goal <= 1.5), with the planner's chosen index.
"""

import argparse
import datetime as dt
import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkstar.settings")
os.environ.setdefault("LINKSTAR_ENV_FILE", "/dev/null")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gta2V5LTAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

ORDER_COLUMNS = [
    "merchant_id", "store_id", "buyer_id", "external_id", "number", "placed_at", "currency", "total", "status",
    "fulfillment_channel", "ship_country", "ship_region", "ship_city", "ship_postal_code", "carrier",
    "tracking_number", "shipped_at", "earliest_delivery_date", "latest_delivery_date", "delivered_at",
    "delivered_source", "delivery_confidence", "cancelled", "refunded", "returned", "claim_open", "buyer_reviewed",
    "source", "content_hash", "created_at", "updated_at",
]  # fmt: skip
BUYER_COLUMNS = [
    "merchant_id", "store_id", "key", "external_id", "name", "first_name", "last_name", "email", "email_is_relay",
    "phone", "address_line1", "address_line2", "city", "region", "postal_code", "country", "language", "time_zone",
    "email_hash", "phone_hash", "content_hash", "created_at", "updated_at",
]  # fmt: skip
NULL = "\\N"


def _copy(table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(NULL if v is None else str(v) for v in row))
        buffer.write("\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)


def _order_row(merchant_id, store_id, buyer_id, n, *, delivered, flags=(False,) * 5, now):
    placed = (delivered or now) - dt.timedelta(days=4)
    return [
        merchant_id, store_id, buyer_id, f"B-{n}", f"#{n}", placed.isoformat(), "USD", "30.00",
        "delivered" if delivered else "shipped", "merchant", "US", "CA", "", "", "UPS", "", placed.isoformat(),
        None, None, delivered.isoformat() if delivered else None, "api" if delivered else "",
        "merchant" if delivered else "", *("t" if f else "f" for f in flags), "api", "", now.isoformat(),
        now.isoformat(),
    ]  # fmt: skip


def load_orders(merchant_id: int, store_id: int, start: int, count: int, *, now) -> None:
    """`count` orders that are not due: delivered 60-900 days ago, cancelled, or never delivered."""

    def rows():
        for i in range(start, start + count):
            kind = i % 10
            if kind < 7:
                delivered = now - dt.timedelta(days=60 + i % 840, minutes=i % 1440)
                yield _order_row(merchant_id, store_id, None, i, delivered=delivered, now=now)
            elif kind < 9:
                delivered = now - dt.timedelta(days=6, minutes=i % 1440)  # in the window, but cancelled
                yield _order_row(merchant_id, store_id, None, i, delivered=delivered, flags=(True,) + (False,) * 4,
                                 now=now)  # fmt: skip
            else:
                yield _order_row(merchant_id, store_id, None, i, delivered=None, now=now)

    _copy("orders_order", ORDER_COLUMNS, rows())


def load_due(merchant_id: int, store_id: int, due: int, *, now) -> None:
    buyers = (
        [merchant_id, store_id, f"id:due-{i}", "", f"Buyer {i}", "Buyer", str(i), f"due{i}@example.com", "f", "",
         "", "", "", "", "", "US", "en", "America/New_York", f"{i:064x}", "", "", now.isoformat(), now.isoformat()]
        for i in range(due)
    )  # fmt: skip
    _copy("orders_buyer", BUYER_COLUMNS, buyers)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM orders_buyer WHERE key LIKE 'id:due-%%' ORDER BY id")
        buyer_ids = [r[0] for r in cursor.fetchall()]
    rows = (
        _order_row(merchant_id, store_id, buyer_id, f"due-{i}", delivered=now - dt.timedelta(days=6, minutes=i % 600),
                   now=now)
        for i, buyer_id in enumerate(buyer_ids)
    )  # fmt: skip
    _copy("orders_order", ORDER_COLUMNS, rows)


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
        cursor.execute("ANALYZE orders_buyer")
        cursor.execute("ANALYZE reviews_message")


def explain(campaign, now) -> str:
    from orders import selectors
    from reviews.planning import campaign_store_ids

    query = selectors.campaign_candidates(
        merchant_id=campaign.merchant_id,
        store_ids=campaign_store_ids(campaign),
        delivered_from=now - dt.timedelta(days=campaign.max_age_days),
        delivered_to=now - dt.timedelta(days=campaign.delay_days),
    )
    return query.explain()


def plan_once(campaign, now) -> tuple[float, int]:
    from reviews.models import Campaign, Message
    from reviews.planning import plan_campaign

    Message.objects.all().delete()
    Campaign.objects.filter(pk=campaign.pk).update(planned_until=None, planned_at=None)
    campaign.refresh_from_db()
    analyze()
    started = time.perf_counter()
    result = plan_campaign(campaign=campaign, now=now)
    return time.perf_counter() - started, result.planned


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=200_000)
    parser.add_argument("--large", type=int, default=2_000_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL server")
    creation = connection.creation
    creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from accounts.models import Merchant
        from channels.models import ChannelAccount
        from orders.models import Store
        from reviews.models import Campaign, CampaignStatus, PlanStep

        now = timezone.now()
        merchant = Merchant.objects.create(name="Bench", slug="bench-plan")
        store = Store.objects.create(merchant=merchant, name="Bench store")
        outbox = ChannelAccount.objects.create(merchant=merchant, kind="outbox", name="Outbox", credentials={})
        campaign = Campaign.objects.create(merchant=merchant, name="Bench", status=CampaignStatus.ACTIVE)
        PlanStep.objects.create(merchant=merchant, campaign=campaign, channel="email", account=outbox)

        load_due(merchant.pk, store.pk, args.due, now=now)
        load_orders(merchant.pk, store.pk, 0, args.small - args.due, now=now)
        small_s, small_planned = min(plan_once(campaign, now) for _ in range(3))
        small_plan = explain(campaign, now)

        load_orders(merchant.pk, store.pk, args.small, args.large - args.small, now=now)
        large_s, large_planned = min(plan_once(campaign, now) for _ in range(3))
        large_plan = explain(campaign, now)
        index = "order_contactable_delivered"
        print(
            json.dumps(
                {
                    "bench": "plan",
                    "due": args.due,
                    "orders_small": args.small,
                    "orders_large": args.large,
                    "planned_small": small_planned,
                    "planned_large": large_planned,
                    "plan_s_200k": round(small_s, 3),
                    "plan_s_2m": round(large_s, 3),
                    "ratio": round(large_s / small_s, 3),
                    "index_used": index in small_plan and index in large_plan,
                }
            )
        )
        if os.environ.get("BENCH_SHOW_PLAN"):
            sys.stderr.write(large_plan + "\n")
    finally:
        connection.close()
        creation.destroy_test_db(creation.connection.settings_dict["NAME"].removeprefix("test_"), verbosity=0)


if __name__ == "__main__":
    main()
