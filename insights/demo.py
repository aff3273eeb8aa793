"""Demo data for insights: a campaign with a month of history (A/B variants and a 10 % hold-out), its opens,
and a burst of spam complaints on its channel account that trips the complaint breaker.

The complaints are real `DeliveryEvent`s stored by `channels.services.record_provider_events`, the service
every provider webhook view calls after verifying the signature; the breaker is then evaluated as the
beat task would. So the demo shows charts with data, A/B and hold-out results, a paused campaign with its
reason, a breaker trip, and the notice (printed by the console email backend). Idempotent: a merchant that
already has the campaign is left alone.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from channels import services as channels
from channels.events import ProviderEvent
from channels.models import ChannelAccount
from orders import services as orders
from orders.ingest import upsert_orders
from orders.models import Order, Store
from reviews import services as reviews
from reviews.demo_history import build_history
from reviews.models import Campaign, CampaignStatus

from . import services

NAMES = {"zh": "数据洞察演示（A/B 与留出组）", "en": "Insights demo (A/B and hold-out)"}
COUNTRIES = ["US", "US", "US", "DE", "GB", "FR", "JP"]
ORDERS, RECENT = 400, 260  # about 225 sends in the last 24 hours: above the breaker's minimum sample of 200


def _orders(merchant, key: str) -> list:
    store = Store.objects.for_merchant(merchant).filter(name="Demo history").first() or orders.create_store(
        merchant=merchant, name="Demo history", platform="manual"
    )
    rng = random.Random(f"insights-{key}")
    now = timezone.now()
    rows = []
    for n in range(ORDERS):
        delivered = now - dt.timedelta(days=35 - n * 34 // ORDERS)
        rows.append(
            {
                "external_id": f"HIST-{n:04d}",
                "number": f"#H{n:04d}",
                "placed_at": (delivered - dt.timedelta(days=6)).isoformat(),
                "currency": "USD",
                "total": f"{rng.randint(15, 120)}.00",
                "status": "delivered",
                "delivered_at": delivered.isoformat(),
                "ship_to": {"country": rng.choice(COUNTRIES), "city": "Demo", "postal_code": "10001"},
                "buyer": {"name": f"Buyer {n}", "email": f"buyer.{key}.{n}@example.test"},
                "items": [{"sku": "DEMO-1", "title": "Demo product", "quantity": 1, "unit_price": "19.90"}],
            }
        )
    upsert_orders(store=store, rows=rows)
    return list(Order.objects.for_merchant(merchant).filter(store=store).order_by("placed_at", "pk"))


def _load_one(ctx, key: str) -> str:
    merchant = ctx.merchants[key]
    name = NAMES[key]
    if Campaign.objects.for_merchant(merchant).filter(name=name).exists():
        return "kept"
    account = ChannelAccount.objects.for_merchant(merchant).filter(name="Demo ESP").first() or channels.create_account(
        merchant=merchant,
        kind="outbox",
        name="Demo ESP",
        config={},
        credentials={},
        identity={"from_email": "reviews@shop.example", "from_name": "Demo shop"},
    )
    campaign = reviews.create_campaign(
        merchant=merchant,
        user=ctx.users.get(f"{key}_owner"),
        data={"name": name, "message_class": "utility", "holdout_percent": 10, "delay_days": 5, "max_age_days": 45},
        steps=[{"country": "*", "position": 0, "channel": "email", "account": account}],
        variants=[{"name": "A", "weight": 1}, {"name": "B", "weight": 1}],
    )
    reviews.set_campaign_status(campaign=campaign, status=CampaignStatus.ACTIVE)
    push = ChannelAccount.objects.for_merchant(merchant).filter(kind="web_push").first()
    sent = build_history(
        campaign=campaign, orders=_orders(merchant, key), account=account, recent=RECENT, seed=f"insights-{key}",
        push_account=push, push_share=0.3,
    )  # fmt: skip
    rng = random.Random(f"opens-{key}")
    delivered = [m for m in sent if m.delivered_at is not None]
    opens = [
        ProviderEvent(
            provider="demo-esp",
            provider_event_id=f"open-{m.ref}",
            event_type="opened",
            occurred_at=m.delivered_at + dt.timedelta(hours=1),
            message_ref=m.ref,
        )
        for m in delivered
        if m.channel == "email" and rng.random() < 0.3
    ]
    recent = [m for m in delivered if m.sent_at > timezone.now() - dt.timedelta(hours=20)]
    complaints = [
        ProviderEvent(
            provider="demo-esp",
            provider_event_id=f"spam-{m.ref}",
            event_type="complained",
            occurred_at=timezone.now() - dt.timedelta(minutes=10 + i),
            message_ref=m.ref,
            detail="Marked as spam (demo)",
        )
        for i, m in enumerate(recent[:3])
    ]
    channels.record_provider_events(account=account, events=opens + complaints)
    trips = services.evaluate_breakers(merchant_id=merchant.pk)
    return f"{len(sent)} sent, {len(complaints)} complaints, {len(trips)} breaker trip(s)"


def load(ctx) -> None:
    for key in ("zh", "en"):
        ctx.write(f"insights ({key}): {_load_one(ctx, key)}")
