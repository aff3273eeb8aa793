"""Plan: turn due orders into outbox rows (beat, every minute).

For each active campaign an indexed query reads the orders that became due since the last run (see
`orders.selectors.campaign_candidates`), and one `Message` per order is inserted with `ON CONFLICT DO
NOTHING` on the unique (campaign, order, step): two beats running at once plan nothing twice. Orders an
exclusion rules out get a `skipped` row carrying the code, held-out orders a `held_out` row, so the order
page can always say why. `send_at` is placed inside the buyer's window (deferred, never dropped).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.utils import timezone

from orders import selectors as order_selectors
from orders.models import Store

from . import rules
from .codes import Code
from .models import DELIVERY_PURPOSES, NOTICE_PURPOSES, Campaign, CampaignStatus, Message, MessageStatus, Purpose
from .windows import next_opening, zone

logger = logging.getLogger(__name__)

CURSOR_SLACK = dt.timedelta(minutes=10)  # re-read a little behind the cursor: clocks and slow commits
CHUNK = 2000


@dataclass
class PlanResult:
    planned: int = 0
    skipped: int = 0
    held_out: int = 0
    codes: dict[str, int] = field(default_factory=dict)

    def add(self, other: PlanResult) -> None:
        self.planned += other.planned
        self.skipped += other.skipped
        self.held_out += other.held_out
        for code, n in other.codes.items():
            self.codes[code] = self.codes.get(code, 0) + n


def campaign_store_ids(campaign: Campaign) -> list[int]:
    ids = [s.pk for s in campaign.stores.all()]
    if ids:
        return ids
    return list(Store.objects.for_merchant(campaign.merchant).values_list("pk", flat=True))


@dataclass
class Decision:
    """What planning (or the dry run) decides for one order."""

    status: str
    code: str = ""
    send_at: dt.datetime | None = None
    channel: str = ""
    account_id: int | None = None
    variant: str = ""
    estimated: bool = False


def decide(
    campaign: Campaign,
    order,
    *,
    steps,
    variants,
    now: dt.datetime,
    items=None,
    repeat: bool = False,
    estimated: bool = False,
) -> Decision:
    """The outcome for one due order: planned at a time inside the window, skipped with a code, or held out."""
    code = rules.exclusion_of(campaign, order, items=items, repeat=repeat)
    if code:
        return Decision(MessageStatus.SKIPPED, code)
    assignment = rules.assign(campaign, order.pk, variants)
    if assignment.held_out:
        return Decision(MessageStatus.HELD_OUT, Code.HELD_OUT)
    plan = rules.plan_for(steps, order)
    if not plan:
        return Decision(MessageStatus.SKIPPED, Code.NO_CHANNEL_PLAN if not order.store.is_amazon else Code.AMAZON_ONLY)
    first = plan[0]
    anchor = order.delivered_at
    if anchor is None and estimated and order.shipped_at and campaign.shipped_fallback_days is not None:
        anchor = order.shipped_at + dt.timedelta(days=campaign.shipped_fallback_days - campaign.delay_days)
    earliest = max(now, (anchor or now) + dt.timedelta(days=campaign.delay_days))
    if campaign.purpose not in DELIVERY_PURPOSES:
        earliest = now  # a fulfilment notice goes at once (inside the window); broadcasts plan themselves
    if order.store.is_amazon:
        window = rules.amazon_window(order)
        if window is None:
            return Decision(MessageStatus.SKIPPED, Code.AMAZON_NO_DATES)
        opens, closes = window
        if now >= closes:
            return Decision(MessageStatus.SKIPPED, Code.AMAZON_WINDOW_CLOSED)
        earliest = max(earliest, opens)
        return Decision(
            MessageStatus.PLANNED,
            Code.AMAZON_WINDOW_NOT_OPEN if earliest > now else "",
            earliest,
            first.channel,
            first.account_id,
            assignment.variant,
            estimated,
        )
    buyer = order.buyer
    tz = zone(buyer.time_zone if buyer else "", campaign.merchant.default_time_zone)
    send_at = next_opening(
        earliest, window=rules.window_of(campaign), tz=tz, country=order.ship_country, channel=first.channel
    )
    if send_at is None:
        send_at = earliest  # a window that never opens: dispatch reports it instead of dropping the order
    waiting = Code.OUTSIDE_WINDOW if send_at > earliest else ""
    return Decision(
        MessageStatus.PLANNED, waiting, send_at, first.channel, first.account_id, assignment.variant, estimated
    )


def _rows(campaign: Campaign, orders, *, steps, variants, now, estimated: bool) -> tuple[list[Message], PlanResult]:
    result = PlanResult()
    need_items = rules.needs_items(campaign)
    repeat_ids = (
        order_selectors.repeat_order_ids(merchant_id=campaign.merchant_id, orders=orders)
        if campaign.exclude_repeat_buyers
        else set()
    )
    rows = []
    for order in orders:
        items = list(order.items.all()) if need_items else None
        decision = decide(
            campaign,
            order,
            steps=steps,
            variants=variants,
            now=now,
            items=items,
            repeat=order.pk in repeat_ids,
            estimated=estimated,
        )
        rows.append(
            Message(
                merchant_id=campaign.merchant_id,
                campaign=campaign,
                order=order,
                buyer_id=order.buyer_id,
                step=1,
                status=decision.status,
                reason_code=decision.code,
                country=(order.ship_country or "")[:2].upper(),
                identity=rules.identity_of(order.buyer, order),
                variant=decision.variant,
                channel=decision.channel,
                account_id=decision.account_id,
                send_at=decision.send_at or now,
                estimated=decision.estimated,
            )
        )
        if decision.status == MessageStatus.PLANNED:
            result.planned += 1
        elif decision.status == MessageStatus.HELD_OUT:
            result.held_out += 1
        else:
            result.skipped += 1
            result.codes[decision.code] = result.codes.get(decision.code, 0) + 1
    return rows, result


def _insert(rows: list[Message]) -> None:
    """Idempotent insert: a row another beat (or an earlier run) already made is left alone."""
    Message.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


insert_rows = _insert  # for notices and broadcasts (the same ON CONFLICT DO NOTHING insert)


def plan_campaign(*, campaign: Campaign, now: dt.datetime | None = None) -> PlanResult:
    """Plan one campaign's newly due orders. Safe to run concurrently with itself."""
    now = now or timezone.now()
    result = PlanResult()
    if campaign.status != CampaignStatus.ACTIVE:
        return result
    if campaign.purpose in NOTICE_PURPOSES:
        from .notices import plan_notice_campaign

        return plan_notice_campaign(campaign=campaign, now=now)
    if campaign.purpose == Purpose.BROADCAST:
        from .broadcasts import plan_broadcast

        return plan_broadcast(campaign=campaign, now=now)
    steps = list(campaign.plan_steps.all())
    variants = list(campaign.variants.all())
    upper = now - dt.timedelta(days=campaign.delay_days)
    lower = now - dt.timedelta(days=campaign.max_age_days)
    store_ids = campaign_store_ids(campaign)
    has_cursor = campaign.planned_until is not None and campaign.planned_at is not None
    candidates = order_selectors.campaign_candidates(
        merchant_id=campaign.merchant_id,
        store_ids=store_ids,
        delivered_from=lower,
        delivered_to=upper,
        delivered_after=campaign.planned_until - CURSOR_SLACK if has_cursor else None,
        changed_since=campaign.planned_at - CURSOR_SLACK if has_cursor else None,
    )
    batches = [candidates]
    fallback_ids = [s.pk for s in campaign.fallback_stores.all()]
    if fallback_ids and campaign.shipped_fallback_days is not None:
        shipped_to = now - dt.timedelta(days=campaign.shipped_fallback_days)
        batches.append(
            order_selectors.shipped_candidates(
                merchant_id=campaign.merchant_id,
                store_ids=fallback_ids,
                shipped_from=lower - dt.timedelta(days=campaign.shipped_fallback_days),
                shipped_to=shipped_to,
            )
        )
    not_planned = ~Exists(Message.objects.filter(campaign_id=campaign.pk, order_id=OuterRef("pk"), step=1))
    for index, queryset in enumerate(batches):
        queryset = queryset.filter(not_planned).select_related("store", "buyer").order_by("pk")
        if rules.needs_items(campaign):
            queryset = queryset.prefetch_related("items")
        last = 0
        while True:
            chunk = list(queryset.filter(pk__gt=last)[:CHUNK])
            if not chunk:
                break
            last = chunk[-1].pk
            rows, part = _rows(campaign, chunk, steps=steps, variants=variants, now=now, estimated=index == 1)
            _insert(rows)
            result.add(part)
    Campaign.objects.filter(pk=campaign.pk).update(planned_until=upper, planned_at=now)
    return result


