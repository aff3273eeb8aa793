"""Repeat-purchase broadcasts: a one-off marketing send to a segment of past buyers.

A broadcast is a campaign of purpose `broadcast` with a `Segment` (ship-to country of the last order, last
order date range, SKU bought, number of orders) and a local date and time: each buyer's message is due at
that time in the buyer's own time zone (else the merchant's), moved into the campaign's sending window
when that time falls in quiet hours. Everything else is the ordinary path: one `Message` per buyer
(the `dedupe_key` `broadcast:<campaign>:<identity>` is unique, so one person reached through two stores
gets one message and a second planning run adds nothing), and the dispatcher's checks: marketing consent,
suppression, frequency caps, window, budget and billing.

    segment_criteria(...) -> Criteria                 parse and check what a merchant typed
    preview_broadcast(*, merchant, criteria, steps, …) -> Preview   the dry run: counts per reason, a sample
    schedule_broadcast(*, merchant, user, name, criteria, steps, send_on, send_time, …) -> Campaign
    plan_broadcast(*, campaign, now) -> PlanResult    (the planner; once per campaign)
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import selectors as order_selectors
from orders.models import Order, Store

from . import rules
from .codes import Code
from .models import (
    COUNTED_STATUSES,
    Campaign,
    CampaignStatus,
    Channel,
    Message,
    MessageClass,
    MessageStatus,
    PlanStep,
    Purpose,
    Segment,
)
from .windows import next_opening, zone

CHUNK = 2000
SAMPLE_SIZE = 10
ELIGIBLE = "eligible"


@dataclass
class Criteria:
    stores: list = field(default_factory=list)  # Store rows; empty: every store of the merchant
    countries: list[str] = field(default_factory=list)
    last_order_from: dt.date | None = None
    last_order_to: dt.date | None = None
    skus: list[str] = field(default_factory=list)
    min_orders: int = 1


def segment_criteria(
    *, merchant, stores=(), countries=(), last_order_from=None, last_order_to=None, skus=(), min_orders=1
) -> Criteria:
    """Checked criteria; a ValidationError names the field that is wrong."""
    errors = {}
    stores = list(stores or [])
    if any(s.merchant_id != merchant.pk for s in stores):
        errors["stores"] = _("A store of another merchant cannot be used.")
    codes = [str(c).strip().upper() for c in countries or [] if str(c).strip()]
    if any(len(c) != 2 or not c.isalpha() for c in codes):
        errors["countries"] = _("Use two-letter country codes such as US, DE.")
    if last_order_from and last_order_to and last_order_from > last_order_to:
        errors["last_order_to"] = _("The end of the date range is before its start.")
    try:
        min_orders = 1 if min_orders is None else int(min_orders)
    except (TypeError, ValueError):
        min_orders = 0
    if not 1 <= min_orders <= 1000:
        errors["min_orders"] = _("Give a number of orders between 1 and 1000.")
    if errors:
        raise ValidationError(errors)
    return Criteria(
        stores=stores,
        countries=codes,
        last_order_from=last_order_from,
        last_order_to=last_order_to,
        skus=[str(s).strip() for s in skus or [] if str(s).strip()],
        min_orders=min_orders,
    )


def _store_ids(merchant, stores) -> list[int]:
    """The segment's stores; Amazon stores never (Amazon forbids marketing to its buyers)."""
    chosen = list(stores) or list(Store.objects.for_merchant(merchant))
    return [s.pk for s in chosen if not s.is_amazon]


def _day_start(day: dt.date | None, tz) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz) if day else None


def segment_buyers(merchant, criteria: Criteria):
    """The segment's buyers (dates are whole days in the merchant's time zone, both ends included)."""
    tz = zone(merchant.default_time_zone)
    return order_selectors.segment_buyers(
        merchant_id=merchant.pk,
        store_ids=_store_ids(merchant, criteria.stores),
        countries=criteria.countries,
        last_order_from=_day_start(criteria.last_order_from, tz),
        last_order_to=_day_start(criteria.last_order_to + dt.timedelta(days=1), tz) if criteria.last_order_to else None,
        skus=criteria.skus,
        min_orders=criteria.min_orders,
    )


def local_send_at(send_on: dt.date, send_time: dt.time, tz) -> dt.datetime:
    """The chosen wall-clock time in one buyer's zone, in UTC."""
    return dt.datetime.combine(send_on, send_time, tzinfo=tz).astimezone(dt.UTC)


