"""Shared back-office pieces."""

from django.contrib import admin


class ReadOnlyAdminMixin:
    """For rows only services write (ledgers, events, usage): staff look, nobody edits in admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    show_full_result_count = False
