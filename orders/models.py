"""Tables owned by the orders app (see ../shared/DESIGN.md); other apps use its services and selectors.

Writes go through `orders.services` (and `orders.ingest` / `orders.privacy` behind it); reads for other
apps through `orders.selectors`. Columns that campaigns filter on (merchant, store, delivered_at and the
exclusion flags) are indexed, with a partial index over the orders a campaign may still contact.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import MerchantOwned, MerchantScopedQuerySet


class Platform(models.TextChoices):
    AMAZON = "amazon", _("Amazon")
    SHOPIFY = "shopify", _("Shopify")
    WOOCOMMERCE = "woocommerce", _("WooCommerce")
    EBAY = "ebay", _("eBay")
    ALIEXPRESS = "aliexpress", _("AliExpress")
    SHOPEE = "shopee", _("Shopee")
    MANUAL = "manual", _("Other / manual (CSV, API)")


class Source(models.TextChoices):
    """Where an order or an event came from. The order also ranks trust in delivery dates."""

    API = "api", _("API")
    CSV = "csv", _("CSV / XLSX import")
    SHOPIFY = "shopify", _("Shopify")
    WOOCOMMERCE = "woocommerce", _("WooCommerce")
    AMAZON = "amazon", _("Amazon")
    AFTERSHIP = "aftership", _("AfterShip")
    SEVENTEEN_TRACK = "17track", _("17TRACK")
    MANUAL = "manual", _("Marked by hand")


# How far a source's word on "delivered" is trusted: a carrier scan beats a platform's status, which beats
# a merchant's own system, which beats someone clicking a button. Used to correct an earlier delivered_at.
SOURCE_TRUST = {
    Source.AFTERSHIP: 40,
    Source.SEVENTEEN_TRACK: 40,
    Source.AMAZON: 30,
    Source.SHOPIFY: 30,
    Source.WOOCOMMERCE: 30,
    Source.API: 20,
    Source.CSV: 20,
    Source.MANUAL: 10,
}


class DeliveryConfidence(models.TextChoices):
    CARRIER = "carrier", _("Confirmed by the carrier")
    PLATFORM = "platform", _("Reported by the marketplace or shop")
    MERCHANT = "merchant", _("Reported by the merchant's system")
    MANUAL = "manual", _("Marked by hand")


CONFIDENCE_OF_SOURCE = {
    Source.AFTERSHIP: DeliveryConfidence.CARRIER,
    Source.SEVENTEEN_TRACK: DeliveryConfidence.CARRIER,
    Source.AMAZON: DeliveryConfidence.PLATFORM,
    Source.SHOPIFY: DeliveryConfidence.PLATFORM,
    Source.WOOCOMMERCE: DeliveryConfidence.PLATFORM,
    Source.API: DeliveryConfidence.MERCHANT,
    Source.CSV: DeliveryConfidence.MERCHANT,
    Source.MANUAL: DeliveryConfidence.MANUAL,
}


class Store(MerchantOwned):
    """A merchant's shop or marketplace account (one Amazon marketplace, one Shopify shop, a CSV 'store')."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(_("name"), max_length=200)
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices, default=Platform.MANUAL)
    marketplace = models.CharField(
        _("marketplace or site"),
        max_length=200,
        blank=True,
        help_text=_("For example Amazon US, DE or JP, or the shop's address."),
    )
    default_currency = models.CharField(_("default currency"), max_length=3, default="USD")
    default_language = models.CharField(_("default language"), max_length=10, default="en")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    postal_address = models.TextField(
        _("sender's postal address"), blank=True, help_text=_("Shown in emails, as anti-spam laws require.")
    )
    pii_retention_days = models.PositiveIntegerField(
        _("keep buyers' personal data for (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Erase buyers' names and addresses this many days after their last order was delivered. "
            "Empty keeps them (Amazon buyers are always erased 30 days after delivery)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="store_unique_name_per_merchant")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_amazon(self) -> bool:
        return self.platform == Platform.AMAZON


class Buyer(MerchantOwned):
    """One person as one store knows them; `email_hash` / `phone_hash` recognise them across stores.

    `key` identifies the buyer within the store for upserts: the platform's customer id, else the hashed
    email, else the hashed phone, else the order they came with. It holds no clear-text PII, so it
    survives erasure and a re-import of an erased buyer's order finds the erased row.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="buyers")
    key = models.CharField(max_length=200)
    external_id = models.CharField(_("platform customer id"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    email_is_relay = models.BooleanField(
        _("marketplace relay address"),
        default=False,
        help_text=_("An address the marketplace forwards (Amazon): never emailed by Linkstar."),
    )
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True)
    address_line1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    language = models.CharField(_("preferred language"), max_length=10, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    email_hash = models.CharField(max_length=64, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True)
    content_hash = models.CharField(max_length=32, blank=True)
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("buyer")
        verbose_name_plural = _("buyers")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["store", "key"], name="buyer_unique_key_per_store")]
        indexes = [
            models.Index(fields=["merchant", "email_hash"], name="buyer_merchant_email_hash"),
            models.Index(fields=["merchant", "phone_hash"], name="buyer_merchant_phone_hash"),
        ]

    def __str__(self) -> str:
        if self.erased_at:
            return str(_("Erased buyer #%(id)s") % {"id": self.pk})
        return self.name or self.email or self.phone or f"#{self.pk}"

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def can_be_emailed(self) -> bool:
        """Whether our own email may reach them at all (consent and suppression are checked elsewhere)."""
        return bool(self.email) and not self.email_is_relay and not self.is_erased


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class Consent(MerchantOwned):
    """Append-only record of a buyer's permission (or its withdrawal) for one channel; the latest counts."""

    class Status(models.TextChoices):
        GRANTED = "granted", _("Granted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class LawfulBasis(models.TextChoices):
        CONSENT = "consent", _("Consent")
        CONTRACT = "contract", _("Contract / transactional")

    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    lawful_basis = models.CharField(_("lawful basis"), max_length=10, choices=LawfulBasis.choices)
    source = models.CharField(_("source"), max_length=100, blank=True)
    text_version = models.CharField(_("consent text version"), max_length=100, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "channel", "status", "recorded_at"], name="consent_unique_record_per_time"
            )
        ]
        indexes = [models.Index(fields=["buyer", "channel", "-recorded_at"], name="consent_buyer_channel_time")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.get_status_display()}"


class OrderQuerySet(MerchantScopedQuerySet):
    def delivered(self):
        return self.filter(delivered_at__isnull=False)

    def delivered_between(self, start=None, end=None):
        qs = self.delivered()
        if start is not None:
            qs = qs.filter(delivered_at__gte=start)
        if end is not None:
            qs = qs.filter(delivered_at__lt=end)
        return qs

    def not_excluded(self):
        """Orders a campaign may still consider: not cancelled, refunded, returned, claimed or reviewed."""
        return self.filter(cancelled=False, refunded=False, returned=False, claim_open=False, buyer_reviewed=False)

    def for_stores(self, stores):
        return self.filter(store__in=stores)


class Order(MerchantOwned):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSING = "processing", _("Processing")
        SHIPPED = "shipped", _("Shipped")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        DELIVERY_EXCEPTION = "delivery_exception", _("Delivery exception")
        RETURNED_TO_SENDER = "returned_to_sender", _("Returned to sender")
        RETURNED = "returned", _("Returned")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")

    class FulfillmentChannel(models.TextChoices):
        FBA = "fba", _("Fulfilled by Amazon (FBA)")
        FBM = "fbm", _("Fulfilled by merchant (FBM)")
        MERCHANT = "merchant", _("Merchant")
        THIRD_PARTY = "3pl", _("Third-party logistics (3PL)")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="orders")
    buyer = models.ForeignKey(Buyer, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders")
    external_id = models.CharField(_("external id"), max_length=100)
    number = models.CharField(_("order number"), max_length=100, blank=True)
    placed_at = models.DateTimeField(_("placed at"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    fulfillment_channel = models.CharField(
        _("fulfilment channel"), max_length=10, choices=FulfillmentChannel.choices, default=FulfillmentChannel.MERCHANT
    )
    ship_country = models.CharField(_("ship-to country"), max_length=2, blank=True)
    ship_region = models.CharField(_("ship-to region"), max_length=100, blank=True)
    ship_city = models.CharField(_("ship-to city"), max_length=100, blank=True)
    ship_postal_code = models.CharField(_("ship-to postal code"), max_length=20, blank=True)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    earliest_delivery_date = models.DateField(_("earliest delivery date"), null=True, blank=True)
    latest_delivery_date = models.DateField(_("latest delivery date"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivered_source = models.CharField(_("delivery reported by"), max_length=20, choices=Source.choices, blank=True)
    delivery_confidence = models.CharField(
        _("delivery confidence"), max_length=10, choices=DeliveryConfidence.choices, blank=True
    )
    cancelled = models.BooleanField(_("cancelled"), default=False)
    refunded = models.BooleanField(_("refunded"), default=False)
    returned = models.BooleanField(_("returned"), default=False)
    claim_open = models.BooleanField(_("claim open"), default=False)
    buyer_reviewed = models.BooleanField(_("buyer already reviewed"), default=False)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.API)
    content_hash = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "external_id"], name="order_unique_external_id_per_store")
        ]
        indexes = [
            models.Index(fields=["merchant", "-placed_at"], name="order_merchant_placed"),
            models.Index(fields=["merchant", "delivered_at"], name="order_merchant_delivered"),
            models.Index(fields=["store", "delivered_at"], name="order_store_delivered"),
            models.Index(fields=["merchant", "updated_at"], name="order_merchant_updated"),
            models.Index(fields=["merchant", "tracking_number"], name="order_merchant_tracking"),
            models.Index(fields=["merchant", "number"], name="order_merchant_number"),
            # The orders a campaign may still contact, by delivery time: planning reads this one.
            models.Index(
                fields=["store", "delivered_at"],
                name="order_contactable_delivered",
                condition=Q(delivered_at__isnull=False)
                & Q(cancelled=False, refunded=False, returned=False, claim_open=False, buyer_reviewed=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number or self.external_id

    @property
    def display_number(self) -> str:
        return self.number or self.external_id


class OrderItem(MerchantOwned):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    sku = models.CharField(_("SKU"), max_length=100, blank=True)
    product_id = models.CharField(_("product id (ASIN etc.)"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2, null=True, blank=True)
    category = models.CharField(_("category"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        ordering = ["order_id", "position"]
        constraints = [models.UniqueConstraint(fields=["order", "position"], name="orderitem_unique_position")]
        indexes = [models.Index(fields=["merchant", "sku"], name="orderitem_merchant_sku")]

    def __str__(self) -> str:
        return self.title or self.sku


class OrderEvent(MerchantOwned):
    """Append-only timeline of one order; `dedupe_key` makes every source's replay a no-op."""

    class Type(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        SHIPPED = "shipped", _("Shipped")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        DELIVERY_EXCEPTION = "delivery_exception", _("Delivery exception")
        # The carrier sends the parcel back to the merchant (undeliverable, refused): not the buyer's return.
        RETURNED_TO_SENDER = "returned_to_sender", _("Returned to sender")
        RETURNED = "returned", _("Returned")
        REFUNDED = "refunded", _("Refunded")
        CLAIM_OPENED = "claim_opened", _("Claim opened")
        REVIEWED = "reviewed", _("Reviewed")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    dedupe_key = models.CharField(max_length=200)
    applied = models.BooleanField(
        _("changed the order"), default=True, help_text=_("False when the order kept an earlier, better answer.")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["occurred_at", "id"]
        constraints = [models.UniqueConstraint(fields=["order", "dedupe_key"], name="orderevent_unique_dedupe")]
        indexes = [
            models.Index(fields=["order", "occurred_at"], name="orderevent_order_time"),
            models.Index(fields=["merchant", "type", "-received_at"], name="orderevent_merchant_type"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class ImportJob(MerchantOwned):
    """One uploaded CSV / XLSX file: its column mapping, progress and row errors.

    The file's bytes live in the row (workers may run on other machines than the web server) and are
    dropped when the import finishes, since they hold buyers' personal data.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Waiting for column mapping")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(max_length=10)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    content = models.BinaryField(null=True, editable=False)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class PushSubscription(MerchantOwned):
    """A buyer's app device token (FCM) or browser push subscription (Web Push), registered by the
    merchant's app or site through the API. `digest` (SHA-256 of the token or endpoint) keeps one row per
    device; a provider's "gone" answer marks the row gone and blanks what it held."""

    class Kind(models.TextChoices):
        FCM = "fcm", _("App push (FCM)")
        WEB_PUSH = "web_push", _("Web push")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        GONE = "gone", _("Gone")

    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="push_subscriptions")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    digest = models.CharField(max_length=64)
    token = models.TextField(_("device token"), blank=True)
    endpoint = models.URLField(_("endpoint"), max_length=2000, blank=True)
    p256dh = models.CharField(_("p256dh key"), max_length=200, blank=True)
    auth = models.CharField(_("auth secret"), max_length=100, blank=True)
    platform = models.CharField(_("platform"), max_length=20, blank=True)
    app_id = models.CharField(_("app id"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    gone_reason = models.CharField(_("why it is gone"), max_length=200, blank=True)
    gone_at = models.DateTimeField(_("gone at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["buyer", "kind", "digest"], name="pushsubscription_unique_device")
        ]
        indexes = [models.Index(fields=["buyer", "status"], name="pushsubscription_buyer_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def label(self) -> str:
        """A short, non-identifying name for pages and message records."""
        return f"{self.kind}:{self.pk}"


# Connector state (credentials, webhook events, versions, tracking registrations): orders tables too.
from .connectors.models import (  # noqa: E402
    Connection,
    ConnectionKind,
    RemoteOrderVersion,
    TrackingRegistration,
    WebhookEvent,
)

__all__ = [
    "Buyer",
    "Connection",
    "ConnectionKind",
    "Consent",
    "ImportJob",
    "Order",
    "OrderEvent",
    "OrderItem",
    "PushSubscription",
    "RemoteOrderVersion",
    "Store",
    "TrackingRegistration",
    "WebhookEvent",
]
