"""Tables owned by the channels app (see ../shared/DESIGN.md); other apps use its services and selectors.

- `ChannelAccount`: a merchant's own provider account for one sender kind (credentials encrypted).
- `SentMessage`: one row per message reference handed to a sender; its delivery status only moves forward.
- `DeliveryEvent`: what a provider told us about a message (or an inbound reply), deduplicated by the
  provider's event id.
- `SuppressionEntry`: addresses a merchant must not message again (unsubscribe, bounce, complaint, STOP...).
- `OutboxMessage`: what the outbox sender "sent" (development and the demo).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import MerchantOwned, MerchantScopedQuerySet
from linkstar.crypto import EncryptedJSONField

from .senders import KIND_CHOICES, Channel


class ChannelAccount(MerchantOwned):
    """A merchant's account with one provider (an SMTP server, a Postmark server, a Twilio number...).

    Secrets live only in `credentials` (encrypted, never displayed); everything else in `config` is
    plain settings the merchant may see again (host, port, region, account SID...).
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        FAILING = "failing", _("Failing")
        DISABLED = "disabled", _("Disabled")

    kind = models.CharField(_("kind"), max_length=32, choices=KIND_CHOICES)
    name = models.CharField(_("display name"), max_length=100)
    credentials = EncryptedJSONField(_("credentials"), editable=False)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    from_email = models.EmailField(_("from address"), blank=True)
    from_name = models.CharField(_("from name"), max_length=100, blank=True)
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    sms_from = models.CharField(_("SMS sender"), max_length=32, blank=True)
    messaging_service_sid = models.CharField(_("Messaging Service SID"), max_length=64, blank=True)
    whatsapp_from = models.CharField(_("WhatsApp sender"), max_length=32, blank=True)
    amazon_seller_id = models.CharField(_("Amazon seller ID"), max_length=32, blank=True)
    amazon_marketplaces = models.JSONField(_("Amazon marketplaces"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    webhook_token = models.UUIDField(_("webhook token"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("channel account")
        verbose_name_plural = _("channel accounts")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["merchant", "kind"], name="channelaccount_merchant_kind")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def sender_class(self):
        from .senders import SENDERS

        return SENDERS[self.kind]

    @property
    def channel(self) -> str:
        return self.sender_class.channel

    @property
    def is_usable(self) -> bool:
        return self.status != self.Status.DISABLED


class SentMessage(MerchantOwned):
    """The delivery state of one message reference, as channels knows it.

    Status moves forward only (see RANK): queued < unknown < sent < delivered; failed and bounced are
    terminal. Opens, clicks, complaints and unsubscribes are facts (DeliveryEvent rows), not states.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        UNKNOWN = "unknown", _("Unknown")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        BOUNCED = "bounced", _("Bounced")

    RANK = {"queued": 0, "unknown": 1, "sent": 2, "delivered": 3, "failed": 4, "bounced": 4}
    TERMINAL_RANK = 4

    account = models.ForeignKey(ChannelAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=32)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    message_ref = models.CharField(_("message reference"), max_length=64, unique=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    recipient = models.CharField(_("recipient"), max_length=320, blank=True)
    recipient_hash = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sent message")
        verbose_name_plural = _("sent messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["provider_message_id"], name="sentmessage_provider_id"),
            models.Index(fields=["merchant", "-created_at"], name="sentmessage_merchant_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.message_ref} ({self.status})"


class DeliveryEvent(MerchantOwned):
    class Type(models.TextChoices):
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        DEFERRED = "deferred", _("Deferred")
        BOUNCED = "bounced", _("Bounced")
        FAILED = "failed", _("Failed")
        OPENED = "opened", _("Opened")
        CLICKED = "clicked", _("Clicked")
        COMPLAINED = "complained", _("Complained")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        RESUBSCRIBED = "resubscribed", _("Resubscribed")
        INBOUND = "inbound", _("Inbound message")
        OTHER = "other", _("Other")

    account = models.ForeignKey(ChannelAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sent_message = models.ForeignKey(
        SentMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    provider = models.CharField(_("provider"), max_length=32)
    provider_event_id = models.CharField(_("provider event id"), max_length=255)
    message_ref = models.CharField(_("message reference"), max_length=64, blank=True, db_index=True)
    event_type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    recipient_hash = models.CharField(max_length=64, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_event_id"], name="deliveryevent_unique_provider_id")
        ]
        indexes = [models.Index(fields=["merchant", "-occurred_at"], name="deliveryevent_merchant_recent")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.provider_event_id}"


class SuppressionQuerySet(MerchantScopedQuerySet):
    def matching(self, *, channel: str, address_hash: str):
        return self.filter(channel=channel, address_hash=address_hash)


class SuppressionEntry(MerchantOwned):
    """An address this merchant must not message on one channel. Checked before every send."""

    class Reason(models.TextChoices):
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Spam complaint")
        STOP_KEYWORD = "stop_keyword", _("STOP reply")
        MANUAL = "manual", _("Added by the merchant")
        INVALID = "invalid", _("Invalid address")
        ERASED = "erased", _("Personal data erased")

    class Scope(models.TextChoices):
        ALL = "all", _("All messages")
        REVIEW_REQUESTS = "review_requests", _("Review requests only")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    address_hash = models.CharField(max_length=64)
    address = models.CharField(_("address"), max_length=320, blank=True, help_text=_("Cleared when erased."))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.ALL)
    source = models.CharField(_("source"), max_length=200, blank=True)
    source_event = models.ForeignKey(DeliveryEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SuppressionQuerySet.as_manager()

    class Meta:
        verbose_name = _("suppression")
        verbose_name_plural = _("suppressions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "channel", "address_hash"], name="suppression_unique_merchant_channel_hash"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.address or self.address_hash[:12]} ({self.reason})"


class OutboxMessage(MerchantOwned):
    """A message the outbox sender recorded instead of sending (development and the demo)."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    message_ref = models.CharField(_("message reference"), max_length=64, db_index=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=320, blank=True)
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    text_body = models.TextField(_("text"), blank=True)
    html_body = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-created_at"], name="outbox_merchant_recent")]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}: {self.subject[:40]}"
