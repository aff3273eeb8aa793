"""What the demo's local platforms hold: a Shopify shop and a WooCommerce site with a few weeks of orders,
an Amazon US seller, and trackers, all answering as the real services do (see fakes.py)."""

from __future__ import annotations

import datetime as dt
import random

from .fakes import FakePlatforms, amazon_order, shopify_fulfillment, shopify_order, woo_order

SHOPIFY_ORDERS = 40
WOO_ORDERS = 30
AMAZON_ORDERS = 20


def seed(fake: FakePlatforms, *, now: dt.datetime | None = None) -> None:
    """Deterministic orders relative to `now`, so a demo sync always finds something."""
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    rng = random.Random("linkstar-fake-platforms")
    for n in range(SHOPIFY_ORDERS):
        order_id = 820000 + n
        updated = now - dt.timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 23))
        fulfilments, status = [], None
        if rng.random() < 0.8:
            shipped = updated - dt.timedelta(days=1)
            delivered = rng.random() < 0.5
            fulfilments = [
                shopify_fulfillment(
                    order_id,
                    900000 + n,
                    tracking_number=f"1ZDEMO{order_id}",
                    shipment_status="delivered" if delivered else "in_transit",
                    created_at=shipped,
                    updated_at=updated,
                )
            ]
            status = "fulfilled"
        fake.shopify_orders[order_id] = shopify_order(
            order_id,
            updated_at=updated,
            email=f"shopper{n}@example.com",
            fulfillments=fulfilments,
            fulfillment_status=status,
        )
    for n in range(WOO_ORDERS):
        order_id = 4100 + n
        modified = now - dt.timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 23))
        status = rng.choice(["processing", "completed", "completed", "completed"])
        fake.woo_orders[order_id] = woo_order(
            order_id,
            modified=modified,
            status=status,
            email=f"kunde{n}@example.de",
            tracking_number=f"JJD{order_id}000" if status == "completed" else None,
        )
    for n in range(AMAZON_ORDERS):
        order_id = f"113-{7000000 + n}-{rng.randrange(1000000, 9999999)}"
        updated = now - dt.timedelta(days=rng.randint(1, 20))
        earliest = (updated + dt.timedelta(days=2)).date().isoformat() + "T07:00:00Z"
        latest = (updated + dt.timedelta(days=6)).date().isoformat() + "T06:59:59Z"
        fake.amazon_orders[order_id] = amazon_order(
            order_id, updated=updated, channel=rng.choice(["AFN", "AFN", "MFN"]), earliest=earliest, latest=latest
        )


# The carrier's story AfterShip tells about the oldest undelivered parcel of each merchant, one step per
# round: a failed attempt (a delivery problem notice), out for delivery, delivered.
CARRIER_STORY = (("AttemptFail", "AttemptFail_001"), ("OutForDelivery", "OutForDelivery_001"),
                 ("Delivered", "Delivered_003"))  # fmt: skip


def push_webhooks(fake: FakePlatforms, *, round_no: int) -> list[str]:
    """One round of the demo's live traffic, sent as the platforms send it (signed webhook to the
    connection's address): a new order at each demo Shopify shop and WooCommerce site; from round 2 the
    Shopify shop ships the previous round's order (`fulfillments/create`, with a tracking link: a shipped
    notice); and AfterShip moves the oldest undelivered parcel of each merchant one step along
    `CARRIER_STORY` (a delivery problem, out for delivery, delivered). Returns one line per webhook sent."""
    import httpx

    from ..models import Connection, Order
    from .fakes import aftership_webhook, signed
    from .selectors import webhook_url

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    sent = []
    with httpx.Client(timeout=10) as client:
        for connection in Connection.objects.filter(enabled=True).select_related("store"):
            creds = connection.credentials
            if connection.kind == "shopify" and str(creds.get("shop_domain", "")).startswith(fake.url):
                previous = 830000 + (round_no - 1) * 100 + connection.pk
                if round_no > 1 and previous in fake.shopify_orders:
                    fulfillment = shopify_fulfillment(
                        previous, 930000 + round_no * 100 + connection.pk, tracking_number=f"1ZLIVE{previous}",
                        shipment_status="in_transit", created_at=now, updated_at=now,
                    )  # fmt: skip
                    fbody, fheaders = signed("shopify", creds["app_secret"], fulfillment, topic="fulfillments/create")
                    sent.append(_post(client, webhook_url(connection), fbody, fheaders, connection))
                order_id = 830000 + round_no * 100 + connection.pk
                order = shopify_order(order_id, updated_at=now, email=f"live{order_id}@example.com")
                fake.shopify_orders[order_id] = order
                body, headers = signed("shopify", creds["app_secret"], order, topic="orders/create")
            elif connection.kind == "woocommerce" and str(creds.get("site_url", "")).startswith(fake.url):
                order_id = 5000 + round_no * 100 + connection.pk
                order = woo_order(order_id, modified=now, email=f"live{order_id}@example.de")
                fake.woo_orders[order_id] = order
                body, headers = signed("woocommerce", creds["webhook_secret"], order, topic="order.created")
            elif connection.kind == "aftership" and str(creds.get("api_base_url", "")).startswith(fake.url):
                shipped = (
                    Order.objects.for_merchant(connection.merchant)
                    .filter(delivered_at__isnull=True, cancelled=False, shipped_at__isnull=False)
                    .exclude(tracking_number="")
                    .order_by("shipped_at")
                    .first()
                )
                if shipped is None:
                    continue
                tag, subtag = CARRIER_STORY[(round_no - 1) % len(CARRIER_STORY)]
                payload = aftership_webhook(shipped.tracking_number, tag, subtag=subtag, at=now)
                body, headers = signed("aftership", creds["webhook_secret"], payload)
            else:
                continue
            sent.append(_post(client, webhook_url(connection), body, headers, connection))
    return sent


def _post(client, url: str, body: bytes, headers: dict, connection) -> str:
    import httpx

    try:
        status = client.post(url, content=body, headers={**headers, "Content-Type": "application/json"})
        return f"{connection.kind} → {connection.label}: {status.status_code}"
    except httpx.HTTPError as exc:
        return f"{connection.kind} → {connection.label}: {exc.__class__.__name__}"
