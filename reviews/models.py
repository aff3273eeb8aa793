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
    PUSH = "push", _("App push")
    WEB_PUSH = "web_push", _("Web push")


# Push steps reach the buyer's registered device (orders.PushSubscription of this kind), not an address.
PUSH_CHANNELS = {"push": "fcm", "web_push": "web_push"}

# The names other apps use for the same channel.
TEMPLATE_CHANNEL = {
    "email": "email",
    "sms": "sms",
    "whatsapp": "whatsapp",
    "amazon": "amazon_solicitation",
    "push": "push",
    "web_push": "push",
}
BILLING_CHANNEL = {
    "email": "email",
    "sms": "sms",
    "whatsapp": "whatsapp",
    "amazon": "amazon_solicitation",
    "push": "push",
    "web_push": "push",
}


class Purpose(models.TextChoices):
    REVIEW_REQUEST = "review_request", _("Review request")
    DELIVERY_FOLLOWUP = "delivery_followup", _("Delivery follow-up")
    # Fulfilment notices: sent at once (inside the window) when the order event of the same kind arrives.
    ORDER_SHIPPED = "order_shipped", _("Shipped notice")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out-for-delivery notice")
    DELIVERY_EXCEPTION = "delivery_exception", _("Delivery problem notice")
    RETURNED_TO_SENDER = "returned_to_sender", _("Returned-to-sender notice")
    # A one-off marketing send to a segment of past buyers, at a local time in each buyer's time zone.
    BROADCAST = "broadcast", _("Repeat-purchase broadcast")


# The order event (orders.OrderEvent.Type) that triggers each fulfilment notice.
EVENT_OF_PURPOSE = {
    Purpose.ORDER_SHIPPED: "shipped",
    Purpose.OUT_FOR_DELIVERY: "out_for_delivery",
    Purpose.DELIVERY_EXCEPTION: "delivery_exception",
    Purpose.RETURNED_TO_SENDER: "returned_to_sender",
}
PURPOSE_OF_EVENT = {event: purpose for purpose, event in EVENT_OF_PURPOSE.items()}
NOTICE_PURPOSES = frozenset(EVENT_OF_PURPOSE)
# Purposes planned from "delivered + N days" (the original review-request trigger).
DELIVERY_PURPOSES = frozenset({Purpose.REVIEW_REQUEST, Purpose.DELIVERY_FOLLOWUP})


class MessageClass(models.TextChoices):
    """As billing prices them; a marketing message needs the buyer's consent for the channel."""

    MARKETING = "marketing", _("Marketing")
    UTILITY = "utility", _("Utility")
    TRANSACTIONAL = "transactional", _("Transactional")


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


