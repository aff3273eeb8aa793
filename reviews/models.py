"""Tables owned by the reviews app (see ../shared/DESIGN.md); other apps use its services and selectors.

- `Campaign`: who to contact (stores, trigger, exclusions), how (`PlanStep`: channel plan per country),
  when (sending window, caps), and the experiment around it (`Variant`, hold-out, test mode).
- `Message`: the outbox. One row per (campaign, order, step), unique in the database; its UUID
  `message_ref` is the reference channels and billing key on. Statuses move only along
  `MESSAGE_TRANSITIONS`.
- `MessageAttempt`: one row per try at a provider (outcome, error code, latency).
- `SendingSwitch`: the global emergency stop (admin).
- `AccountRate`: the optional send rate of one channel account (a token bucket shared by all workers).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import MerchantOwned, MerchantScopedQuerySet

from .codes import Code


class Channel(models.TextChoices):
    """Campaign channels; the same values as channels.senders.Channel."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    AMAZON = "amazon", _("Amazon Request a Review")


# The names other apps use for the same channel.
TEMPLATE_CHANNEL = {"email": "email", "sms": "sms", "whatsapp": "whatsapp", "amazon": "amazon_solicitation"}
BILLING_CHANNEL = {"email": "email", "sms": "sms", "whatsapp": "whatsapp", "amazon": "amazon_solicitation"}


class Purpose(models.TextChoices):
    REVIEW_REQUEST = "review_request", _("Review request")
    DELIVERY_FOLLOWUP = "delivery_followup", _("Delivery follow-up")


class MessageClass(models.TextChoices):
    """As billing prices them; a marketing message needs the buyer's consent for the channel."""

    MARKETING = "marketing", _("Marketing")
    UTILITY = "utility", _("Utility")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")


CAMPAIGN_TRANSITIONS: dict[str, frozenset[str]] = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.ACTIVE, CampaignStatus.STOPPED}),
    CampaignStatus.ACTIVE: frozenset({CampaignStatus.PAUSED, CampaignStatus.STOPPED}),
    CampaignStatus.PAUSED: frozenset({CampaignStatus.ACTIVE, CampaignStatus.STOPPED}),
    CampaignStatus.STOPPED: frozenset(),
}


def default_send_days() -> list[int]:
    return [0, 1, 2, 3, 4, 5, 6]


class CampaignQuerySet(MerchantScopedQuerySet):
    def active(self):
        return self.filter(status=CampaignStatus.ACTIVE)


