"""Reads of the reviews app: campaign pages, the send log, the order page, the dry run, privacy exports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from orders.models import Order, OrderEvent

from . import rules
from .codes import Code, label
from .dispatch import usable_step
from .models import COUNTED_STATUSES, EVENT_OF_PURPOSE, Campaign, Message, MessageStatus, Purpose
from .planning import campaign_store_ids, decide


def campaigns_of(merchant) -> QuerySet[Campaign]:
    return Campaign.objects.for_merchant(merchant).order_by("name", "pk")


def campaign_counts(campaign: Campaign) -> dict[str, int]:
    counts = dict(
        Message.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in MessageStatus.values}


def send_log(
    merchant,
    *,
    campaign: Campaign | None = None,
    status: str = "",
    code: str = "",
    channel: str = "",
    country: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Message]:
    rows = Message.objects.for_merchant(merchant).select_related("campaign", "order", "account")
    if campaign is not None:
        rows = rows.filter(campaign=campaign)
    if status:
        rows = rows.filter(status=status)
    if code:
        rows = rows.filter(reason_code=code)
    if channel:
        rows = rows.filter(channel=channel)
    if country:
        rows = rows.filter(country=country.upper())
    if date_from:
        rows = rows.filter(created_at__date__gte=date_from)
    if date_to:
        rows = rows.filter(created_at__date__lte=date_to)
    return rows.order_by("-created_at", "-pk")


def message_of(merchant, pk: int) -> Message | None:
    return (
        Message.objects.for_merchant(merchant)
        .select_related("campaign", "order", "account", "template_version__template")
        .prefetch_related("attempts")
        .filter(pk=pk)
        .first()
    )


def unknown_count(merchant) -> int:
    return Message.objects.for_merchant(merchant).filter(status=MessageStatus.UNKNOWN).count()


def messages_of_order(order) -> list[Message]:
    return list(
        Message.objects.filter(order_id=order.pk, merchant_id=order.merchant_id)
        .select_related("campaign", "account")
        .order_by("campaign__name", "step")
    )


def why_not(campaign: Campaign, order, *, now: dt.datetime | None = None) -> tuple[str, str]:
    """For an order without a message of this campaign: (code, label) saying why, from the rules."""
    now = now or timezone.now()
    if campaign.stores.exists() and not campaign.stores.filter(pk=order.store_id).exists():
        return Code.STORE_NOT_IN_CAMPAIGN, label(Code.STORE_NOT_IN_CAMPAIGN)
    if campaign.purpose == Purpose.BROADCAST:
        return Code.NOT_IN_SEGMENT, label(Code.NOT_IN_SEGMENT)
    code = rules.exclusion_of(campaign, order, items=list(order.items.all()))
    if code:
        return code, label(code)
    if campaign.purpose in EVENT_OF_PURPOSE:
        return Code.NO_RECENT_EVENT, label(Code.NO_RECENT_EVENT)
    if order.delivered_at is None:
        return Code.NOT_DELIVERED, label(Code.NOT_DELIVERED)
    if order.delivered_at < now - dt.timedelta(days=campaign.max_age_days):
        return Code.TOO_OLD, label(Code.TOO_OLD)
    return Code.NOT_DUE, label(Code.NOT_DUE)


def order_section(request, order) -> dict | None:
    """The order page's section: this order's messages, and why each active campaign has none."""
    messages = messages_of_order(order)
    with_message = {m.campaign_id for m in messages}
    missing = []
    for campaign in campaigns_of(order.merchant).exclude(status="draft").prefetch_related("stores"):
        if campaign.pk not in with_message:
            code, text = why_not(campaign, order)
            missing.append({"campaign": campaign, "code": code, "label": text})
    from .models import ReceivedReview, SatisfactionAnswer, ServiceRecoveryTicket

    tickets = list(
        ServiceRecoveryTicket.objects.filter(merchant_id=order.merchant_id, order_id=order.pk).order_by("-created_at")
    )
    reviews = list(ReceivedReview.objects.filter(merchant_id=order.merchant_id, order_id=order.pk))
    answer = SatisfactionAnswer.objects.filter(merchant_id=order.merchant_id, order_id=order.pk).first()
    return {"messages": messages, "missing": missing, "tickets": tickets, "reviews": reviews, "answer": answer}


def export_messages(buyer) -> dict:
    """The buyer's messages, for the privacy export."""
    rows = Message.objects.filter(buyer_id=buyer.pk).select_related("campaign").order_by("created_at", "pk")
    return {
        "messages": [
            {
                "message_ref": str(m.message_ref),
                "campaign": m.campaign.name,
                "step": m.step,
                "channel": m.channel,
                "status": m.status,
                "reason": m.reason_code,
                "send_at": m.send_at.isoformat() if m.send_at else None,
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                "delivered_at": m.delivered_at.isoformat() if m.delivered_at else None,
                "clicked_at": m.clicked_at.isoformat() if m.clicked_at else None,
            }
            for m in rows
        ]
    }


