"""Writes of the reviews app: campaigns and their status, the global stop, planning and dispatch, and what
providers and privacy requests tell us about messages.

    create_campaign(*, merchant, user, data, steps, variants) -> Campaign
    update_campaign(*, campaign, data, steps, variants) -> Campaign
    set_campaign_status(*, campaign, status, user=None) -> Campaign
    pause_campaigns_of_account(*, merchant_id, account_id, reason) -> list[int]   (circuit breakers)
    set_global_stop(*, stopped, reason="", user=None) -> SendingSwitch
    plan_due_messages(*, now=None) -> PlanResult          (reviews.planning)
    dispatch_batch(...) / dispatch_due(...) -> BatchResult  (reviews.dispatch)
    expire_leases(*, now=None) -> int
    record_review_click(*, message_ref) -> Message | None   (reviews.recovery, with the buyers' side)
    open_ticket / answer_satisfaction / set_ticket_status / add_ticket_note / reply_to_buyer  (reviews.recovery)
    import_reviews(*, merchant, rows, source) -> ImportReport  (reviews.received)
    on_delivery_event(**event)                             (channels' delivery listener)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import services as billing

from .codes import Code
from .dispatch import dispatch_batch, dispatch_due, expire_leases  # noqa: F401  (re-exported)
from .models import (
    CAMPAIGN_TRANSITIONS,
    DELIVERY_PURPOSES,
    NOTICE_PURPOSES,
    PUSH_CHANNELS,
    Campaign,
    CampaignStatus,
    Message,
    MessageClass,
    MessageStatus,
    PlanStep,
    Purpose,
    SendingSwitch,
    Variant,
)
from .planning import plan_campaign, plan_due_messages  # noqa: F401  (re-exported)
from .received import import_reviews  # noqa: F401  (re-exported)
from .recovery import (  # noqa: F401  (re-exported)
    add_ticket_note,
    answer_satisfaction,
    open_ticket,
    record_open,
    record_review_click,
    reply_to_buyer,
    set_ticket_status,
)

CAMPAIGN_FIELDS = [
    "name", "purpose", "message_class", "delay_days", "shipped_fallback_days", "max_age_days", "reminder_days",
    "review_url", "support_url", "exclude_fulfillment", "sku_include", "sku_exclude", "product_include",
    "product_exclude", "category_include", "category_exclude", "countries_include", "countries_exclude",
    "min_total", "exclude_repeat_buyers", "window_start", "window_end", "send_days", "cap_messages", "cap_days",
    "min_gap_hours", "daily_cap", "holdout_percent", "test_mode", "test_recipients", "send_on", "send_time",
    "satisfaction_check", "track_opens", "attribution_days",
]  # fmt: skip
# Set only by the broadcast service (a segment is made with its broadcast).
INTERNAL_FIELDS = ["segment"]


def _fit_purpose(campaign: Campaign, steps: Sequence[dict] | None) -> None:
    """What a purpose implies: notices are transactional, go at once and have no reminder; a broadcast is
    marketing with a segment; neither ever goes through Amazon (review requests only, never marketing)."""
    if campaign.purpose in NOTICE_PURPOSES:
        campaign.message_class = MessageClass.TRANSACTIONAL
        campaign.delay_days = 0
        campaign.reminder_days = None
    elif campaign.purpose == Purpose.BROADCAST:
        campaign.message_class = MessageClass.MARKETING
        campaign.reminder_days = None
        if campaign.segment_id is None:
            raise ValidationError({"purpose": _("A broadcast is created from the broadcast page, with its segment.")})
    elif campaign.message_class == MessageClass.TRANSACTIONAL:
        raise ValidationError({"message_class": _("Only fulfilment notices are transactional.")})
    if campaign.purpose not in DELIVERY_PURPOSES and any(s["channel"] == "amazon" for s in steps or []):
        raise ValidationError({"plan": _("Amazon's messaging is used for review requests only.")})


def _validate_steps(merchant, steps: Sequence[dict]) -> None:
    from channels.models import ChannelAccount

    seen = set()
    for step in steps:
        account = step["account"]
        if not isinstance(account, ChannelAccount) or account.merchant_id != merchant.pk:
            raise ValidationError({"plan": _("A channel account of another merchant cannot be used.")})
        if step["channel"] in PUSH_CHANNELS:
            # an app push step needs an FCM account, a web push step a VAPID (web push) account
            wrong = account.kind != PUSH_CHANNELS[step["channel"]]
        else:
            wrong = account.kind != "outbox" and account.channel != step["channel"]
        if wrong:
            raise ValidationError(
                {"plan": _("%(account)s cannot send %(channel)s.") % {"account": account, "channel": step["channel"]}}
            )
        key = (step["country"], step["position"])
        if key in seen:
            raise ValidationError({"plan": _("Two steps share a position in the same country's plan.")})
        seen.add(key)


def _validate_names(campaign: Campaign, variants: Sequence[dict] | None) -> None:
    """The unique constraints, checked first so a clash is a form error and not a database error."""
    taken = Campaign.objects.filter(merchant_id=campaign.merchant_id, name=campaign.name).exclude(pk=campaign.pk)
    if taken.exists():
        raise ValidationError({"name": _("Another campaign already has this name.")})
    names = [v["name"] for v in variants or ()]
    if len(names) != len(set(names)):
        raise ValidationError({"variants": _("Two variants share a name.")})


def _write_children(campaign: Campaign, steps: Sequence[dict], variants: Sequence[dict]) -> None:
    campaign.plan_steps.all().delete()
    PlanStep.objects.bulk_create(
        [
            PlanStep(
                merchant_id=campaign.merchant_id,
                campaign=campaign,
                country=(s.get("country") or "*").upper(),
                position=s["position"],
                channel=s["channel"],
                account=s["account"],
                template_name=s.get("template_name", ""),
            )
            for s in steps
        ]
    )
    campaign.variants.all().delete()
    Variant.objects.bulk_create(
        [
            Variant(
                merchant_id=campaign.merchant_id,
                campaign=campaign,
                name=v["name"],
                weight=v.get("weight") or 1,
                template_name=v.get("template_name", ""),
            )
            for v in variants
        ]
    )


@transaction.atomic
def create_campaign(
    *, merchant, user, data: dict, steps: Sequence[dict] = (), variants: Sequence[dict] = (), stores=(),
    fallback_stores=(),
) -> Campaign:  # fmt: skip
    """A new campaign (draft) with its channel plan and variants."""
    steps = [{**s, "country": (s.get("country") or "*").upper()} for s in steps]
    _validate_steps(merchant, steps)
    fields = [*CAMPAIGN_FIELDS, *INTERNAL_FIELDS]
    campaign = Campaign(merchant=merchant, created_by=user, **{k: v for k, v in data.items() if k in fields})
    _fit_purpose(campaign, steps)
    campaign.full_clean(exclude=["merchant"])
    _validate_names(campaign, variants)
    campaign.save()
    campaign.stores.set([s for s in stores if s.merchant_id == merchant.pk])
    campaign.fallback_stores.set([s for s in fallback_stores if s.merchant_id == merchant.pk])
    _write_children(campaign, steps, variants)
    return campaign


@transaction.atomic
def update_campaign(
    *, campaign: Campaign, data: dict, steps: Sequence[dict] | None = None, variants: Sequence[dict] | None = None,
    stores=None, fallback_stores=None,
) -> Campaign:  # fmt: skip
    """Save edits. The planning cursor is reset, so orders the new rules let in are planned at the next run."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    for key, value in data.items():
        if key in CAMPAIGN_FIELDS:
            setattr(campaign, key, value)
    if campaign.purpose != Purpose.BROADCAST:  # a broadcast is planned once, never again
        campaign.planned_until = campaign.planned_at = None
    _fit_purpose(campaign, steps if steps is not None else campaign.plan_steps.values("channel"))
    campaign.full_clean(exclude=["merchant"])
    _validate_names(campaign, variants)
    campaign.save()
    if stores is not None:
        campaign.stores.set([s for s in stores if s.merchant_id == campaign.merchant_id])
    if fallback_stores is not None:
        campaign.fallback_stores.set([s for s in fallback_stores if s.merchant_id == campaign.merchant_id])
    if steps is not None or variants is not None:
        steps = [{**s, "country": (s.get("country") or "*").upper()} for s in (steps or [])]
        _validate_steps(campaign.merchant, steps)
        _write_children(
            campaign,
            steps if steps is not None else [],
            variants if variants is not None else list(campaign.variants.values("name", "weight", "template_name")),
        )
    return campaign