def _chunks(buyers):
    last = 0
    while True:
        chunk = list(buyers.filter(pk__gt=last)[:CHUNK])
        if not chunk:
            return
        last = chunk[-1].pk
        orders = {
            o.pk: o
            for o in Order.objects.filter(pk__in=[b.last_order_id for b in chunk]).select_related("store", "buyer")
        }
        yield [(buyer, orders[buyer.last_order_id]) for buyer in chunk if buyer.last_order_id in orders]


# --- the dry run ---------------------------------------------------------------------------------------------


@dataclass
class Preview:
    total: int = 0
    eligible: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    sample: list[dict] = field(default_factory=list)

    def reasons(self) -> list[tuple[str, str, int]]:
        """(code, label, count), most frequent first."""
        from .codes import label

        return sorted(((c, label(c), n) for c, n in self.codes.items()), key=lambda r: (-r[2], r[0]))


def _capped_identities(merchant, identities, *, cap_messages: int, cap_days: int, now) -> set[str]:
    rows = (
        Message.objects.filter(
            merchant_id=merchant.pk,
            identity__in=list(identities),
            counted_at__gte=now - dt.timedelta(days=cap_days),
            status__in=COUNTED_STATUSES,
            transactional=False,
        )
        .values("identity")
        .annotate(n=Count("pk"))
        .filter(n__gte=cap_messages)
    )
    return {r["identity"] for r in rows}


def preview_broadcast(
    *,
    merchant,
    criteria: Criteria,
    steps: list[dict],
    send_on: dt.date | None = None,
    send_time: dt.time | None = None,
    cap_messages: int = 2,
    cap_days: int = 30,
    now: dt.datetime | None = None,
) -> Preview:
    """What a broadcast would do now: each segment buyer's outcome (eligible or the first reason not), and a
    sample of eligible buyers with their channel and local send time. Nothing is written."""
    from .dispatch import BatchFacts, usable_step

    now = now or timezone.now()
    campaign = Campaign(merchant=merchant, purpose=Purpose.BROADCAST, message_class=MessageClass.MARKETING)
    plan_steps = [
        PlanStep(
            merchant=merchant,
            country=(s.get("country") or "*").upper(),
            position=s.get("position", i),
            channel=s["channel"],
            account=s["account"],
            template_name=s.get("template_name", ""),
        )
        for i, s in enumerate(steps)
    ]
    preview = Preview()
    counts: Counter = Counter()
    seen: set[str] = set()
    templates: dict = {}
    for pairs in _chunks(segment_buyers(merchant, criteria)):
        facts = BatchFacts(merchant.pk, [order for _b, order in pairs])
        identities = {rules.identity_of(buyer, order) for buyer, order in pairs}
        capped = _capped_identities(merchant, identities, cap_messages=cap_messages, cap_days=cap_days, now=now)
        for buyer, order in pairs:
            preview.total += 1
            identity = rules.identity_of(buyer, order)
            if identity in seen:
                counts[Code.DUPLICATE_BUYER] += 1
                continue
            seen.add(identity)
            plan = rules.plan_for(plan_steps, order)
            if not plan:
                counts[Code.AMAZON_ONLY if order.store.is_amazon else Code.NO_CHANNEL_PLAN] += 1
                continue
            chosen, last_code = None, Code.NO_CHANNEL_PLAN
            for step in plan:
                code, _address, _version = usable_step(campaign, order, step, variant="", cache=templates, facts=facts)
                if code is None:
                    chosen = step
                    break
                last_code = code
            if chosen is None:
                counts[last_code] += 1
                continue
            if identity in capped:
                counts[Code.FREQUENCY_CAP] += 1
                continue
            preview.eligible += 1
            if len(preview.sample) < SAMPLE_SIZE:
                tz = zone(buyer.time_zone, merchant.default_time_zone)
                preview.sample.append(
                    {
                        "buyer_id": buyer.pk,
                        "name": buyer.name or buyer.email or buyer.phone,
                        "country": order.ship_country,
                        "orders": buyer.order_count,
                        "last_order_at": buyer.last_order_at,
                        "channel": chosen.channel,
                        "time_zone": str(tz),
                        "send_at": local_send_at(send_on, send_time, tz) if send_on and send_time else None,
                    }
                )
    preview.codes = dict(counts)
    return preview


# --- scheduling and planning --------------------------------------------------------------------------------


