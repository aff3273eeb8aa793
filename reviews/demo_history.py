"""A month of past sends for one demo campaign, so the demo's reports, charts, A/B and hold-out results have
something to show without waiting a month (used by insights/demo.py; demo data only).

Orders get their hold-out group and variant from `rules.assign`, the same function planning uses; each
sent message is priced and billed through billing's services, like dispatch does. Outcomes are drawn from a
seeded random generator, so the demo is the same every time.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.utils import timezone

from billing import services as billing

from . import rules
from .codes import Code
from .models import BILLING_CHANNEL, Campaign, Message, MessageStatus

# Review-link click rate per variant (B is the better subject line in the story the demo tells).
CLICK_RATES = {"A": 0.07, "B": 0.12, "": 0.09}


def build_history(
    *, campaign: Campaign, orders: Sequence, account, days: int = 28, recent: int = 0, seed: str = "demo",
    push_account=None, push_share: float = 0.0,
) -> list[Message]:  # fmt: skip
    """One first-step message per order: held out, or sent over the last `days` days (the last `recent`
    orders within the last 24 hours). With a web push account, about `push_share` of the older messages went
    out as web push (the plan's first step), so the reports show push beside email. Returns the sent
    messages."""
    rng = random.Random(seed)
    now = timezone.now()
    variants = list(campaign.variants.all())
    rows, sent = [], []
    for index, order in enumerate(orders):
        assignment = rules.assign(campaign, order.pk, variants)
        if index >= len(orders) - recent:
            at = now - dt.timedelta(minutes=rng.randint(5, 23 * 60))
        else:
            at = now - dt.timedelta(days=rng.randint(1, days - 1), minutes=rng.randint(0, 1439))
        by_push = push_account is not None and index < len(orders) - recent and rng.random() < push_share
        message = Message(
            merchant_id=campaign.merchant_id,
            campaign=campaign,
            order=order,
            buyer_id=order.buyer_id,
            step=1,
            country=(order.ship_country or "").upper(),
            channel="web_push" if by_push else "email",
            account=push_account if by_push else account,
            send_at=at,
        )
        if assignment.held_out:
            message.status, message.reason_code = MessageStatus.HELD_OUT, Code.HELD_OUT
        else:
            message.variant = assignment.variant
            roll = rng.random()
            if roll < 0.02:
                message.status, message.reason_code = MessageStatus.FAILED, Code.PERMANENT_FAILURE
            else:
                message.sent_at = at
                if roll < 0.04:
                    message.status, message.reason_code = MessageStatus.FAILED, Code.BOUNCED
                else:
                    message.status, message.delivered_at = MessageStatus.DELIVERED, at + dt.timedelta(seconds=20)
                    if rng.random() < CLICK_RATES.get(message.variant, 0.09):
                        message.clicked_at = at + dt.timedelta(hours=rng.randint(1, 40))
                        if message.clicked_at > now:
                            message.clicked_at = now
        rows.append(message)
    Message.objects.bulk_create(rows, batch_size=500)
    for message in rows:
        if message.sent_at is None:
            continue
        auth = billing.authorize_send(
            merchant=campaign.merchant,
            message_ref=message.ref,
            channel=BILLING_CHANNEL[message.channel],
            country=message.country or "US",
            message_class=campaign.message_class,
            now=message.sent_at,
        )
        if auth.ok:
            billing.record_usage(message_ref=message.ref, sent=True, now=message.sent_at)
        sent.append(message)
    return sent