def set_campaign_status(*, campaign: Campaign, status: str, user=None) -> Campaign:
    """Activate, pause, resume or stop. Stopping skips every planned message of the campaign at once."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if status not in CAMPAIGN_TRANSITIONS.get(campaign.status, frozenset()):
            raise ValidationError(
                _("A %(current)s campaign cannot become %(target)s.")
                % {"current": campaign.get_status_display(), "target": CampaignStatus(status).label}
            )
        if status == CampaignStatus.ACTIVE and not campaign.plan_steps.exists():
            raise ValidationError(_("Add at least one channel to the plan before activating the campaign."))
        now = timezone.now()
        campaign.status = status
        campaign.status_changed_at = now
        campaign.paused_reason = ""  # a person decided: a breaker's reason no longer explains the status
        campaign.save(update_fields=["status", "status_changed_at", "paused_reason", "updated_at"])
        if status == CampaignStatus.STOPPED:
            Message.objects.filter(campaign=campaign, status=MessageStatus.PLANNED).update(
                status=MessageStatus.SKIPPED, reason_code=Code.CAMPAIGN_STOPPED, updated_at=now
            )
    return campaign


def pause_campaigns_of_account(*, merchant_id: int, account_id: int, reason: str) -> list[int]:
    """A circuit breaker tripped on a channel account: pause the merchant's active campaigns whose plan uses
    it, with the reason shown on the campaign. Only a person resumes them (set_campaign_status)."""
    with transaction.atomic():
        ids = list(
            Campaign.objects.select_for_update()
            .filter(
                merchant_id=merchant_id,
                status=CampaignStatus.ACTIVE,
                pk__in=PlanStep.objects.filter(account_id=account_id).values("campaign_id"),
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        now = timezone.now()
        Campaign.objects.filter(pk__in=ids).update(
            status=CampaignStatus.PAUSED, status_changed_at=now, paused_reason=reason[:300], updated_at=now
        )
    return ids


def set_global_stop(*, stopped: bool, reason: str = "", user=None) -> SendingSwitch:
    """The emergency stop for every merchant (admin). Workers read it before each chunk they send."""
    switch = SendingSwitch.objects.order_by("pk").first() or SendingSwitch()
    switch.stopped = stopped
    switch.reason = reason[:300]
    switch.changed_at = timezone.now()
    switch.changed_by = user
    switch.save()
    return switch


def on_delivery_event(
    *, merchant_id: int, message_ref: str, event_type: str, occurred_at: dt.datetime, provider_event_id: str = "",
    detail: str = "",
) -> None:  # fmt: skip
    """channels' listener: a provider's news about one of our messages moves its status forward."""
    try:
        uuid.UUID(str(message_ref))
    except ValueError:
        return  # not one of ours (a provider echoes whatever metadata a sender set): nothing to move
    rows = Message.objects.filter(merchant_id=merchant_id, message_ref=message_ref)
    now = timezone.now()
    if event_type in ("sent", "delivered"):
        with transaction.atomic():
            # an `unknown` message the provider proves was sent is billed now (its reservation is still held)
            proven = rows.filter(status=MessageStatus.UNKNOWN).update(
                status=MessageStatus.DELIVERED if event_type == "delivered" else MessageStatus.SENT,
                sent_at=occurred_at,
                delivered_at=occurred_at if event_type == "delivered" else None,
                updated_at=now,
            )
            if proven:
                with contextlib.suppress(billing.ReservationNotFound):
                    billing.record_usage(message_ref=message_ref, sent=True)
        if event_type == "delivered":
            rows.filter(status=MessageStatus.SENT).update(
                status=MessageStatus.DELIVERED, delivered_at=occurred_at, updated_at=now
            )
    elif event_type in ("bounced", "failed"):
        rows.filter(status__in=[MessageStatus.SENT]).update(
            status=MessageStatus.FAILED, reason_code=Code.BOUNCED, reason_detail=detail[:300], updated_at=now
        )


def stop_messages_of_buyer(buyer) -> int:
    """Erasure: the buyer's waiting messages are skipped before their data is blanked."""
    return Message.objects.filter(buyer_id=buyer.pk, status=MessageStatus.PLANNED).update(
        status=MessageStatus.SKIPPED, reason_code=Code.BUYER_ERASED, updated_at=timezone.now()
    )