def schedule_broadcast(
    *,
    merchant,
    user,
    name: str,
    criteria: Criteria,
    steps: list[dict],
    send_on: dt.date,
    send_time: dt.time,
    data: dict | None = None,
    now: dt.datetime | None = None,
) -> Campaign:
    """Save the segment and an active broadcast campaign, then plan it (once; the beat would otherwise)."""
    from . import services
    from .planning import plan_campaign

    now = now or timezone.now()
    if send_on is None or send_time is None:
        raise ValidationError({"send_on": _("Choose the date and the local time of the send.")})
    today = now.astimezone(zone(merchant.default_time_zone)).date()
    if send_on < today:
        raise ValidationError({"send_on": _("The send date is in the past.")})
    if any(s["channel"] == Channel.AMAZON for s in steps):
        raise ValidationError({"plan": _("Amazon's buyers may not receive marketing messages.")})
    if not steps:
        raise ValidationError({"plan": _("Add at least one channel to the plan before activating the campaign.")})
    with transaction.atomic():
        segment = Segment.objects.create(
            merchant=merchant,
            name=name[:120],
            countries=criteria.countries,
            last_order_from=criteria.last_order_from,
            last_order_to=criteria.last_order_to,
            skus=criteria.skus,
            min_orders=criteria.min_orders,
        )
        segment.stores.set(criteria.stores)
        campaign = services.create_campaign(
            merchant=merchant,
            user=user,
            data={
                **(data or {}),
                "name": name,
                "purpose": Purpose.BROADCAST,
                "message_class": MessageClass.MARKETING,
                "segment": segment,
                "send_on": send_on,
                "send_time": send_time,
            },
            steps=steps,
        )
        services.set_campaign_status(campaign=campaign, status=CampaignStatus.ACTIVE, user=user)
    plan_campaign(campaign=Campaign.objects.select_related("merchant", "segment").get(pk=campaign.pk), now=now)
    return campaign


def plan_broadcast(*, campaign: Campaign, now: dt.datetime):
    """One outbox row per segment buyer, due at the chosen local time; a planned broadcast is not planned again."""
    from .planning import PlanResult, insert_rows

    result = PlanResult()
    if campaign.planned_at is not None or campaign.segment_id is None or not campaign.send_on or not campaign.send_time:
        return result
    segment = campaign.segment
    criteria = Criteria(
        stores=list(segment.stores.all()),
        countries=segment.countries or [],
        last_order_from=segment.last_order_from,
        last_order_to=segment.last_order_to,
        skus=segment.skus or [],
        min_orders=segment.min_orders,
    )
    steps = list(campaign.plan_steps.all())
    variants = list(campaign.variants.all())
    window = rules.window_of(campaign)
    seen: set[str] = set()
    for pairs in _chunks(segment_buyers(campaign.merchant, criteria)):
        rows = []
        for buyer, order in pairs:
            identity = rules.identity_of(buyer, order)
            if identity in seen:
                continue  # one person, several stores: the dedupe key would refuse the second row anyway
            seen.add(identity)
            tz = zone(buyer.time_zone, campaign.merchant.default_time_zone)
            due = max(now, local_send_at(campaign.send_on, campaign.send_time, tz))
            status, code, send_at, channel, account_id, variant = MessageStatus.PLANNED, "", due, "", None, ""
            assignment = rules.assign(campaign, order.pk, variants)
            plan = rules.plan_for(steps, order)
            if assignment.held_out:
                status, code = MessageStatus.HELD_OUT, Code.HELD_OUT
            elif not plan:
                status = MessageStatus.SKIPPED
                code = Code.AMAZON_ONLY if order.store.is_amazon else Code.NO_CHANNEL_PLAN
            else:
                channel, account_id, variant = plan[0].channel, plan[0].account_id, assignment.variant
                opening = next_opening(due, window=window, tz=tz, country=order.ship_country, channel=channel)
                send_at = opening or due
                code = Code.OUTSIDE_WINDOW if send_at > due else ""
            rows.append(
                Message(
                    merchant_id=campaign.merchant_id,
                    campaign=campaign,
                    order=order,
                    buyer_id=buyer.pk,
                    step=1,
                    status=status,
                    reason_code=code,
                    country=(order.ship_country or "")[:2].upper(),
                    identity=identity,
                    variant=variant,
                    channel=channel,
                    account_id=account_id,
                    send_at=send_at,
                    dedupe_key=f"broadcast:{campaign.pk}:{identity}",
                )
            )
            if status == MessageStatus.PLANNED:
                result.planned += 1
            elif status == MessageStatus.HELD_OUT:
                result.held_out += 1
            else:
                result.skipped += 1
                result.codes[code] = result.codes.get(code, 0) + 1
        insert_rows(rows)
    Campaign.objects.filter(pk=campaign.pk).update(planned_at=now, planned_until=now)
    return result
