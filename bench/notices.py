"""Benchmark: planning fulfilment notices costs what the new events cost, not the size of the event table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/linkstar_bench python bench/notices.py [--new 5000]

Creates a throw-away database next to DATABASE_URL's, loads orders with COPY and one `shipped` event each:
`--new` of them received minutes ago, the others months ago. One active "Shipped notice" campaign is planned
by the beat path (`plan_notice_campaign`: the events received since the cursor, by the index
`orderevent_merchant_type`), planned again (a replay: nothing new), then the old events grow tenfold and
the same is measured. The on-commit path (`plan_order_events`, batches of 100 event ids) is timed too.
Prints one JSON line; `ratio` = plan_s_large / plan_s_small (goal <= 1.5).
"""

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from plan import ORDER_COLUMNS, _copy, _order_row  # noqa: E402  (sets up Django)

EVENT_COLUMNS = ["merchant_id", "order_id", "type", "source", "occurred_at", "received_at", "dedupe_key", "applied",
                 "data"]  # fmt: skip


def load(merchant_id: int, store_id: int, prefix: str, count: int, *, received, now) -> None:
    """`count` shipped orders, each with one `shipped` event received at `received(i)`."""
    _copy(
        "orders_order",
        ORDER_COLUMNS,
        (_order_row(merchant_id, store_id, None, f"{prefix}{i}", delivered=None, now=now) for i in range(count)),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM orders_order WHERE merchant_id = %s AND external_id LIKE %s ORDER BY id",
            [merchant_id, f"B-{prefix}%"],
        )
        ids = [r[0] for r in cursor.fetchall()]
    rows = (
        [merchant_id, order_id, "shipped", "shopify", received(i).isoformat(), received(i).isoformat(),
         f"shopify:f{order_id}:shipped", "t", "{}"]
        for i, order_id in enumerate(ids)
    )  # fmt: skip
    _copy("orders_orderevent", EVENT_COLUMNS, rows)
    with connection.cursor() as cursor:  # settle the fresh rows (hint bits, statistics) before timing
        cursor.execute("VACUUM ANALYZE orders_order")
        cursor.execute("VACUUM ANALYZE orders_orderevent")


def beat(campaign, cursor_at, now) -> tuple[float, int]:
    from reviews.models import Campaign
    from reviews.notices import plan_notice_campaign

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reviews_message")  # as autovacuum would, once the messages are there
    Campaign.objects.filter(pk=campaign.pk).update(planned_at=cursor_at)
    campaign.refresh_from_db()
    started = time.perf_counter()
    result = plan_notice_campaign(campaign=campaign, now=now)
    return time.perf_counter() - started, result.planned


def fresh_beat(campaign, cursor_at, now) -> tuple[float, int]:
    from reviews.models import Message

    Message.objects.all().delete()
    return beat(campaign, cursor_at, now)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--new", type=int, default=5_000)
    parser.add_argument("--old", type=int, default=100_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL server")
    creation = connection.creation
    creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from accounts.models import Merchant
        from channels.models import ChannelAccount
        from orders.models import OrderEvent, Store
        from reviews.models import Campaign, CampaignStatus, Message, PlanStep
        from reviews.notices import plan_order_events

        now = timezone.now()
        merchant = Merchant.objects.create(name="Bench", slug="bench-notices")
        store = Store.objects.create(merchant=merchant, name="Bench store")
        outbox = ChannelAccount.objects.create(merchant=merchant, kind="outbox", name="Outbox", credentials={})
        campaign = Campaign.objects.create(
            merchant=merchant, name="Shipped", purpose="order_shipped", message_class="transactional",
            status=CampaignStatus.ACTIVE, delay_days=0, status_changed_at=now - dt.timedelta(days=400),
        )  # fmt: skip
        PlanStep.objects.create(merchant=merchant, campaign=campaign, channel="email", account=outbox)
        cursor_at = now - dt.timedelta(minutes=30)

        load(merchant.pk, store.pk, "new-", args.new, received=lambda i: now - dt.timedelta(seconds=i % 900), now=now)
        old = lambda i: now - dt.timedelta(days=30 + i % 300, minutes=i % 1440)  # noqa: E731
        load(merchant.pk, store.pk, "old-", args.old, received=old, now=now)
        small_s, small_planned = min(fresh_beat(campaign, cursor_at, now) for _ in range(3))
        replay_small_s, replay_planned = beat(campaign, cursor_at, now)

        load(merchant.pk, store.pk, "older-", args.old * 9, received=old, now=now)
        large_s, large_planned = min(fresh_beat(campaign, cursor_at, now) for _ in range(3))
        replay_large_s, _ = beat(campaign, cursor_at, now)

        Message.objects.all().delete()
        ids = list(OrderEvent.objects.filter(received_at__gte=cursor_at).order_by("pk").values_list("pk", flat=True))
        started = time.perf_counter()
        on_commit_planned = sum(
            plan_order_events(event_ids=ids[i : i + 100], now=now).planned for i in range(0, len(ids), 100)
        )
        on_commit_s = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "bench": "notices",
                    "new_events": args.new,
                    "events_small": args.new + args.old,
                    "events_large": args.new + args.old * 10,
                    "planned_small": small_planned,
                    "planned_large": large_planned,
                    "replay_planned": replay_planned,
                    "plan_s_small": round(small_s, 3),
                    "plan_s_large": round(large_s, 3),
                    "ratio": round(large_s / small_s, 3),
                    "replay_s_small": round(replay_small_s, 3),
                    "replay_s_large": round(replay_large_s, 3),
                    "on_commit_planned": on_commit_planned,
                    "on_commit_events_per_s": round(len(ids) / on_commit_s, 1),
                }
            )
        )
    finally:
        connection.close()
        creation.destroy_test_db(creation.connection.settings_dict["NAME"].removeprefix("test_"), verbosity=0)


if __name__ == "__main__":
    main()
