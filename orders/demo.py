"""Demo orders: for each demo merchant an Amazon US store, a Shopify store and a CSV / manual store, with a
few hundred orders from buyers in several countries, deliveries spread over the last weeks.

Seeded, so every run produces the same orders (relative to today), and written through
`services.upsert_orders` / `services.record_order_events`, so running it again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import phonenumbers
from django.utils import timezone

from . import services
from .models import Platform, Source, Store

STORES = [
    # key, name, platform, marketplace, currency, number of orders
    ("amazon", "Amazon US", Platform.AMAZON, "Amazon.com (US)", "USD", 70),
    ("shopify", "Shopify", Platform.SHOPIFY, "shop.example.com", "USD", 60),
    ("manual", "CSV / manual", Platform.MANUAL, "", "EUR", 40),
]
BUYERS = {
    "US": ["Emily Johnson", "Michael Smith", "Olivia Brown", "James Miller", "Ava Davis", "Noah Wilson"],
    "DE": ["Lukas Müller", "Anna Schmidt", "Felix Wagner", "Mia Becker"],
    "FR": ["Camille Martin", "Louis Bernard", "Chloé Dubois", "Hugo Laurent"],
    "GB": ["Oliver Taylor", "Amelia Evans", "Harry Thomas", "Isla Roberts"],
    "JP": ["佐藤 陽翔", "鈴木 結衣", "高橋 蓮", "田中 さくら"],
    "CA": ["Liam Tremblay", "Emma Roy", "Lucas Gagnon"],
    "ES": ["Lucía García", "Hugo Fernández", "Martina López"],
    "IT": ["Giulia Rossi", "Leonardo Russo", "Sofia Ferrari"],
    "AU": ["Jack Wilson", "Charlotte Smith", "William Jones"],
}
COUNTRY_WEIGHTS = {"US": 10, "DE": 4, "FR": 3, "GB": 3, "JP": 3, "CA": 2, "ES": 1, "IT": 1, "AU": 1}
REGIONS = {"US": ["CA", "NY", "TX", "FL", "WA", "IL"], "CA": ["ON", "QC", "BC"], "AU": ["NSW", "VIC", "QLD"]}
CITIES = {"US": "Springfield", "DE": "Berlin", "FR": "Lyon", "GB": "Manchester", "JP": "大阪市", "CA": "Toronto",
          "ES": "Madrid", "IT": "Milano", "AU": "Sydney"}  # fmt: skip
PRODUCTS = {
    "zh": [("BT-EAR-01", "B0DEMO0001", "Wireless earbuds", "Electronics", "29.99"),
           ("LED-STRIP-5M", "B0DEMO0002", "LED strip 5 m", "Home", "19.99"),
           ("PHONE-CASE-X", "B0DEMO0003", "Shockproof phone case", "Accessories", "12.99"),
           ("USB-C-HUB", "B0DEMO0004", "USB-C hub 7-in-1", "Electronics", "34.99")],
    "en": [("TENT-2P", "B0DEMO0101", "Ultralight 2-person tent", "Camping", "189.00"),
           ("LAMP-HEAD", "B0DEMO0102", "Rechargeable head lamp", "Camping", "24.50"),
           ("SOCK-MERINO", "B0DEMO0103", "Merino trail socks", "Apparel", "16.00"),
           ("BOTTLE-1L", "B0DEMO0104", "Insulated bottle 1 l", "Accessories", "29.00")],
}  # fmt: skip
CARRIERS = {"US": "UPS", "CA": "Canada Post", "DE": "DHL", "FR": "Colissimo", "GB": "Royal Mail", "JP": "Yamato",
            "ES": "Correos", "IT": "BRT", "AU": "Australia Post"}  # fmt: skip


def _phone(rng: random.Random, country: str) -> str:
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number)
    for _attempt in range(50):
        tail = "".join(rng.choice("0123456789") for _ in range(4))
        candidate = phonenumbers.parse(f"+{example.country_code}{national[:-4]}{tail}")
        if phonenumbers.is_valid_number(candidate):
            return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def _store(merchant, key, name, platform, marketplace, currency) -> Store:
    store = Store.objects.filter(merchant=merchant, name=name).first()
    if store is not None:
        return store
    return services.create_store(
        merchant=merchant,
        name=name,
        platform=platform,
        marketplace=marketplace,
        default_currency=currency,
        default_language="en",
        postal_address="Linkstar Demo Ltd, 1 Harbour Road, Hong Kong",
    )


def _orders_for(merchant_key: str, store_key: str, platform: str, count: int, today: dt.datetime, currency: str):
    rng = random.Random(f"linkstar-demo-{merchant_key}-{store_key}")
    countries = [c for c, w in COUNTRY_WEIGHTS.items() for _ in range(w)]
    if platform == Platform.AMAZON:
        countries = ["US"]  # an Amazon US store ships to the US
    rows, events = [], []
    for i in range(count):
        country = rng.choice(countries)
        name = rng.choice(BUYERS[country])
        prefix = {"amazon": "114", "shopify": "SH", "manual": "M"}[store_key]
        external_id = (
            f"{prefix}-{rng.randrange(1000000, 9999999)}-{rng.randrange(1000000, 9999999)}"
            if platform == Platform.AMAZON
            else f"{prefix}{merchant_key.upper()}{1000 + i}"
        )
        placed = today - dt.timedelta(days=rng.randint(3, 45), hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
        shipped = placed + dt.timedelta(days=rng.randint(1, 2), hours=rng.randint(0, 8))
        delivered = shipped + dt.timedelta(days=rng.randint(2, 8), hours=rng.randint(0, 10))
        sku, asin, title, category, price = rng.choice(PRODUCTS[merchant_key])
        quantity = rng.choice([1, 1, 1, 2])
        slug = name.lower().split()[0].encode("ascii", "ignore").decode() or "buyer"
        if platform == Platform.AMAZON:
            email = f"{rng.getrandbits(48):012x}@marketplace.amazon.com"
        else:
            email = f"{slug}.{i}.{store_key}@example.com"
        region = rng.choice(REGIONS.get(country, [""]))
        row = {
            "external_id": external_id,
            "number": external_id if platform == Platform.AMAZON else f"#{1000 + i}",
            "placed_at": placed.isoformat(),
            "currency": "USD" if country == "US" else currency,
            "total": str(Decimal(price) * quantity),
            "status": "shipped",
            "fulfillment_channel": rng.choice(["fba", "fba", "fbm"]) if platform == Platform.AMAZON else "merchant",
            "carrier": CARRIERS[country],
            "tracking_number": f"{CARRIERS[country][:2].upper()}{rng.randrange(10**9, 10**10)}",
            "shipped_at": shipped.isoformat(),
            "ship_to": {
                "line1": f"{rng.randint(1, 200)} Demo Street",
                "city": CITIES[country],
                "region": region,
                "postal_code": f"{rng.randint(10000, 99999)}",
                "country": country,
            },
            "buyer": {"name": name, "email": email, "phone": _phone(rng, country)},
            "items": [
                {
                    "sku": sku,
                    "product_id": asin,
                    "title": title,
                    "quantity": quantity,
                    "unit_price": price,
                    "category": category,
                }
            ],  # fmt: skip
        }
        if platform == Platform.AMAZON:
            row["earliest_delivery_date"] = (shipped + dt.timedelta(days=2)).date().isoformat()
            row["latest_delivery_date"] = (shipped + dt.timedelta(days=7)).date().isoformat()
        if platform == Platform.SHOPIFY and rng.random() < 0.6:
            row["buyer"]["consents"] = [
                {"channel": "email", "status": "granted", "lawful_basis": "consent", "source": "shopify checkout",
                 "text_version": "checkout-2025-01", "recorded_at": placed.isoformat()}
            ]  # fmt: skip
        rows.append(row)
        if delivered <= today:
            events.append({"external_id": external_id, "type": "delivered", "occurred_at": delivered.isoformat()})
            roll = rng.random()
            later = (delivered + dt.timedelta(days=rng.randint(1, 4))).isoformat()
            if roll < 0.04:
                events.append({"external_id": external_id, "type": "returned", "occurred_at": later})
            elif roll < 0.07:
                events.append({"external_id": external_id, "type": "refunded", "occurred_at": later})
            elif roll < 0.12:
                events.append({"external_id": external_id, "type": "reviewed", "occurred_at": later})
        elif rng.random() < 0.3:
            events.append({"external_id": external_id, "type": "out_for_delivery", "occurred_at": today.isoformat()})
    return rows, events


def _fake_browser_keys(subscription_id: str) -> tuple[str, str]:
    """(p256dh, auth) of a demo browser subscription: the same derivation as the web-push fake of
    `manage.py run_fake_providers` (channels/fakes/push.py), so it can decrypt what is pushed."""
    import base64
    import hashlib

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    seed = b"linkstar-fake-browser-v1"
    order = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)
    digest = hashlib.sha256(seed + b":key:" + subscription_id.encode()).digest()
    key = ec.derive_private_key(int.from_bytes(digest, "big") % (order - 1) + 1, ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    auth = hashlib.sha256(seed + b":auth:" + subscription_id.encode()).digest()[:16]
    return (
        base64.urlsafe_b64encode(public).rstrip(b"=").decode(),
        base64.urlsafe_b64encode(auth).rstrip(b"=").decode(),
    )


def _push_subscriptions(ctx) -> None:
    """A few Shopify buyers allowed push: two app installs (FCM) and two browsers (web push, local fake)."""
    from django.conf import settings

    from .models import Buyer

    made = 0
    for merchant_key in ctx.merchants:
        store = ctx.extra["orders_stores"][merchant_key]["shopify"]
        buyers = list(Buyer.objects.filter(store=store, erased_at__isnull=True).order_by("pk")[:4])
        for n, buyer in enumerate(buyers):
            if n < 2:
                token = f"demo-{merchant_key}-{n}:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8Ov"
                services.register_push_subscription(
                    buyer=buyer, kind="fcm", token=token, platform="android" if n == 0 else "ios", app_id="demo.shop"
                )
            elif settings.WEB_PUSH_ALLOW_LOOPBACK:
                sub_id = f"demo-{merchant_key}-browser-{n}"
                p256dh, auth = _fake_browser_keys(sub_id)
                endpoint = f"http://127.0.0.1:{settings.CHANNELS_FAKES_PORT + 1}/webpush/{sub_id}"
                services.register_push_subscription(
                    buyer=buyer, kind="web_push", endpoint=endpoint, p256dh=p256dh, auth=auth
                )
            else:
                continue
            made += 1
    ctx.write(f"orders: {made} buyer push subscriptions (app and browser)")


def load(ctx) -> None:
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    totals = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
    for merchant_key, merchant in ctx.merchants.items():
        stores = {}
        for key, name, platform, marketplace, currency, count in STORES:
            store = stores[key] = _store(merchant, key, name, platform, marketplace, currency)
            rows, events = _orders_for(merchant_key, key, platform, count, today, currency)
            source = {"amazon": Source.AMAZON, "shopify": Source.SHOPIFY, "manual": Source.CSV}[key]
            for result in services.upsert_orders(store=store, rows=rows, source=source):
                totals[result.status] += 1
            tracker = Source.AMAZON if platform == Platform.AMAZON else Source.AFTERSHIP
            for event in events:
                event["store"] = store.pk
            services.record_order_events(merchant=merchant, rows=events, source=tracker)
        ctx.extra.setdefault("orders_stores", {})[merchant_key] = stores
    ctx.write("orders: {created} created, {updated} updated, {unchanged} unchanged, {error} rejected".format(**totals))
    _push_subscriptions(ctx)
    from .connectors import demo as connectors_demo

    connectors_demo.load(ctx)
