"""Demo campaigns: active review-request campaigns for both demo merchants, so that with worker and beat
running (`bash scripts/run`) the orders delivered days ago become messages without anyone clicking.

- Chinese-speaking seller: one campaign over every store on the Outbox (US: email, then SMS; Amazon
  orders: Amazon's "Request a Review" through the outbox), marketing class, so buyers without consent
  show the `no_consent` code; a 5 % hold-out.
- English seller: the Shopify store through the local SMTP sink of `run_fake_providers` (when the fakes
  are configured), the CSV store and Amazon through the Outbox, utility class.

- Both: fulfilment notices (shipped, out for delivery, delivery problem, returned to sender) over every
  store, and for the English seller a repeat-purchase broadcast scheduled for tomorrow.

Idempotent: campaigns are found by name and left as they are (edits made in the demo survive).
"""

from __future__ import annotations

import datetime as dt

from channels.models import ChannelAccount
from orders.models import Platform, Store

from . import services
from .models import Campaign, CampaignStatus


def _account(merchant, name: str) -> ChannelAccount | None:
    return ChannelAccount.objects.for_merchant(merchant).filter(name=name).first()


def _campaign(merchant, name: str, *, data: dict, steps: list[dict], stores, user=None, variants=()) -> bool:
    if Campaign.objects.for_merchant(merchant).filter(name=name).exists():
        return False
    campaign = services.create_campaign(
        merchant=merchant,
        user=user,
        data={"name": name, **data},
        steps=steps,
        variants=list(variants),
        stores=list(stores),
    )
    services.set_campaign_status(campaign=campaign, status=CampaignStatus.ACTIVE)
    return True


def load(ctx) -> None:
    made = 0
    zh, en = ctx.merchants["zh"], ctx.merchants["en"]

    outbox = _account(zh, "Outbox")
    if outbox is not None:
        steps = [
            {"country": "US", "position": 0, "channel": "email", "account": outbox},
            {"country": "US", "position": 1, "channel": "sms", "account": outbox},
            {"country": "*", "position": 0, "channel": "email", "account": outbox},
            {"country": "*", "position": 1, "channel": "amazon", "account": outbox},
        ]
        made += _campaign(
            zh,
            "售后索评（全部店铺）",
            data={"message_class": "marketing", "delay_days": 5, "max_age_days": 45, "holdout_percent": 5,
                  "reminder_days": 7},
            steps=steps,
            stores=[],
            user=ctx.users.get("zh_owner"),
            variants=[{"name": "A", "weight": 1}, {"name": "B", "weight": 1}],
        )  # fmt: skip

    outbox = _account(en, "Outbox")
    smtp = _account(en, "Local SMTP (fake)")
    stores = {s.platform: s for s in Store.objects.for_merchant(en)}
    if outbox is not None:
        shopify = stores.get(Platform.SHOPIFY)
        if shopify is not None:
            made += _campaign(
                en,
                "Review request (Shopify, local SMTP)",
                data={"message_class": "utility", "delay_days": 5, "max_age_days": 45},
                steps=[{"country": "*", "position": 0, "channel": "email", "account": smtp or outbox}],
                stores=[shopify],
                user=ctx.users.get("en_owner"),
            )
        others = [s for p, s in stores.items() if p != Platform.SHOPIFY]
        made += _campaign(
            en,
            "Review request (CSV store and Amazon)",
            data={"message_class": "utility", "delay_days": 5, "max_age_days": 45},
            steps=[
                {"country": "*", "position": 0, "channel": "email", "account": outbox},
                {"country": "*", "position": 1, "channel": "amazon", "account": outbox},
            ],
            stores=others,
            user=ctx.users.get("en_owner"),
        )
    made += _notices(ctx, zh, en)
    made += _broadcast(ctx, en)
    ctx.write(f"reviews: {made} demo campaigns activated; beat plans them every minute, workers send")


NOTICES = (
    ("order_shipped", "Shipped notice", "发货通知"),
    ("out_for_delivery", "Out for delivery", "派送通知"),
    ("delivery_exception", "Delivery problem", "派送异常通知"),
    ("returned_to_sender", "Returned to sender", "退回通知"),
)


def _notices(ctx, zh, en) -> int:
    """Fulfilment notices for every store: the English seller's go to the local SMTP sink (when the fakes
    are configured), so the shipped and delivery-problem notices of the fake platforms' webhooks arrive there."""
    made = 0
    for merchant, key, account in (
        (en, "en", _account(en, "Local SMTP (fake)") or _account(en, "Outbox")),
        (zh, "zh", _account(zh, "Outbox")),
    ):
        if account is None:
            continue
        for purpose, english, chinese in NOTICES:
            made += _campaign(
                merchant,
                chinese if key == "zh" else english,
                data={"purpose": purpose, "cap_messages": 6, "cap_days": 14, "min_gap_hours": 0,
                      "window_start": dt.time(8, 0), "window_end": dt.time(21, 0)},
                steps=[{"country": "*", "position": 0, "channel": "email", "account": account}],
                stores=[],
                user=ctx.users.get(f"{key}_owner"),
            )  # fmt: skip
    return made


def _broadcast(ctx, en) -> int:
    """A repeat-purchase broadcast scheduled for tomorrow 10:00 in each buyer's zone: US and UK buyers who
    ordered in the last 90 days (the demo's buyers have one order each); only those who consented to email
    get it, the others show `no_consent` in the send log."""
    from django.utils import timezone

    from . import broadcasts

    name = "Repeat buyers: new arrivals"
    account = _account(en, "Outbox")
    if account is None or Campaign.objects.for_merchant(en).filter(name=name).exists():
        return 0
    broadcasts.schedule_broadcast(
        merchant=en,
        user=ctx.users.get("en_owner"),
        name=name,
        criteria=broadcasts.segment_criteria(
            merchant=en,
            countries=["US", "GB"],
            last_order_from=timezone.now().date() - dt.timedelta(days=90),
            min_orders=1,
        ),
        steps=[{"country": "*", "position": 0, "channel": "email", "account": account}],
        send_on=timezone.now().date() + dt.timedelta(days=1),
        send_time=dt.time(10, 0),
        data={"support_url": "https://shop.example.com/new"},
    )
    return 1
