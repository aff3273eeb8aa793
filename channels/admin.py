"""Back office for channels: accounts (never their credentials), suppressions, events, sent messages."""

from django.contrib import admin

from .models import ChannelAccount, DeliveryEvent, OutboxMessage, SentMessage, SuppressionEntry


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "merchant", "status", "verified_at", "last_error_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["merchant"]
    search_fields = ["name", "merchant__name", "from_email", "sms_from", "amazon_seller_id"]
    # `credentials` is not editable and never listed: secrets do not leave the encrypted column here.
    fields = [
        "merchant", "kind", "name", "status", "from_email", "from_name", "reply_to", "sms_from",
        "messaging_service_sid", "whatsapp_from", "amazon_seller_id", "amazon_marketplaces", "config",
        "last_error", "last_error_at", "verified_at", "webhook_token", "created_at", "updated_at",
    ]  # fmt: skip
    readonly_fields = ["merchant", "kind", "webhook_token", "last_error_at", "verified_at", "created_at", "updated_at"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # accounts are added by merchants, who type their own secrets


@admin.register(SuppressionEntry)
class SuppressionEntryAdmin(admin.ModelAdmin):
    list_display = ["address", "channel", "reason", "scope", "merchant", "created_at"]
    list_filter = ["channel", "reason", "scope"]
    list_select_related = ["merchant"]
    search_fields = ["address", "address_hash", "merchant__name"]
    readonly_fields = ["merchant", "channel", "address_hash", "source_event", "created_at", "updated_at"]
    show_full_result_count = False


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "provider", "event_type", "message_ref", "merchant", "processed_at"]
    list_filter = ["provider", "event_type"]
    list_select_related = ["merchant"]
    search_fields = ["provider_event_id", "message_ref"]
    readonly_fields = [f.name for f in DeliveryEvent._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(SentMessage)
class SentMessageAdmin(admin.ModelAdmin):
    list_display = ["message_ref", "kind", "channel", "status", "merchant", "sent_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["merchant"]
    search_fields = ["message_ref", "provider_message_id"]
    readonly_fields = [f.name for f in SentMessage._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "to", "subject", "merchant"]
    list_filter = ["channel"]
    list_select_related = ["merchant"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