def plan_due_messages(*, now: dt.datetime | None = None) -> PlanResult:
    """The beat job: plan every active campaign."""
    now = now or timezone.now()
    total = PlanResult()
    for campaign in Campaign.objects.active().select_related("merchant").prefetch_related("stores", "fallback_stores"):
        try:
            total.add(plan_campaign(campaign=campaign, now=now))
        except Exception:  # one broken campaign must not keep the others from planning
            logger.exception("planning campaign %s failed", campaign.pk)
    return total


def plan_reminder(*, message: Message, sent_at: dt.datetime) -> None:
    """After a first message went out: the reminder row (if the campaign has one), idempotently."""
    plan_reminders(messages=[message], sent_at=sent_at)


def plan_reminders(*, messages: list[Message], sent_at: dt.datetime) -> None:
    """After first messages went out: their reminder rows (where the campaign has one) in one
    INSERT … ON CONFLICT DO NOTHING."""
    rows = [
        Message(
            merchant_id=message.merchant_id,
            campaign_id=message.campaign_id,
            order_id=message.order_id,
            buyer_id=message.buyer_id,
            step=2,
            status=MessageStatus.PLANNED,
            country=message.country,
            identity=message.identity,
            variant=message.variant,
            channel=message.channel,
            account_id=message.account_id,
            plan_index=0,
            send_at=sent_at + dt.timedelta(days=message.campaign.reminder_days),
            estimated=message.estimated,
        )
        for message in messages
        if message.campaign.reminder_days and message.step == 1
    ]
    if rows:
        _insert(rows)