def shipping_countries(merchant) -> list[str]:
    """The countries the merchant's stores ship to (billing's allow-list follows it), from its orders."""
    from django.core.cache import cache

    key = f"reviews:shipping-countries:{merchant.pk}"
    found = cache.get(key)
    if found is None:
        found = sorted(
            c
            for c in Order.objects.filter(merchant_id=merchant.pk)
            .exclude(ship_country="")
            .values_list("ship_country", flat=True)
            .distinct()
            if c
        )
        cache.set(key, found, 300)
    return found


# --- dry run ----------------------------------------------------------------------------------------------


@dataclass
class DryRun:
    days: int
    evaluated: int = 0
    would_send: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    already: dict[str, int] = field(default_factory=dict)
    sample: list[dict] = field(default_factory=list)
    truncated: bool = False

    @property
    def reason_rows(self) -> list[tuple[str, str, int]]:
        return sorted(((c, label(c), n) for c, n in self.reasons.items()), key=lambda r: -r[2])


DRY_RUN_LIMIT = 5000
SAMPLE_SIZE = 25


def dry_run(campaign: Campaign, *, days: int = 7, now: dt.datetime | None = None) -> DryRun:
    """Who would get a message in the next `days` days, and why not the others. Sends and writes nothing."""
    now = now or timezone.now()
    result = DryRun(days=days)
    horizon = now + dt.timedelta(days=days)
    window = {
        "delivered_at__gte": now - dt.timedelta(days=campaign.max_age_days),
        "delivered_at__lte": horizon - dt.timedelta(days=campaign.delay_days),
    }
    if campaign.purpose in EVENT_OF_PURPOSE:  # a notice: the orders whose event arrived in the last `days` days
        window = {
            "pk__in": OrderEvent.objects.filter(
                merchant_id=campaign.merchant_id,
                type=EVENT_OF_PURPOSE[campaign.purpose],
                received_at__gte=now - dt.timedelta(days=days),
            ).values("order_id")
        }
    orders = (
        Order.objects.filter(merchant_id=campaign.merchant_id, store_id__in=campaign_store_ids(campaign), **window)
        .annotate(planned=Exists(Message.objects.filter(campaign_id=campaign.pk, order_id=OuterRef("pk"), step=1)))
        .select_related("store", "buyer")
        .prefetch_related("items")
        .order_by("delivered_at", "pk")
    )
    steps = list(campaign.plan_steps.select_related("account"))
    variants = list(campaign.variants.all())
    cache: dict = {}
    for order in orders[: DRY_RUN_LIMIT + 1]:
        if result.evaluated >= DRY_RUN_LIMIT:
            result.truncated = True
            break
        result.evaluated += 1
        if order.planned:
            result.already["planned"] = result.already.get("planned", 0) + 1
            continue
        decision = decide(campaign, order, steps=steps, variants=variants, now=now, items=list(order.items.all()))
        code, send_at, channel = decision.code, decision.send_at, decision.channel
        if decision.status == MessageStatus.PLANNED:
            code = ""
            plan = rules.plan_for(steps, order)
            misses = []
            for step in plan:
                miss, _address, _version = usable_step(campaign, order, step, variant=decision.variant, cache=cache)
                if miss is None:
                    channel = step.channel
                    break
                misses.append(miss)
            else:
                code = misses[-1] if misses else Code.NO_CHANNEL_PLAN
            if not code:
                identity = rules.identity_of(order.buyer, order)
                recent = Message.objects.filter(
                    merchant_id=campaign.merchant_id,
                    identity=identity,
                    status__in=COUNTED_STATUSES,
                    counted_at__gte=now - dt.timedelta(days=campaign.cap_days),
                ).count()
                if recent >= campaign.cap_messages:
                    code = Code.FREQUENCY_CAP
        if code:
            result.reasons[code] = result.reasons.get(code, 0) + 1
        else:
            result.would_send += 1
        if len(result.sample) < SAMPLE_SIZE:
            result.sample.append(
                {"order": order, "code": code, "label": label(code) if code else "", "send_at": send_at,
                 "channel": channel}
            )  # fmt: skip
    return result


