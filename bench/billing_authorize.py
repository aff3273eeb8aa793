"""Benchmark: authorize_send / record_usage under contention, on a real PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/linkstar_bench LINKSTAR_ENV_FILE=/dev/null \
    FIELD_ENCRYPTION_KEYS=<any key> python bench/billing_authorize.py [--workers 20] [--per-worker 50]

Creates a throw-away test database next to DATABASE_URL's, runs three scenarios with one
thread (and one database connection) per worker, prints one JSON line per scenario, and
drops the database. Figures are for the machine it runs on; nothing here asserts speed.
"""

import argparse
import json
import os
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkstar.settings")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")  # cap-alert emails are queued, never sent

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Merchant  # noqa: E402
from billing import selectors, services  # noqa: E402
from billing.models import BudgetCap, Price, PriceBook, Reservation, UsageRecord  # noqa: E402


def race(workers, work):
    barrier = threading.Barrier(workers)
    results = [None] * workers

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - started


def merchant(name):
    m = Merchant.objects.create(name=name, slug=f"bench-{uuid.uuid4().hex[:10]}")
    BudgetCap.objects.create(merchant=m, allowed_countries=["US"], countries_follow_stores=False)
    return m


def authorize(m, ref=None):
    return services.authorize_send(
        merchant=m, message_ref=ref or uuid.uuid4().hex, channel="sms", country="US", message_class="marketing"
    )


def scenario_last_budget(workers, per_worker):
    """Everyone races for one merchant's monthly cap, which has room for half the attempts."""
    m = merchant("race")
    attempts = workers * per_worker
    cap = Decimal("0.01") * (attempts // 2)
    BudgetCap.objects.filter(merchant=m).update(monthly_limit=cap)
    services.top_up(merchant=m, amount="1000", reason="bench")
    results, seconds = race(workers, lambda i: [authorize(m) for _ in range(per_worker)])
    granted = [a for batch in results for a in batch if a.ok]
    reserved = Reservation.objects.filter(merchant=m, status="held").aggregate(s=Sum("amount"))["s"] or Decimal(0)
    return {
        "bench": "billing_authorize_last_budget",
        "workers": workers,
        "attempts": attempts,
        "granted": len(granted),
        "cap": str(cap),
        "reserved": str(reserved),
        "overshoot": str(max(reserved - cap, Decimal(0))),
        "lost_reservations": len(granted) - Reservation.objects.filter(merchant=m, status="held").count(),
        "books_agree": selectors.verify_books(m) == [],
        "seconds": round(seconds, 3),
        "authorizations_per_s": round(attempts / seconds, 1),
    }


def scenario_send_cycle(workers, per_worker, merchants):
    """authorize + record_usage per message: one shared merchant (serialised by its wallet lock) or one each."""
    ms = [merchant(f"cycle-{i}") for i in range(merchants)]
    for m in ms:
        services.top_up(merchant=m, amount="1000", reason="bench")

    def work(i):
        m = ms[i % merchants]
        for _ in range(per_worker):
            auth = authorize(m)
            services.record_usage(message_ref=auth.message_ref, sent=True)

    _, seconds = race(workers, work)
    messages = workers * per_worker
    return {
        "bench": "billing_send_cycle",
        "workers": workers,
        "merchants": merchants,
        "messages": messages,
        "usage_records": UsageRecord.objects.filter(merchant__in=ms).count(),
        "books_agree": all(selectors.verify_books(m) == [] for m in ms),
        "seconds": round(seconds, 3),
        "messages_per_s": round(messages / seconds, 1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--per-worker", type=int, default=50)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL server: the row locks are what is measured")
    creation = connection.creation
    creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        book = PriceBook.objects.create(version=1, name="bench", effective_from=timezone.now())
        Price.objects.create(price_book=book, channel="sms", country="*", message_class="marketing", unit_price="0.01")
        for line in (
            scenario_last_budget(args.workers, args.per_worker),
            scenario_send_cycle(args.workers, args.per_worker, merchants=1),
            scenario_send_cycle(args.workers, args.per_worker, merchants=args.workers),
        ):
            print(json.dumps(line))
    finally:
        connection.close()
        creation.destroy_test_db(creation.connection.settings_dict["NAME"].removeprefix("test_"), verbosity=0)


if __name__ == "__main__":
    main()
