"""The supporter in the admin: one page with their details, gifts and emails."""

from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyInline
from core.models import EmailLog
from donations.models import Donation

from .emails import login_code_email
from .models import Supporter


class SupporterDonationInline(ReadOnlyInline, admin.TabularInline):
    model = Donation
    fields = readonly_fields = ["created_at", "amount", "frequency", "language", "start_error"]


class SupporterEmailInline(ReadOnlyInline, GenericTabularInline):
    model = EmailLog
    ct_field = "recipient_type"
    ct_fk_field = "recipient_id"
    fields = readonly_fields = ["created_at", "kind", "to", "subject", "status", "sent_at"]
    ordering = ["-created_at"]


@admin.register(Supporter)
class SupporterAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "language", "created_at", "mollie_customer_id"]
    list_filter = ["language", "created_at"]
    search_fields = ["email", "name", "mollie_customer_id"]
    date_hierarchy = "created_at"
    readonly_fields = ["mollie_customer_id", "created_at"]
    inlines = [SupporterDonationInline, SupporterEmailInline]
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
