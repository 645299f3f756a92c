from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .emails import login_code_email
from .models import EmailLog, Supporter


@admin.register(Supporter)
class SupporterAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "language", "created_at", "mollie_customer_id"]
    list_filter = ["language", "created_at"]
    search_fields = ["email", "name", "mollie_customer_id"]
    date_hierarchy = "created_at"
    readonly_fields = ["mollie_customer_id", "created_at"]
    actions = ["send_login_code"]

    @admin.action(description=_("Email a login code to the selected supporters"))
    def send_login_code(self, request, queryset):
        sent = 0
        for supporter in queryset:
            if login_code_email(supporter=supporter, language=supporter.language):
                sent += 1
        self.message_user(
            request,
            ngettext("Login code sent to %d supporter.", "Login codes sent to %d supporters.", sent)
            % sent,
            messages.SUCCESS,
        )


@admin.register(EmailLog)
class EmailLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "to", "subject", "status", "sent_at"]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["to", "event_key", "subject"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]
