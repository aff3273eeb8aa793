"""Billing back office: price book versions, plans, subscriptions, manual top-ups and adjustments, statements.

Money moves only through services (with the wallet's lock and a ledger entry);
the ledger, usage and statements are read-only here.
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linkstar.admin import ReadOnlyAdmin, ReadOnlyAdminMixin

from . import selectors, services
from .countries import normalise_country
from .models import (
    BudgetCap,
    CapAlert,
    ChannelCap,
    LedgerEntry,
    Plan,
    Price,
    PriceBook,
    Reservation,
    SpendCounter,
    Statement,
    StatementLine,
    Subscription,
    UsageRecord,
    Wallet,
)

# --- price books ---------------------------------------------------------------------------


class PriceForm(forms.ModelForm):
    class Meta:
        model = Price
        fields = ["channel", "country", "message_class", "unit_price"]

    def clean_country(self):
        return normalise_country(self.cleaned_data["country"], allow_any=True)


class PriceFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if self.instance.pk and self.has_changed() and selectors.price_book_is_used(self.instance):
            raise ValidationError(_("This version has priced messages; create a new version instead."))


class PriceInline(admin.TabularInline):
    model = Price
    form = PriceForm
    formset = PriceFormSet
    extra = 0

    def _locked(self, obj):
        return obj is not None and selectors.price_book_is_used(obj)

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


class PriceBookForm(forms.ModelForm):
    class Meta:
        model = PriceBook
        fields = ["name", "currency", "effective_from", "note"]

    def clean(self):
        data = super().clean()
        if self.instance.pk and selectors.price_book_is_used(self.instance):
            raise ValidationError(_("This version has priced messages; create a new version instead."))
        return data


@admin.register(PriceBook)
class PriceBookAdmin(admin.ModelAdmin):
    form = PriceBookForm
    list_display = ["version", "name", "currency", "effective_from", "is_current", "is_used", "price_count"]
    readonly_fields = ["version", "created_by", "created_at"]
    inlines = [PriceInline]
    actions = ["new_version"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_prices=Count("prices"))

    @admin.display(description=_("prices"))
    def price_count(self, obj):
        return obj.n_prices

    @admin.display(description=_("current"), boolean=True)
    def is_current(self, obj):
        current = selectors.current_price_book()
        return current is not None and current.pk == obj.pk

    @admin.display(description=_("used (frozen)"), boolean=True)
    def is_used(self, obj):
        return selectors.price_book_is_used(obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and selectors.price_book_is_used(obj):
            return ["version", "name", "currency", "effective_from", "note", "created_by", "created_at"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return (obj is None or not selectors.price_book_is_used(obj)) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            last = PriceBook.objects.order_by("-version").first()
            obj.version = (last.version + 1) if last else 1
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Create a new version from the selected one (effective tomorrow, editable)"))
    def new_version(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one price book."), messages.ERROR)
            return
        source = queryset.get()
        effective = (timezone.now() + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        try:
            book = services.create_price_book(
                name=source.name, effective_from=effective, copy_from=source, created_by=request.user
            )
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        self.message_user(
            request,
            _("Version %(version)s created, effective %(when)s; edit its prices before then.")
            % {"version": book.version, "when": f"{effective:%Y-%m-%d %H:%M} UTC"},
            messages.SUCCESS,
        )


# --- plans and subscriptions ---------------------------------------------------------------


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "monthly_fee",
        "currency",
        "included_email",
        "included_sms",
        "included_whatsapp",
        "included_amazon_solicitation",
        "is_active",
    ]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


class SubscriptionForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = ["merchant", "plan"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Adding a subscription switches the merchant to that plan now (the open one ends)."""

    form = SubscriptionForm
    list_display = ["merchant", "plan", "started_at", "ended_at"]
    list_select_related = ["merchant", "plan"]
    list_filter = ["plan", ("ended_at", admin.EmptyFieldListFilter)]
    search_fields = ["merchant__name"]
    autocomplete_fields = ["merchant"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        subscription = services.change_plan(merchant=form.cleaned_data["merchant"], plan=form.cleaned_data["plan"])
        obj.pk = subscription.pk
        obj.started_at = subscription.started_at


# --- wallets and the ledger ----------------------------------------------------------------


class WalletForm(forms.ModelForm):
    class Meta:
        model = Wallet
        fields = ["credit_limit"]


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    form = WalletForm
    list_display = ["merchant", "currency", "balance", "reserved", "available", "credit_limit", "updated_at"]
    list_select_related = ["merchant"]
    search_fields = ["merchant__name"]
    readonly_fields = ["merchant", "currency", "balance", "reserved", "available", "updated_at"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.set_credit_limit(merchant=obj.merchant, credit_limit=form.cleaned_data["credit_limit"])


class ManualEntryForm(forms.ModelForm):
    """Top-up, adjustment or refund: a reason is required; the service signs and posts it under the lock."""

    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[(k.value, k.label) for k in services.MANUAL_KINDS],
        help_text=_("Top-up and refund: a positive amount. Adjustment: positive credits, negative debits."),
    )
    reason = forms.CharField(label=_("reason"), max_length=300)

    class Meta:
        model = LedgerEntry
        fields = ["merchant", "kind", "amount", "reference", "reason"]

    def clean(self):
        data = super().clean()
        if "amount" in data and "kind" in data:
            for field, message in services.manual_entry_errors(
                kind=data["kind"], amount=data["amount"], reason=data.get("reason", "")
            ).items():
                self.add_error(field, message)
        return data


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """Append-only: add top-ups, adjustments and refunds here; nothing is ever edited or deleted."""

    list_display = [
        "created_at",
        "merchant",
        "kind",
        "amount",
        "balance_after",
        "currency",
        "period",
        "reason",
        "created_by",
    ]
    list_select_related = ["merchant", "created_by"]
    list_filter = ["kind", "period"]
    search_fields = ["merchant__name", "reference", "reason"]
    autocomplete_fields = ["merchant"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ManualEntryForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["merchant", "kind", "amount", "reference", "reason"]
        return [
            "merchant",
            "kind",
            "amount",
            "balance_after",
            "currency",
            "period",
            "reason",
            "reference",
            "usage_record",
            "created_by",
            "created_at",
        ]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        entry = services.post_manual_entry(
            merchant=data["merchant"],
            kind=data["kind"],
            amount=data["amount"],
            reason=data["reason"],
            reference=data.get("reference") or "",
            created_by=request.user,
        )
        obj.pk, obj.amount, obj.currency = entry.pk, entry.amount, entry.currency  # for the "added" message


# --- caps, usage, statements (read-only) ---------------------------------------------------


@admin.register(BudgetCap)
class BudgetCapAdmin(ReadOnlyAdmin):
    list_display = [
        "merchant",
        "monthly_limit",
        "daily_limit",
        "countries_follow_stores",
        "allowed_countries",
        "updated_at",
    ]
    list_select_related = ["merchant"]
    search_fields = ["merchant__name"]


@admin.register(ChannelCap)
class ChannelCapAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "channel", "monthly_limit", "daily_limit"]
    list_select_related = ["merchant"]


@admin.register(CapAlert)
class CapAlertAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "merchant",
        "scope",
        "channel",
        "period_start",
        "threshold",
        "limit",
        "spent",
        "emailed_at",
    ]
    list_select_related = ["merchant"]
    list_filter = ["scope", "threshold"]


