"""Benchmark: the buyers' signed links, which dispatch mints for every message and the public pages check on
every click, and the review target computed per click.

Prints one JSON line: {"bench": "buyer_links", "n": N, "mint_per_s": ..., "verify_per_s": ...,
"target_per_s": ..., "token_chars": ...}. No database: unsaved orders and stores.
Run: LINKSTAR_ENV_FILE=/dev/null python bench/buyer_links.py [N]
"""

import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkstar.settings")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gta2V5LTAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=")

import django  # noqa: E402

django.setup()

from orders.models import Order, OrderItem, Store  # noqa: E402
from reviews import links  # noqa: E402


def main(count: int) -> None:
    refs = [str(uuid.uuid4()) for _ in range(count)]
    started = time.perf_counter()
    urls = [links.review_url(ref) for ref in refs]
    helps = [links.help_url(order_id=i + 1, message_ref=ref) for i, ref in enumerate(refs)]
    mint = time.perf_counter() - started

    tokens = [u.rstrip("/").rsplit("/", 1)[-1] for u in urls]
    help_tokens = [u.rstrip("/").rsplit("/", 1)[-1] for u in helps]
    started = time.perf_counter()
    for token, help_token in zip(tokens, help_tokens, strict=True):
        assert links.message_ref_from(token) is not None
        assert links.help_target_from(help_token) is not None
    verify = time.perf_counter() - started

    stores = [
        Store(platform="amazon", marketplace="A1PA6795UKMFR9"),
        Store(platform="shopify", marketplace="acme.myshopify.com"),
        Store(platform="woocommerce", marketplace="https://woo.example.com"),
    ]
    orders = []
    for i in range(count):
        order = Order(store=stores[i % 3], number=f"#{i}", external_id=str(i), ship_country="DE")
        orders.append((order, [OrderItem(product_id="B0BENCH001" if i % 3 == 0 else str(i), title="Merino socks")]))
    started = time.perf_counter()
    for order, items in orders:
        assert links.review_target(order=order, items=items)
    target = time.perf_counter() - started

    print(  # noqa: T201  (a benchmark prints its one JSON line)
        json.dumps(
            {
                "bench": "buyer_links",
                "n": count,
                "mint_per_s": round(2 * count / mint),
                "verify_per_s": round(2 * count / verify),
                "target_per_s": round(count / target),
                "token_chars": max(len(t) for t in tokens),
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
