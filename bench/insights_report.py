"""Benchmark: report tables over many messages (one GROUP BY query per table), on a real PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/linkstar_bench LINKSTAR_ENV_FILE=/dev/null \
    FIELD_ENCRYPTION_KEYS=<any key> python bench/insights_report.py [--messages 50000]

Creates a throw-away test database next to DATABASE_URL's, loads one merchant's messages (four channels'
worth of countries, two variants, 30 days), an open event for a third of them, a complaint for one in 500,
a usage record for each sent one, plus as many rows for a second merchant (never counted). Then builds
what the report page shows: the cube (one GROUP BY query with the event and usage subqueries), the failures
by code, and every table rolled up from the cube; prints one JSON line with the seconds and the number of
queries (including the transaction and `SET LOCAL jit = off` statements). Nothing here asserts speed.
"""

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkstar.settings")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Merchant  # noqa: E402
from billing.models import PriceBook, UsageRecord  # noqa: E402
from channels.models import DeliveryEvent  # noqa: E402
from insights import selectors  # noqa: E402
from orders.models import Order, Store  # noqa: E402
from reviews.models import Campaign, Message  # noqa: E402

COUNTRIES = ["US", "US", "DE", "GB", "FR", "JP", "CA"]


def load(merchant, n: int, rng: random.Random) -> None:
    now = timezone.now()
    store = Store.objects.create(merchant=merchant, name="Bench store")
    campaigns = [Campaign.objects.create(merchant=merchant, name=f"Bench {i}") for i in range(3)]
    book = PriceBook.objects.first() or PriceBook.objects.create(
        version=1, name="bench", currency="USD", effective_from=now - dt.timedelta(days=400)
    )
    batch = 5000
    for start in range(0, n, batch):
        size = min(batch, n - start)
        orders = Order.objects.bulk_create(
            [
                Order(merchant=merchant, store=store, external_id=f"B{start + i}", number=f"#{start + i}",
                      placed_at=now, currency="USD", total=Decimal("20"), ship_country=rng.choice(COUNTRIES))
                for i in range(size)
            ]
        )  # fmt: skip
        messages = []
        for order in orders:
            at = now - dt.timedelta(minutes=rng.randint(0, 30 * 24 * 60))
            sent = rng.random() < 0.95
            messages.append(
                Message(
                    merchant=merchant, campaign=rng.choice(campaigns), order=order, step=1, send_at=at,
                    message_ref=uuid.uuid4(), country=order.ship_country, channel=rng.choice(["email", "sms"]),
                    variant=rng.choice(["A", "B"]), status="delivered" if sent else "failed",
                    reason_code="" if sent else "permanent_failure", sent_at=at if sent else None,
                    delivered_at=at if sent else None, clicked_at=at if sent and rng.random() < 0.08 else None,
                )
            )  # fmt: skip
        Message.objects.bulk_create(messages)
        events, usage = [], []
        for m in messages:
            if m.sent_at is None:
                continue
            ref = str(m.message_ref)
            for kind, share in (("opened", 0.33), ("complained", 0.002)):
                if rng.random() < share:
                    events.append(
                        DeliveryEvent(merchant=merchant, provider="bench", provider_event_id=f"{kind}-{ref}",
                                      message_ref=ref, event_type=kind, occurred_at=now)
                    )  # fmt: skip
            usage.append(
                UsageRecord(merchant=merchant, message_ref=ref, channel=m.channel, country=m.country,
                            message_class="utility", quantity=1, unit_price=Decimal("0.01"), amount=Decimal("0.01"),
                            currency="USD", price_book=book, period=now.date().replace(day=1), created_at=now)
            )  # fmt: skip
        DeliveryEvent.objects.bulk_create(events)
        UsageRecord.objects.bulk_create(usage)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=50_000)
    args = parser.parse_args()
    creation = connection.creation
    creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        rng = random.Random(7)
        alice = Merchant.objects.create(name="Bench A", slug="bench-a")
        bob = Merchant.objects.create(name="Bench B", slug="bench-b")
        started = time.perf_counter()
        load(alice, args.messages, rng)
        load(bob, args.messages, rng)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        load_s = time.perf_counter() - started
        flt = selectors.recent_filter(31, merchant=alice)
        with CaptureQueriesContext(connection) as captured:
            t = time.perf_counter()
            cells = selectors.cube(alice, flt)
            cube_s = time.perf_counter() - t
            t = time.perf_counter()
            failures = selectors.failures_by_code(alice, flt)
            failures_s = time.perf_counter() - t
            t = time.perf_counter()
            tables = {d: selectors.rollup(cells, d) for d in selectors.DIMENSIONS}
            total = selectors.total_of(cells)
            rollup_s = time.perf_counter() - t
        print(
            json.dumps(
                {
                    "bench": "insights_report",
                    "messages_per_merchant": args.messages,
                    "sent": total.sent,
                    "opened": total.opened,
                    "cube_cells": len(cells.cells),
                    "load_s": round(load_s, 1),
                    "cube_s": round(cube_s, 3),
                    "failures_s": round(failures_s, 3),
                    "rollups_s": round(rollup_s, 4),
                    "page_data_s": round(cube_s + failures_s + rollup_s, 3),
                    "queries": len(captured.captured_queries),
                    "failure_codes": len(failures),
                    "rows": {d: len(r) for d, r in tables.items()},
                }
            )
        )
    finally:
        creation.destroy_test_db(creation.connection.settings_dict["NAME"].removeprefix("test_"), verbosity=0)


if __name__ == "__main__":
    main()