@admin.register(SpendCounter)
class SpendCounterAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "scope", "period_start", "channel", "amount_used", "amount_reserved", "free_used"]
    list_select_related = ["merchant"]
    list_filter = ["scope"]


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "merchant", "message_ref", "status", "channel", "country", "quantity", "amount"]
    list_select_related = ["merchant"]
    list_filter = ["status", "channel"]
    search_fields = ["message_ref"]


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "merchant",
        "message_ref",
        "channel",
        "country",
        "message_class",
        "quantity",
        "unit_price",
        "amount",
        "price_book",
        "period",
    ]
    list_select_related = ["merchant", "price_book"]
    list_filter = ["channel", "message_class", "period"]
    search_fields = ["message_ref", "merchant__name"]
    date_hierarchy = "created_at"


class StatementLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = StatementLine
    extra = 0
    fields = [
        "position",
        "kind",
        "description",
        "channel",
        "country",
        "message_class",
        "messages",
        "units",
        "included_units",
        "amount",
    ]
    readonly_fields = fields


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = [
        "month",
        "merchant",
        "plan_name",
        "plan_fee",
        "usage_amount",
        "adjustments",
        "total",
        "closing_balance",
        "closed_at",
    ]
    list_select_related = ["merchant"]
    list_filter = ["month"]
    search_fields = ["merchant__name"]
    inlines = [StatementLineInline]
