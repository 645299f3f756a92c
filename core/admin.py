"""The audit trail in the admin: readable by staff, changeable by nobody."""

from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "action", "subject_type", "subject_id", "supporter_id"]
    list_filter = ["action", "actor_kind", "at"]
    search_fields = ["subject_id", "actor_label", "=supporter_id"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
