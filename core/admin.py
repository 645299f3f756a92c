"""The audit trail (readable by staff, changeable by nobody) and the email outbox in the admin."""

from django.contrib import admin

from .models import AuditEvent, EmailLog


class ReadOnlyInline:
    """Mixin for an inline that lists related rows: each links to its own page, none is edited
    or added here."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


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


@admin.register(EmailLog)
class EmailLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "to", "subject", "status", "sent_at"]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["to", "event_key", "subject"]
    date_hierarchy = "created_at"
    fields = readonly_fields = [
        "created_at",
        "sent_at",
        "status",
        "attempts",
        "kind",
        "language",
        "to",
        "subject",
        "event_key",
        "recipient",
        "error",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False