def broadcasts_of(merchant) -> list[dict]:
    """The merchant's broadcasts with their segment and message counts, newest first."""
    campaigns = (
        Campaign.objects.for_merchant(merchant)
        .filter(purpose=Purpose.BROADCAST)
        .select_related("segment")
        .order_by("-created_at", "-id")
    )
    return [{"campaign": c, "counts": campaign_counts(c)} for c in campaigns]


def reason_choices() -> list[tuple[str, str]]:
    return list(Code.choices)


def has_waiting(merchant) -> bool:
    return Message.objects.for_merchant(merchant).filter(Q(status=MessageStatus.PLANNED)).exists()


# --- buyers' side: tickets, received reviews, the help page ----------------------------------------------


def tickets_of(merchant, *, status: str = "", reason: str = "", source: str = "") -> QuerySet:
    from .models import ServiceRecoveryTicket

    rows = ServiceRecoveryTicket.objects.for_merchant(merchant).select_related("order", "order__store")
    if status:
        rows = rows.filter(status=status)
    if reason:
        rows = rows.filter(reason=reason)
    if source:
        rows = rows.filter(source=source)
    return rows.order_by("-created_at", "-pk")


def ticket_counts(merchant) -> dict[str, int]:
    from .models import ServiceRecoveryTicket, TicketStatus

    counts = dict(ServiceRecoveryTicket.objects.for_merchant(merchant).values_list("status").annotate(n=Count("pk")))
    return {status: counts.get(status, 0) for status in TicketStatus.values}


def ticket_of(merchant, pk: int):
    from .models import ServiceRecoveryTicket

    return (
        ServiceRecoveryTicket.objects.for_merchant(merchant)
        .select_related("order", "order__store", "order__buyer", "message", "message__campaign")
        .filter(pk=pk)
        .first()
    )


def ticket_timeline(ticket) -> dict:
    """The order's timeline for the ticket page: its events, its messages, its other tickets, its reviews."""
    from orders import selectors as order_selectors

    from .models import ReceivedReview, SatisfactionAnswer, ServiceRecoveryTicket

    order = order_selectors.order_detail(ticket.merchant, ticket.order_id)
    return {
        "order": order,
        "events": list(order.events.all()) if order else [],
        "messages": messages_of_order(ticket.order),
        "entries": list(ticket.entries.select_related("author")),
        "other_tickets": list(
            ServiceRecoveryTicket.objects.filter(merchant_id=ticket.merchant_id, order_id=ticket.order_id)
            .exclude(pk=ticket.pk)
            .order_by("-created_at")
        ),
        "answer": SatisfactionAnswer.objects.filter(order_id=ticket.order_id).first(),
        "reviews": list(ReceivedReview.objects.filter(merchant_id=ticket.merchant_id, order_id=ticket.order_id)),
    }


def received_reviews_of(merchant) -> QuerySet:
    from .models import ReceivedReview

    return (
        ReceivedReview.objects.for_merchant(merchant)
        .select_related("order", "attributed_message", "attributed_message__campaign")
        .order_by("-reviewed_on", "-pk")
    )


def help_page_of(*, order_id: int, message_ref: str = ""):
    """(order, message) a help-page token names; (None, None) when the order no longer exists or the
    message is not the order's."""
    order = Order.objects.select_related("store", "buyer", "merchant").filter(pk=order_id).first()
    if order is None:
        return None, None
    message = None
    if message_ref:
        message = (
            Message.objects.filter(message_ref=message_ref, order_id=order.pk, merchant_id=order.merchant_id)
            .select_related("campaign")
            .first()
        )
        if message is None:
            return None, None
    return order, message