class Campaign(MerchantOwned):
    name = models.CharField(_("name"), max_length=120)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.REVIEW_REQUEST)
    message_class = models.CharField(
        _("message class"),
        max_length=12,
        choices=MessageClass.choices,
        default=MessageClass.MARKETING,
        help_text=_("Marketing messages go only to buyers who consented on the channel."),
    )
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    paused_reason = models.CharField(
        _("reason for pause"),
        max_length=300,
        blank=True,
        help_text=_("Set when a circuit breaker paused the campaign; cleared when a person changes its status."),
    )
    stores = models.ManyToManyField(
        "orders.Store", blank=True, related_name="+", verbose_name=_("stores"), help_text=_("Empty: every store.")
    )
    # trigger
    delay_days = models.PositiveSmallIntegerField(
        _("days after delivery"), default=5, validators=[MaxValueValidator(90)]
    )
    fallback_stores = models.ManyToManyField(
        "orders.Store",
        blank=True,
        related_name="+",
        verbose_name=_("stores without a delivery signal"),
        help_text=_("For these stores, orders count as delivered an estimated number of days after shipping."),
    )
    shipped_fallback_days = models.PositiveSmallIntegerField(
        _("days after shipping (estimated delivery)"), null=True, blank=True, validators=[MaxValueValidator(90)]
    )
    max_age_days = models.PositiveSmallIntegerField(
        _("never contact orders delivered more than this many days ago"),
        default=45,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder after (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Empty: no reminder. Skipped when the buyer clicked the review link or reviewed."),
    )
    review_url = models.URLField(
        _("review page address"),
        blank=True,
        help_text=_("Where the review link leads; {product_id} and {order_number} are filled in."),
    )
    support_url = models.URLField(_("support page address"), blank=True)
    # exclusions
    exclude_fulfillment = models.JSONField(_("exclude fulfilment channels"), default=list, blank=True)
    sku_include = models.JSONField(_("only these SKUs"), default=list, blank=True)
    sku_exclude = models.JSONField(_("never these SKUs"), default=list, blank=True)
    product_include = models.JSONField(_("only these product ids"), default=list, blank=True)
    product_exclude = models.JSONField(_("never these product ids"), default=list, blank=True)
    category_include = models.JSONField(_("only these categories"), default=list, blank=True)
    category_exclude = models.JSONField(_("never these categories"), default=list, blank=True)
    countries_include = models.JSONField(_("only these ship-to countries"), default=list, blank=True)
    countries_exclude = models.JSONField(_("never these ship-to countries"), default=list, blank=True)
    min_total = models.DecimalField(_("minimum order total"), max_digits=14, decimal_places=2, null=True, blank=True)
    exclude_repeat_buyers = models.BooleanField(_("skip repeat buyers"), default=False)
    # sending window, in the buyer's time zone
    window_start = models.TimeField(_("send from (buyer's local time)"), default=dt.time(9, 0))
    window_end = models.TimeField(_("send until (buyer's local time)"), default=dt.time(20, 0))
    send_days = models.JSONField(_("days of the week"), default=default_send_days, blank=True)
    # caps
    cap_messages = models.PositiveSmallIntegerField(
        _("at most this many messages per buyer"), default=2, validators=[MinValueValidator(1)]
    )
    cap_days = models.PositiveSmallIntegerField(
        _("… in this many days"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    min_gap_hours = models.PositiveSmallIntegerField(
        _("none within this many hours of the last message"), default=16, validators=[MaxValueValidator(24 * 30)]
    )
    daily_cap = models.PositiveIntegerField(_("daily send cap"), null=True, blank=True)
    # experiment
    holdout_percent = models.PositiveSmallIntegerField(
        _("hold-out (percent of orders that get no message)"), default=0, validators=[MaxValueValidator(50)]
    )
    test_mode = models.BooleanField(_("test mode"), default=False)
    test_recipients = models.JSONField(
        _("test recipients"), default=list, blank=True, help_text=_("In test mode only these addresses are contacted.")
    )
    # planning bookkeeping
    planned_until = models.DateTimeField(null=True, blank=True, editable=False)
    planned_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="campaign_unique_name")]
        indexes = [models.Index(fields=["status"], name="campaign_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == CampaignStatus.ACTIVE


class PlanStep(MerchantOwned):
    """One channel of a campaign's plan for a destination country ('*': every other country)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="plan_steps")
    country = models.CharField(_("ship-to country"), max_length=2, default="*")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    account = models.ForeignKey(
        "channels.ChannelAccount", on_delete=models.CASCADE, related_name="+", verbose_name=_("channel account")
    )
    template_name = models.CharField(
        _("template"),
        max_length=120,
        blank=True,
        help_text=_("Empty: the latest approved template of the campaign's purpose for the channel."),
    )

    class Meta:
        verbose_name = _("channel plan step")
        verbose_name_plural = _("channel plan")
        ordering = ["campaign", "country", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "country", "position"], name="planstep_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.country} #{self.position + 1}: {self.get_channel_display()}"


class Variant(MerchantOwned):
    """An A/B variant: a share of the orders gets this template family instead of the plan's."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(_("name"), max_length=40)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1, validators=[MinValueValidator(1)])
    template_name = models.CharField(_("template"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["campaign", "name"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="variant_unique_name")]

    def __str__(self) -> str:
        return self.name


class MessageStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")
    HELD_OUT = "held_out", _("Held out")
    UNKNOWN = "unknown", _("Unknown (never resent)")


# The only moves a message makes. `sending -> planned` is a deferral, a retry or a fallback to the next
# channel; `unknown -> sent/delivered` happens when a provider's event proves the lost send went out.
MESSAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    MessageStatus.PLANNED: frozenset({MessageStatus.SENDING, MessageStatus.SKIPPED, MessageStatus.HELD_OUT}),
    MessageStatus.SENDING: frozenset(
        {
            MessageStatus.PLANNED,
            MessageStatus.SENT,
            MessageStatus.FAILED,
            MessageStatus.SKIPPED,
            MessageStatus.UNKNOWN,
        }
    ),
    MessageStatus.SENT: frozenset({MessageStatus.DELIVERED, MessageStatus.FAILED}),
    MessageStatus.UNKNOWN: frozenset({MessageStatus.SENT, MessageStatus.DELIVERED}),
    MessageStatus.DELIVERED: frozenset(),
    MessageStatus.FAILED: frozenset(),
    MessageStatus.SKIPPED: frozenset(),
    MessageStatus.HELD_OUT: frozenset(),
}
# Messages that count against a buyer's frequency cap (once they passed the cap check).
COUNTED_STATUSES = (MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.UNKNOWN)


def move_allowed(current: str, target: str) -> bool:
    return target in MESSAGE_TRANSITIONS.get(current, frozenset())


class MessageQuerySet(MerchantScopedQuerySet):
    def due(self, now):
        return self.filter(status=MessageStatus.PLANNED, send_at__lte=now)


class Message(MerchantOwned):
    # indexed by the unique (campaign, order, step) and (campaign, status): no separate index
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="messages", db_index=False)
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    buyer = models.ForeignKey("orders.Buyer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    step = models.PositiveSmallIntegerField(_("step"), default=1, help_text=_("1: first message, 2: reminder"))
    message_ref = models.UUIDField(_("message reference"), default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PLANNED)
    reason_code = models.CharField(_("reason"), max_length=40, blank=True, choices=Code.choices)
    reason_detail = models.CharField(_("detail"), max_length=300, blank=True)
    country = models.CharField(_("ship-to country"), max_length=2, blank=True)
    identity = models.CharField(max_length=80, blank=True, help_text="the buyer's identity hash (frequency caps)")
    variant = models.CharField(_("variant"), max_length=40, blank=True)
    plan_index = models.PositiveSmallIntegerField(default=0)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    account = models.ForeignKey(
        "channels.ChannelAccount", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    template_version = models.ForeignKey(
        "templates_review.TemplateVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    send_at = models.DateTimeField(_("send at"))
    estimated = models.BooleanField(
        _("estimated delivery"), default=False, help_text=_("Planned from the shipping date, not a delivery signal.")
    )
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    counted_at = models.DateTimeField(null=True, blank=True, help_text="when it passed the frequency cap")
    provider_message_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    cost = models.DecimalField(_("cost"), max_digits=18, decimal_places=6, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("review link clicked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "order", "step"], name="message_unique_campaign_order_step")
        ]
        indexes = [
            # Dispatch: the due planned messages, oldest first; small because sent rows leave it.
            models.Index(fields=["send_at", "id"], name="message_due", condition=Q(status="planned")),
            # Lease expiry: claimed messages whose worker went silent.
            models.Index(fields=["lease_until"], name="message_leased", condition=Q(status="sending")),
            # Frequency caps: one buyer identity's recent counted messages across campaigns.
            models.Index(
                fields=["merchant", "identity", "counted_at"],
                name="message_identity_counted",
                condition=Q(counted_at__isnull=False),
            ),
            models.Index(fields=["merchant", "-created_at"], name="message_merchant_recent"),
            models.Index(fields=["campaign", "status"], name="message_campaign_status"),
            # A campaign's daily cap: its messages counted today.
            models.Index(
                fields=["campaign", "counted_at"],
                name="message_campaign_counted",
                condition=Q(counted_at__isnull=False),
            ),
            # Circuit breakers (insights): one channel account's sends in a rolling window.
            models.Index(
                fields=["account", "sent_at"],
                name="message_account_sent",
                condition=Q(sent_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_ref} ({self.status})"

    @property
    def ref(self) -> str:
        return str(self.message_ref)


class MessageAttempt(MerchantOwned):
    """One try at a provider: what it answered and how long it took."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("attempt"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    account = models.ForeignKey(
        "channels.ChannelAccount", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=20)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), default=0)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["message", "number"]
        constraints = [models.UniqueConstraint(fields=["message", "number"], name="attempt_unique_number")]

    def __str__(self) -> str:
        return f"{self.message_id} #{self.number}: {self.outcome}"


class SendingSwitch(models.Model):
    """The global emergency stop: one row; while `stopped`, no worker sends anything for anyone."""

    stopped = models.BooleanField(_("stop all sending"), default=False)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("global emergency stop")
        verbose_name_plural = _("global emergency stop")

    def __str__(self) -> str:
        return str(_("Sending stopped") if self.stopped else _("Sending allowed"))


class AccountRate(MerchantOwned):
    """How fast one channel account may send, shared by every worker (token bucket in Redis)."""

    account = models.OneToOneField(
        "channels.ChannelAccount", on_delete=models.CASCADE, related_name="+", verbose_name=_("channel account")
    )
    per_minute = models.PositiveIntegerField(_("messages per minute"), validators=[MinValueValidator(1)])
    burst = models.PositiveIntegerField(_("burst"), default=10, validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("send rate")
        verbose_name_plural = _("send rates")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.per_minute}/min"
