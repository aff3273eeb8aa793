"""Back office: campaigns, the outbox with its attempts, send rates, and the global emergency stop."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .models import (
    AccountRate,
    Campaign,
    Message,
    MessageAttempt,
    PlanStep,
    ReceivedReview,
    SatisfactionAnswer,
    Segment,
    SendingSwitch,
    ServiceRecoveryTicket,
    TicketEntry,
    Variant,
)


class PlanStepInline(admin.TabularInline):
    model = PlanStep
    extra = 0
    fields = ["country", "position", "channel", "account", "template_name"]
    raw_id_fields = ["account"]


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ["name", "weight", "template_name"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "merchant", "status", "purpose", "test_mode", "updated_at"]
    list_filter = ["status", "purpose", "test_mode"]
    list_select_related = ["merchant"]
    search_fields = ["name", "merchant__name"]
    readonly_fields = ["planned_until", "planned_at", "created_at", "updated_at", "status_changed_at"]
    raw_id_fields = ["merchant", "created_by", "segment"]
    filter_horizontal = ["stores", "fallback_stores"]
    inlines = [PlanStepInline, VariantInline]
    show_full_result_count = False


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    """Broadcast segments, read only: they are made with their broadcast."""

    list_display = ["name", "merchant", "countries", "last_order_from", "last_order_to", "min_orders", "created_at"]
    list_select_related = ["merchant"]
    search_fields = ["name", "merchant__name"]
    readonly_fields = [
        "merchant", "name", "stores", "countries", "last_order_from", "last_order_to", "skus", "min_orders",
        "created_at",
    ]  # fmt: skip
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MessageAttemptInline(admin.TabularInline):
    model = MessageAttempt
    extra = 0
    can_delete = False
    fields = ["number", "channel", "account", "outcome", "error_code", "detail", "latency_ms", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["message_ref", "merchant", "campaign", "step", "channel", "status", "reason_code", "send_at"]
    list_filter = ["status", "channel", "reason_code"]
    list_select_related = ["merchant", "campaign"]
    search_fields = ["=message_ref", "=provider_message_id"]
    readonly_fields = [f.name for f in Message._meta.fields]
    inlines = [MessageAttemptInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccountRate)
class AccountRateAdmin(admin.ModelAdmin):
    list_display = ["account", "merchant", "per_minute", "burst"]
    list_select_related = ["account", "merchant"]
    raw_id_fields = ["account", "merchant"]


@admin.register(SendingSwitch)
class SendingSwitchAdmin(admin.ModelAdmin):
    """One row; stop or allow all sending. Workers read it before each chunk they send."""

    list_display = ["__str__", "reason", "changed_at", "changed_by"]
    fields = ["stopped", "reason", "changed_at", "changed_by"]
    readonly_fields = ["changed_at", "changed_by"]
    actions = ["stop_all", "allow_all"]

    def has_add_permission(self, request):
        # One row at most, and only for staff allowed to add it (a compliance reviewer must not stop sending).
        return super().has_add_permission(request) and not SendingSwitch.objects.exists()

    def save_model(self, request, obj, form, change):
        switch = services.set_global_stop(stopped=obj.stopped, reason=obj.reason, user=request.user)
        obj.pk = switch.pk

    @admin.action(description=_("Stop all sending (every merchant)"), permissions=["change"])
    def stop_all(self, request, queryset):
        services.set_global_stop(stopped=True, reason=str(_("Stopped from admin")), user=request.user)
        self.message_user(request, _("All sending is stopped."), messages.WARNING)

    @admin.action(description=_("Allow sending again"), permissions=["change"])
    def allow_all(self, request, queryset):
        services.set_global_stop(stopped=False, user=request.user)
        self.message_user(request, _("Sending is allowed again."), messages.SUCCESS)


# --- buyers' side (read-mostly: merchants work on tickets in their inbox) ----------------------------------


class TicketEntryInline(admin.TabularInline):
    model = TicketEntry
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "author", "status_from", "status_to", "subject", "text", "outcome"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ServiceRecoveryTicket)
class ServiceRecoveryTicketAdmin(admin.ModelAdmin):
    list_display = ["id", "merchant", "order", "reason", "source", "status", "created_at"]
    list_filter = ["status", "reason", "source"]
    list_select_related = ["merchant", "order"]
    search_fields = ["=id", "order__external_id", "order__number"]
    readonly_fields = [f.name for f in ServiceRecoveryTicket._meta.fields if f.name != "notes"]
    inlines = [TicketEntryInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(SatisfactionAnswer)
class SatisfactionAnswerAdmin(admin.ModelAdmin):
    list_display = ["order", "merchant", "answer", "answered_at"]
    list_filter = ["answer"]
    list_select_related = ["order", "merchant"]
    readonly_fields = [f.name for f in SatisfactionAnswer._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReceivedReview)
class ReceivedReviewAdmin(admin.ModelAdmin):
    list_display = ["reviewed_on", "merchant", "order", "asin", "rating", "source", "attributed_message"]
    list_filter = ["rating", "source"]
    list_select_related = ["merchant", "order", "attributed_message"]
    search_fields = ["asin", "order__external_id", "title"]
    readonly_fields = [f.name for f in ReceivedReview._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
