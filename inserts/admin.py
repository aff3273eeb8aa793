"""Back office for insert cards: sheets and scans, read-only (cards are made by merchants on their page)."""

from django.contrib import admin

from .models import CardBatch, CardScan


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CardBatch)
class CardBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "merchant", "kind", "store", "language", "card_count", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["merchant", "store"]


@admin.register(CardScan)
class CardScanAdmin(ReadOnlyAdmin):
    list_display = ["id", "merchant", "card_id", "scanned_at", "target"]
    list_select_related = ["merchant"]
    fields = ["merchant", "card", "scanned_at", "user_agent", "target"]
    raw_id_fields = ["card"]
