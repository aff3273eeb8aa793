"""Back office for tenants: merchants (pause / unpause), members, API keys (never the secret)."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from . import services
from .models import ApiKey, Membership, Merchant, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "status", "default_language", "default_time_zone", "created_at"]
    list_filter = ["status", "default_language"]
    search_fields = ["name", "slug", "memberships__user__email"]
    readonly_fields = ["created_at", "paused_at"]
    inlines = [MembershipInline]
    actions = ["pause_merchants", "unpause_merchants"]
    show_full_result_count = False

    @admin.action(description=_("Pause sending for the selected merchants"), permissions=["change"])
    def pause_merchants(self, request, queryset):
        for merchant in queryset:
            services.pause_merchant(merchant=merchant, reason=f"Paused by {request.user} in the back office")
        self.message_user(request, _("%(n)d merchant(s) paused.") % {"n": queryset.count()}, messages.SUCCESS)

    @admin.action(description=_("Resume sending for the selected merchants"), permissions=["change"])
    def unpause_merchants(self, request, queryset):
        for merchant in queryset:
            services.unpause_merchant(merchant=merchant)
        self.message_user(request, _("%(n)d merchant(s) resumed.") % {"n": queryset.count()}, messages.SUCCESS)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "merchant", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "merchant"]
    search_fields = ["user__email", "merchant__name"]
    autocomplete_fields = ["user", "merchant"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "display", "merchant", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["merchant"]
    search_fields = ["name", "prefix", "merchant__name"]
    fields = ["merchant", "name", "display", "scope", "created_by", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["merchant", "display", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_keys"]

    def has_add_permission(self, request):
        return False  # keys are created by owners on the merchant page, where the secret is shown once

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke_keys(self, request, queryset):
        for api_key in queryset:
            services.revoke_api_key(api_key=api_key)
        self.message_user(request, _("Keys revoked."), messages.SUCCESS)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
