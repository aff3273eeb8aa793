"""Back office for orders: stores, orders (read-mostly), events, buyers, consents, imports.

Orders are written by services only, so orders, events and imports are read-only here; lists join what
they show (`list_select_related`) and skip full counts on big tables.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from linkstar.admin import ReadOnlyAdmin

from . import services
from .models import Buyer, Consent, ImportJob, Order, OrderEvent, OrderItem, PushSubscription, Store


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "merchant", "platform", "marketplace", "default_currency", "status", "created_at"]
    list_filter = ["platform", "status"]
    list_select_related = ["merchant"]
    search_fields = ["name", "marketplace", "merchant__name"]
    readonly_fields = ["merchant", "created_at"]

    def has_add_permission(self, request):
        return False  # stores are added by merchants on their stores page


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    can_delete = False
    fields = ["position", "sku", "product_id", "title", "quantity", "unit_price", "category"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ["type", "source", "occurred_at", "received_at", "applied", "actor", "dedupe_key"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "external_id",
        "number",
        "store",
        "merchant",
        "placed_at",
        "status",
        "ship_country",
        "delivered_at",
        "delivered_source",
    ]
    list_filter = [
        "status",
        "source",
        "fulfillment_channel",
        "delivered_source",
        ("delivered_at", admin.EmptyFieldListFilter),
        "refunded",
        "returned",
        "claim_open",
        "buyer_reviewed",
        "cancelled",
        "store__platform",
    ]
    list_select_related = ["store", "merchant"]
    search_fields = ["=external_id", "=number", "=tracking_number", "buyer__email"]
    date_hierarchy = "placed_at"
    inlines = [OrderItemInline, OrderEventInline]
    raw_id_fields = ["buyer"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("buyer", "store", "merchant")


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = ["order", "type", "source", "occurred_at", "received_at", "applied", "actor"]
    list_filter = ["type", "source", "applied"]
    list_select_related = ["order", "actor"]
    search_fields = ["=order__external_id", "=order__number", "dedupe_key"]
    date_hierarchy = "occurred_at"


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    can_delete = False
    fields = ["channel", "status", "lawful_basis", "source", "text_version", "recorded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Buyer)
class BuyerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "store", "merchant", "country", "language", "email_is_relay", "erased_at"]
    list_filter = ["country", "email_is_relay", ("erased_at", admin.EmptyFieldListFilter), "store__platform"]
    list_select_related = ["store", "merchant"]
    search_fields = ["=email", "=phone", "name", "=external_id"]
    show_full_result_count = False
    readonly_fields = [f.name for f in Buyer._meta.fields]
    inlines = [ConsentInline]
    actions = ["erase_buyers"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # erase instead: orders and hashed identities must stay

    @admin.action(description=_("Erase the selected buyers' personal data"), permissions=["change"])
    def erase_buyers(self, request, queryset):
        for buyer in queryset:
            services.erase_buyer(buyer, reason=f"back office: {request.user}")
        self.message_user(request, _("Buyers erased."), messages.SUCCESS)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = [
        "filename",
        "merchant",
        "store",
        "status",
        "total_rows",
        "created_count",
        "error_count",
        "created_at",
    ]
    list_filter = ["status", "file_format"]
    list_select_related = ["merchant", "store"]
    search_fields = ["filename", "merchant__name"]
    exclude = ["content"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")


# --- connectors: health and events, never credentials or raw bodies ----------------------------------------
from .models import Connection, TrackingRegistration, WebhookEvent  # noqa: E402


@admin.register(Connection)
class ConnectionAdmin(ReadOnlyAdmin):
    list_display = ["label", "kind", "merchant", "store", "last_sync_at", "last_webhook_at", "consecutive_failures"]
    list_filter = ["kind", "enabled"]
    list_select_related = ["merchant", "store"]
    search_fields = ["label", "merchant__name"]
    fields = ["merchant", "kind", "label", "store", "enabled", "last_sync_at", "last_webhook_at", "last_error",
              "last_error_at", "consecutive_failures", "last_test_result", "created_at"]  # fmt: skip


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["topic", "connection", "status", "attempts", "received_at", "processed_at"]
    list_filter = ["status", "connection__kind"]
    list_select_related = ["connection"]
    fields = ["connection", "topic", "event_id", "status", "attempts", "result", "received_at", "processed_at"]


@admin.register(TrackingRegistration)
class TrackingRegistrationAdmin(ReadOnlyAdmin):
    list_display = ["tracking_number", "connection", "status", "attempts", "registered_at"]
    list_filter = ["status", "connection__kind"]
    list_select_related = ["connection"]
    search_fields = ["tracking_number"]


@admin.register(PushSubscription)
class PushSubscriptionAdmin(ReadOnlyAdmin):
    """Which buyers can be pushed to, and which devices went away; never the tokens themselves."""

    list_display = ["id", "merchant", "buyer_id", "kind", "platform", "app_id", "status", "gone_reason", "created_at"]
    list_filter = ["kind", "status", "platform"]
    list_select_related = ["merchant"]
    fields = ["merchant", "buyer", "kind", "platform", "app_id", "status", "gone_reason", "gone_at", "created_at"]
    raw_id_fields = ["buyer"]
