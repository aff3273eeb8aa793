from django.contrib import admin

from .models import BreakerTrip, Notice


@admin.register(BreakerTrip)
class BreakerTripAdmin(admin.ModelAdmin):
    list_display = ["tripped_at", "merchant", "account", "rule", "rate", "threshold", "numerator", "denominator"]
    list_filter = ["rule"]
    list_select_related = ["merchant", "account"]
    readonly_fields = [f.name for f in BreakerTrip._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "merchant", "kind", "key", "level", "read_at", "emailed_at"]
    list_filter = ["kind", "level"]
    list_select_related = ["merchant"]
    search_fields = ["=key"]
    readonly_fields = [f.name for f in Notice._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