class Segment(MerchantOwned):
    """Who a repeat-purchase broadcast reaches: past buyers by ship-to country, last order date, SKU bought
    and number of orders (see `orders.selectors.segment_buyers`)."""

    name = models.CharField(_("name"), max_length=120)
    stores = models.ManyToManyField("orders.Store", blank=True, related_name="+", verbose_name=_("stores"))
    countries = models.JSONField(_("ship-to countries"), default=list, blank=True)
    last_order_from = models.DateField(_("last order on or after"), null=True, blank=True)
    last_order_to = models.DateField(_("last order on or before"), null=True, blank=True)
    skus = models.JSONField(_("bought one of these SKUs"), default=list, blank=True)
    min_orders = models.PositiveSmallIntegerField(
        _("at least this many orders"), default=1, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class CampaignQuerySet(MerchantScopedQuerySet):
    def active(self):
        return self.filter(status=CampaignStatus.ACTIVE)


class Campaign(MerchantOwned):
    name = models.CharField(_("name"), max_length=120)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.REVIEW_REQUEST)
    message_class = models.CharField(
        _("message class"),
        max_length=16,
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
    support_url = models.URLField(
        _("support page address"),
        blank=True,
        help_text=_("Empty: the support link opens Linkstar's help page, whose form opens a ticket for you."),
    )
    satisfaction_check = models.BooleanField(
        _("ask every buyer one satisfaction question on the help page"),
        default=False,
        help_text=_("Never changes who is invited to review or when; an unhappy answer opens a ticket."),
    )
    track_opens = models.BooleanField(
        _("track email opens"),
        default=True,
        help_text=_("Adds an open pixel to HTML emails; never for Amazon orders or Amazon-profile templates."),
    )
    attribution_days = models.PositiveSmallIntegerField(
        _("attribute a review to a request sent up to this many days before"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
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
    # repeat-purchase broadcast: the segment and the buyers' local date and time of the one-off send
    segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns", verbose_name=_("segment")
    )
    send_on = models.DateField(_("send on (buyer's local date)"), null=True, blank=True)
    send_time = models.TimeField(_("at (buyer's local time)"), null=True, blank=True)
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

    @property
    def is_notice(self) -> bool:
        return self.purpose in NOTICE_PURPOSES

    @property
    def is_broadcast(self) -> bool:
        return self.purpose == Purpose.BROADCAST


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
    transactional = models.BooleanField(
        default=False, help_text="order status news: capped among transactional messages only"
    )
    dedupe_key = models.CharField(
        max_length=120,
        blank=True,
        help_text="unique per merchant when set: one notice per order and event type, one broadcast per buyer",
    )
    provider_message_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    cost = models.DecimalField(_("cost"), max_digits=18, decimal_places=6, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("review link clicked at"), null=True, blank=True)
    click_count = models.PositiveIntegerField(_("review link clicks"), default=0)
    opened_at = models.DateTimeField(_("first opened at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "order", "step"], name="message_unique_campaign_order_step"),
            models.UniqueConstraint(
                fields=["merchant", "dedupe_key"], condition=~Q(dedupe_key=""), name="message_unique_dedupe_key"
            ),
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


# --- buyers' side: satisfaction answers, service-recovery tickets, reviews received ------------------------


class Satisfaction(models.TextChoices):
    HAPPY = "happy", _("Happy")
    NEUTRAL = "neutral", _("Neutral")
    UNHAPPY = "unhappy", _("Unhappy")


class SatisfactionAnswer(MerchantOwned):
    """A buyer's answer to the optional one-question check. Never read by planning or dispatch: it opens a
    ticket when unhappy and feeds the gating audit, nothing else. The latest answer per order counts."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    answer = models.CharField(_("answer"), max_length=10, choices=Satisfaction.choices)
    answered_at = models.DateTimeField(_("answered at"))

    class Meta:
        verbose_name = _("satisfaction answer")
        verbose_name_plural = _("satisfaction answers")
        ordering = ["-answered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.answer}"


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")


TICKET_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.OPEN: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED}),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.OPEN, TicketStatus.RESOLVED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.OPEN}),
}


class TicketReason(models.TextChoices):
    DAMAGED = "damaged", _("The item arrived damaged")
    WRONG_ITEM = "wrong_item", _("I received the wrong item")
    MISSING = "missing", _("Something is missing")
    NOT_WORKING = "not_working", _("It does not work as expected")
    DELIVERY = "delivery", _("A problem with the delivery")
    OTHER = "other", _("Something else")
    UNHAPPY = "unhappy", _("Unhappy with the order (satisfaction check)")


class TicketSource(models.TextChoices):
    HELP_PAGE = "help_page", _("Help page")
    SATISFACTION = "satisfaction", _("Satisfaction check")
    INSERT_CARD = "insert_card", _("Insert card")


class TicketQuerySet(MerchantScopedQuerySet):
    def unresolved(self):
        return self.exclude(status=TicketStatus.RESOLVED)


class ServiceRecoveryTicket(MerchantOwned):
    """A buyer's problem, raised from the help page (or an unhappy satisfaction answer); the merchant's inbox."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=12, choices=TicketReason.choices)
    text = models.TextField(_("message"), blank=True, max_length=4000)
    photo = models.FileField(_("photo"), upload_to="recovery/", blank=True, max_length=200)
    status = models.CharField(_("status"), max_length=12, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    source = models.CharField(_("source"), max_length=12, choices=TicketSource.choices)
    language = models.CharField(_("language"), max_length=10, blank=True)
    notes = models.TextField(_("internal notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("service-recovery ticket")
        verbose_name_plural = _("service-recovery tickets")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["merchant", "status", "-created_at"], name="ticket_merchant_status"),
            models.Index(fields=["order", "reason", "-created_at"], name="ticket_order_reason"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_reason_display()}"


class TicketEntry(MerchantOwned):
    """The ticket's history: status changes, internal notes and email replies to the buyer."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Status change")
        NOTE = "note", _("Note")
        REPLY = "reply", _("Email reply")

    ticket = models.ForeignKey(ServiceRecoveryTicket, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("text"), blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    status_from = models.CharField(max_length=12, blank=True)
    status_to = models.CharField(max_length=12, blank=True)
    message_ref = models.CharField(_("message reference"), max_length=64, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket entry")
        verbose_name_plural = _("ticket entries")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.kind}"


class ReviewSource(models.TextChoices):
    CSV = "csv", _("CSV import")
    API = "api", _("API")
    DEMO = "demo", _("Demo data")


class ReceivedReview(MerchantOwned):
    """A review the merchant reports back (CSV or API). It marks its order reviewed and is attributed to the
    request that preceded it within the campaign's attribution window."""

    order = models.ForeignKey("orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    asin = models.CharField(_("ASIN / product id"), max_length=100, blank=True)
    sku = models.CharField(_("SKU"), max_length=100, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    reviewed_on = models.DateField(_("reviewed on"))
    title = models.CharField(_("title"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=ReviewSource.choices)
    attributed_message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("attributed to")
    )
    dedupe_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("received review")
        verbose_name_plural = _("received reviews")
        ordering = ["-reviewed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "dedupe_key"], name="receivedreview_unique_dedupe"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="receivedreview_rating_1_5"),
        ]
        indexes = [models.Index(fields=["merchant", "-reviewed_on"], name="receivedreview_merchant_recent")]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.reviewed_on}"
