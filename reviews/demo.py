"""Demo campaigns: active review-request campaigns for both demo merchants, so that with worker and beat
running (`bash scripts/run`) the orders delivered days ago become messages without anyone clicking.

- Chinese-speaking seller: one campaign over every store on the Outbox (US: email, then SMS; Amazon
  orders: Amazon's "Request a Review" through the outbox), marketing class, so buyers without consent
  show the `no_consent` code; a 5 % hold-out.
- English seller: the Shopify store through the local SMTP sink of `run_fake_providers` (when the fakes
  are configured), the CSV store and Amazon through the Outbox, utility class.

- Both: fulfilment notices (shipped, out for delivery, delivery problem, returned to sender) over every
  store, and for the English seller a repeat-purchase broadcast scheduled for tomorrow.

Buyers' side: due orders are planned (nothing is sent here); a few buyers answer the satisfaction question
(one unhappy, which opens a ticket), two raise problems on the help page and a few reviews come back (one by
ASIN only). Once the worker has sent emails, the next load adds opens and review-link clicks.

Idempotent: campaigns are found by name and left as they are (edits made in the demo survive); the buyers'
side runs once per merchant (while it has no ticket yet).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from channels.models import ChannelAccount
from orders.models import Order, Platform, Store

from . import services
from .models import (
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    ReviewSource,
    ServiceRecoveryTicket,
    TicketReason,
    TicketSource,
)


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
                  "reminder_days": 7, "satisfaction_check": True},
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
    _buyers_side(ctx)


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


HELP_TEXTS = {
    TicketReason.DAMAGED: "The box was crushed and one of the mugs arrived broken. Photo attached in my email.",
    TicketReason.WRONG_ITEM: "I ordered the blue one but received a grey one. Can I exchange it?",
}


def _buyers_side(ctx) -> None:
    """Tickets, answers and reviews once per merchant (while it has no ticket); clicks and opens on sent
    emails once the worker has sent some (while the merchant has no click yet). Planning runs here (it is
    idempotent); sending is left to the worker, so loading the demo sends nothing."""
    services.plan_due_messages()
    for merchant in ctx.merchants.values():
        _feedback(ctx, merchant)
        _clicks(ctx, merchant)


def _clicks(ctx, merchant) -> None:
    if Message.objects.for_merchant(merchant).filter(clicked_at__isnull=False).exists():
        return
    sent = list(
        Message.objects.for_merchant(merchant)
        .filter(step=1, status__in=[MessageStatus.SENT, MessageStatus.DELIVERED], channel="email")
        .order_by("pk")[:4]
    )
    for index, message in enumerate(sent):
        services.record_open(message_ref=message.ref)
        if index < 3:
            services.record_review_click(message_ref=message.ref)
    if sent:
        services.record_review_click(message_ref=sent[0].ref)  # a second click: counted, not re-stamped
        ctx.write(f"reviews ({merchant.name}): opens and review-link clicks on {len(sent)} sent emails")


def _feedback(ctx, merchant) -> None:
    if ServiceRecoveryTicket.objects.for_merchant(merchant).exists():
        return
    now = timezone.now()
    firsts = list(
        Message.objects.for_merchant(merchant)
        .filter(step=1, campaign__purpose="review_request")
        .exclude(status__in=[MessageStatus.HELD_OUT, MessageStatus.SKIPPED])
        .select_related("order", "order__store", "order__buyer", "campaign")
        .order_by("pk")[:8]
    )
    for message, answer in zip(firsts[:3], ["happy", "neutral", "unhappy"], strict=False):
        services.answer_satisfaction(order=message.order, message=message, answer=answer)
    delivered = list(
        Order.objects.for_merchant(merchant)
        .filter(delivered_at__isnull=False, delivered_at__lte=now - dt.timedelta(days=3))
        .exclude(store__platform=Platform.AMAZON)
        .select_related("store", "buyer")
        .order_by("-delivered_at")[:2]
    )
    for (reason, text), order in zip(HELP_TEXTS.items(), delivered, strict=False):
        services.open_ticket(
            order=order,
            message=next((m for m in firsts if m.order_id == order.pk), None),
            reason=reason,
            text=text,
            source=TicketSource.HELP_PAGE,
            language=(order.buyer.language if order.buyer else "") or order.store.default_language,
        )
    rows = [
        (line, {"order_id": m.order.external_id, "rating": 6 - line, "date": now.date().isoformat(),
                "title": "Does what it says"})
        for line, m in enumerate(firsts[5:7], start=1)
    ]  # fmt: skip
    asin = (
        Order.objects.for_merchant(merchant)
        .filter(store__platform=Platform.AMAZON)
        .exclude(items__product_id="")
        .values_list("items__product_id", flat=True)
        .first()
    )
    if asin:
        rows.append((len(rows) + 1, {"asin": asin, "rating": 4, "date": now.date().isoformat()}))
    report = services.import_reviews(merchant=merchant, rows=rows, source=ReviewSource.DEMO)
    ctx.write(
        f"reviews ({merchant.name}): {min(3, len(firsts))} satisfaction answers, {len(delivered)} help-page "
        f"tickets, {report.created} reviews received"
    )
