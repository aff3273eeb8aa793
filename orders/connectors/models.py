"""Connector state, owned by the orders app: connections (credentials, webhook token, health), the raw
webhook events they received, the platform's version of each order seen, and tracking registrations.

Imported by `orders.models`, so these are `orders` tables (migration orders/0002).
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import MerchantOwned, MerchantScopedQuerySet
from linkstar.crypto import EncryptedJSONField

# A connector that failed this many times in a row (poll, test or registration) needs attention.
ATTENTION_AFTER_FAILURES = 3


def new_webhook_token() -> str:
    """An unguessable path segment: 256 random bits."""
    return secrets.token_urlsafe(32)


class ConnectionKind(models.TextChoices):
    SHOPIFY = "shopify", _("Shopify")
    WOOCOMMERCE = "woocommerce", _("WooCommerce")
    AMAZON = "amazon", _("Amazon SP-API")
    AFTERSHIP = "aftership", _("AfterShip")
    SEVENTEEN_TRACK = "17track", _("17TRACK")


STORE_KINDS = {ConnectionKind.SHOPIFY, ConnectionKind.WOOCOMMERCE, ConnectionKind.AMAZON}
TRACKER_KINDS = {ConnectionKind.AFTERSHIP, ConnectionKind.SEVENTEEN_TRACK}


class ConnectionQuerySet(MerchantScopedQuerySet):
    def trackers(self):
        return self.filter(kind__in=TRACKER_KINDS)

    def active(self):
        return self.filter(enabled=True)

    def needing_attention(self):
        return self.filter(consecutive_failures__gte=ATTENTION_AFTER_FAILURES)


class Connection(MerchantOwned):
    """One platform account of a merchant: a store's Shopify / WooCommerce / Amazon link, or a tracker.

    Credentials are one encrypted JSON document, never shown back. `webhook_token` is the secret part of
    the webhook URL; `sync_cursor` is where the next poll starts (a poll that fails leaves it alone, so
    nothing is lost). `consecutive_failures` counts failed polls / tests / registrations since the last
    success and flags the store on the dashboard.
    """

    kind = models.CharField(_("platform"), max_length=20, choices=ConnectionKind.choices)
    store = models.OneToOneField(
        "orders.Store", on_delete=models.CASCADE, null=True, blank=True, related_name="connection"
    )
    label = models.CharField(_("name"), max_length=200)
    credentials = EncryptedJSONField(_("credentials"))
    webhook_token = models.CharField(max_length=64, unique=True, default=new_webhook_token, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    sync_cursor = models.JSONField(default=dict, blank=True)
    last_sync_at = models.DateTimeField(_("last successful sync"), null=True, blank=True)
    last_webhook_at = models.DateTimeField(_("last webhook"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_test_result = models.TextField(_("last connection test"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("connection")
        verbose_name_plural = _("connections")
        ordering = ["kind", "label", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "kind"], condition=Q(store__isnull=True), name="connection_one_tracker_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_kind_display()})"

    @property
    def is_tracker(self) -> bool:
        return self.kind in TRACKER_KINDS

    @property
    def needs_attention(self) -> bool:
        return self.consecutive_failures >= ATTENTION_AFTER_FAILURES


class WebhookEvent(MerchantOwned):
    """A verified webhook as it arrived (raw body), processed by a task; unique per provider event id."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be processed")
        PROCESSED = "processed", _("Processed")
        WAITING = "waiting", _("Waiting for its order")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="webhook_events")
    topic = models.CharField(_("topic"), max_length=100)
    event_id = models.CharField(_("provider's event id"), max_length=200)
    body = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    result = models.TextField(_("result"), blank=True)
    # A privacy data request's answer (Shopify customers/data_request), downloaded by the merchant.
    export = models.JSONField(null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "event_id"], name="webhookevent_unique_per_connection")
        ]
        indexes = [models.Index(fields=["merchant", "status", "received_at"], name="webhookevent_merchant_status")]

    def __str__(self) -> str:
        return f"{self.topic} {self.event_id}"


class RemoteOrderVersion(MerchantOwned):
    """The platform's `updated_at` of the newest payload applied for an order: an older one arriving later
    (webhooks are not ordered; a poll may read a stale page) is skipped instead of rolling the order back."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="order_versions")
    external_id = models.CharField(max_length=100)
    remote_updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "external_id"], name="remoteorderversion_unique")]


class TrackingRegistration(MerchantOwned):
    """A tracking number handed to a tracker (AfterShip, 17TRACK) so its delivery events come back."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        REGISTERED = "registered", _("Registered")
        REJECTED = "rejected", _("Rejected")

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="registrations")
    tracking_number = models.CharField(_("tracking number"), max_length=100)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    order_reference = models.CharField(max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    registered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("tracking registration")
        verbose_name_plural = _("tracking registrations")
        constraints = [
            models.UniqueConstraint(fields=["connection", "tracking_number"], name="trackingregistration_unique")
        ]
        indexes = [models.Index(fields=["connection", "status"], name="trackingreg_conn_status")]

    def __str__(self) -> str:
        return self.tracking_number
