"""Webhook benchmark: how fast a signed Shopify webhook is accepted (Shopify allows 5 s) and processed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/linkstar_bench python bench/webhooks.py [--webhooks 500]

Starts gunicorn on 127.0.0.1 (a socket the OS picked) with an in-memory broker (the queued tasks are not run
there), posts N distinct orders/create webhooks signed as Shopify signs them, then the same N again (replays,
answered "duplicate"), then processes the stored events in this process as the worker would. Prints one JSON
line: {"bench": "webhooks", "webhooks": N, "accept_p50_ms", "accept_p95_ms", "accept_max_ms",
"replay_p95_ms", "process_events_per_s"}. It leaves its rows under a merchant named bench-<random>.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkstar.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gta2V5LTAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=")
os.environ["CELERY_BROKER_URL"] = "memory://"  # the web process only queues; this script processes


def post_all(port: int, path: str, requests: list[tuple[bytes, dict]]) -> list[float]:
    timings = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for body, headers in requests:
        started = time.perf_counter()
        conn.request("POST", path, body, {**headers, "Content-Type": "application/json"})
        response = conn.getresponse()
        payload = response.read()
        timings.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise SystemExit(f"POST {path} answered {response.status}: {payload[:300]!r}")
    conn.close()
    return timings


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=500)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from ingest import start_server

    from accounts.models import Merchant
    from orders.connectors import services
    from orders.connectors.fakes import shopify_order, signed
    from orders.connectors.selectors import webhook_url
    from orders.models import Order, WebhookEvent

    tag = secrets.token_hex(4)
    merchant = Merchant.objects.create(name=f"bench-{tag}", slug=f"bench-{tag}")
    secret = secrets.token_hex(16)
    connection = services.connect(
        merchant=merchant,
        kind="shopify",
        label="Bench Shopify",
        credentials={"shop_domain": "bench.myshopify.com", "access_token": "x", "app_secret": secret},
    )
    path = "/" + webhook_url(connection).split("/", 3)[3]
    requests = [
        signed("shopify", secret, shopify_order(10_000_000 + i, email=f"b{i}@example.test"), topic="orders/create")
        for i in range(args.webhooks)
    ]

    server, port = start_server()
    try:
        accept = post_all(port, path, requests)
        replay = post_all(port, path, requests)
    finally:
        server.terminate()
        server.wait(timeout=30)

    ids = list(WebhookEvent.objects.filter(connection=connection).values_list("pk", flat=True))
    if len(ids) != args.webhooks:
        raise SystemExit(f"expected {args.webhooks} stored events, found {len(ids)}")
    started = time.perf_counter()
    for pk in ids:
        services.process_webhook_event(event_id=pk, retry_waiting=False)
    process_seconds = time.perf_counter() - started
    if Order.objects.filter(store=connection.store).count() != args.webhooks:
        raise SystemExit("not every webhook became an order")

    print(
        json.dumps(
            {
                "bench": "webhooks",
                "webhooks": args.webhooks,
                "accept_p50_ms": round(statistics.median(accept), 1),
                "accept_p95_ms": round(p95(accept), 1),
                "accept_max_ms": round(max(accept), 1),
                "replay_p95_ms": round(p95(replay), 1),
                "process_events_per_s": round(args.webhooks / process_seconds, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
