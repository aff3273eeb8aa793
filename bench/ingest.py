"""Ingest benchmark: the bulk order API through the real HTTP stack against a bare `bulk_create`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/linkstar_bench python bench/ingest.py [--orders 20000]

Generates N realistic orders (two items and a buyer each, buyers in several countries with real phone
numbers), starts gunicorn on 127.0.0.1 (a socket the OS picked, handed to gunicorn as fd://), posts the
orders in batches of 1,000 with an API key, inserts the same rows with plain `bulk_create` (buyers,
orders, items) into another store, then posts the same batches again (all `unchanged`). Prints one JSON
line: {"bench": "ingest", "orders": N, "api_orders_per_s", "bulk_create_orders_per_s", "ratio",
"replay_orders_per_s"}. The goal is ratio >= 0.5. It migrates the database it is given and leaves its
rows there under a merchant named bench-<random> (drop the database afterwards if it is a scratch one).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkstar.settings")
os.environ.setdefault("DEBUG", "false")  # no query log in either process
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gta2V5LTAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=")

BATCH = 1000
COUNTRIES = [
    # country, region, city, postal code, phone (national format), language
    ("US", "CA", "San Jose", "95112", "(408) 555-{:04d}", "en"),
    ("US", "NY", "Albany", "12207", "(518) 555-{:04d}", "en"),
    ("DE", "BE", "Berlin", "10115", "0151 2345{:04d}", "de"),
    ("FR", "IDF", "Paris", "75008", "06 12 34 {:02d} {:02d}", "fr"),
    ("GB", "LND", "London", "NW1 6XE", "07911 12{:04d}", "en"),
    ("JP", "13", "Tokyo", "100-0001", "090-1234-{:04d}", "ja"),
]
PRODUCTS = [("SOCK-1", "B00SOCK001", "Merino trail socks"), ("CAP-2", "B00CAP0002", "Running cap"),
            ("BTL-3", "B00BTL0003", "Insulated bottle"), ("LMP-4", "B00LMP0004", "Head lamp")]  # fmt: skip


def make_rows(n: int, seed: int = 4) -> list[dict]:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        country, region, city, postal, phone, language = COUNTRIES[i % len(COUNTRIES)]
        digits = rng.randrange(10000)
        placed = start + timedelta(minutes=7 * i)
        items = [rng.choice(PRODUCTS), rng.choice(PRODUCTS)]
        rows.append(
            {
                "external_id": f"B-{i:07d}",
                "number": f"#{100000 + i}",
                "placed_at": placed.isoformat(),
                "currency": "USD",
                "total": f"{rng.randrange(1000, 20000) / 100:.2f}",
                "status": "shipped",
                "carrier": "UPS",
                "tracking_number": f"1Z{i:012d}",
                "shipped_at": (placed + timedelta(days=1)).isoformat(),
                "ship_to": {
                    "line1": f"{i} Main St",
                    "city": city,
                    "region": region,
                    "postal_code": postal,
                    "country": country,
                },  # fmt: skip
                "buyer": {
                    "name": f"Buyer {i}",
                    "email": f"buyer{i}@example.test",
                    "phone": phone.format(digits)
                    if "{:02d}" not in phone
                    else phone.format(digits // 100, digits % 100),
                    "language": language,
                },
                "items": [
                    {
                        "sku": sku,
                        "product_id": pid,
                        "title": title,
                        "quantity": 1 + k,
                        "unit_price": f"{rng.randrange(500, 5000) / 100:.2f}",
                    }
                    for k, (sku, pid, title) in enumerate(items)
                ],  # fmt: skip
            }
        )
    return rows


def start_server() -> tuple[subprocess.Popen, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    fd = sock.fileno()
    command = [sys.executable, "-m", "gunicorn", "linkstar.wsgi:application", "--bind", f"fd://{fd}",
               "--workers", "1", "--timeout", "300", "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, pass_fds=(fd,), env=os.environ.copy())
    sock.close()
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the server did not start")


def post_batches(port: int, path: str, key: str, bodies: list[bytes]) -> tuple[float, dict]:
    counts: dict[str, int] = {}
    elapsed = 0.0
    for body in bodies:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        started = time.perf_counter()
        conn.request("POST", path, body, {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = conn.getresponse()
        payload = response.read()
        elapsed += time.perf_counter() - started
        conn.close()
        if response.status != 200:
            raise SystemExit(f"POST {path} answered {response.status}: {payload[:500]!r}")
        for status, n in json.loads(payload)["counts"].items():
            counts[status] = counts.get(status, 0) + n
    return elapsed, counts


def bulk_create_baseline(store, rows: list[dict]) -> float:
    """What a bare insert of the same orders, buyers and items costs (no validation, no upsert)."""
    from django.db import transaction

    from orders.models import Buyer, Order, OrderItem

    elapsed = 0.0
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        started = time.perf_counter()
        with transaction.atomic():
            buyers = Buyer.objects.bulk_create(
                [
                    Buyer(merchant_id=store.merchant_id, store=store, key=f"email:{r['buyer']['email']}",
                          name=r["buyer"]["name"], email=r["buyer"]["email"], phone=r["buyer"]["phone"],
                          address_line1=r["ship_to"]["line1"], city=r["ship_to"]["city"],
                          region=r["ship_to"]["region"], postal_code=r["ship_to"]["postal_code"],
                          country=r["ship_to"]["country"], language=r["buyer"]["language"])
                    for r in chunk
                ]
            )  # fmt: skip
            orders = Order.objects.bulk_create(
                [
                    Order(merchant_id=store.merchant_id, store=store, buyer=b, external_id=r["external_id"],
                          number=r["number"], placed_at=r["placed_at"], currency=r["currency"], total=r["total"],
                          status=r["status"], carrier=r["carrier"], tracking_number=r["tracking_number"],
                          shipped_at=r["shipped_at"], ship_country=r["ship_to"]["country"],
                          ship_region=r["ship_to"]["region"], ship_city=r["ship_to"]["city"],
                          ship_postal_code=r["ship_to"]["postal_code"])
                    for r, b in zip(chunk, buyers, strict=True)
                ]
            )  # fmt: skip
            OrderItem.objects.bulk_create(
                [
                    OrderItem(merchant_id=store.merchant_id, order=o, position=k, **item)
                    for r, o in zip(chunk, orders, strict=True)
                    for k, item in enumerate(r["items"])
                ]
            )
        elapsed += time.perf_counter() - started
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database (the benchmark is about PostgreSQL)")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from accounts.models import ApiKey, Merchant
    from accounts.services import create_api_key
    from orders.models import Platform, Store

    tag = secrets.token_hex(4)
    merchant = Merchant.objects.create(name=f"bench-{tag}", slug=f"bench-{tag}")
    api_store = Store.objects.create(merchant=merchant, name="API store", platform=Platform.MANUAL)
    bare_store = Store.objects.create(merchant=merchant, name="bulk_create store", platform=Platform.MANUAL)
    key = create_api_key(merchant=merchant, name="bench", scope=ApiKey.Scope.WRITE, created_by=None).plaintext

    rows = make_rows(args.orders)
    bodies = [json.dumps({"orders": rows[i : i + BATCH]}).encode() for i in range(0, len(rows), BATCH)]
    path = f"/api/v1/stores/{api_store.pk}/orders/bulk"

    server, port = start_server()
    try:
        api_seconds, counts = post_batches(port, path, key, bodies)
        if counts.get("created") != args.orders:
            raise SystemExit(f"expected {args.orders} created, got {counts}")
        bare_seconds = bulk_create_baseline(bare_store, rows)
        replay_seconds, replay_counts = post_batches(port, path, key, bodies)
        if replay_counts.get("unchanged") != args.orders:
            raise SystemExit(f"expected {args.orders} unchanged on replay, got {replay_counts}")
    finally:
        server.terminate()
        server.wait(timeout=30)

    api_rate = args.orders / api_seconds
    bare_rate = args.orders / bare_seconds
    print(
        json.dumps(
            {
                "bench": "ingest",
                "orders": args.orders,
                "api_orders_per_s": round(api_rate, 1),
                "bulk_create_orders_per_s": round(bare_rate, 1),
                "ratio": round(api_rate / bare_rate, 3),
                "replay_orders_per_s": round(args.orders / replay_seconds, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
