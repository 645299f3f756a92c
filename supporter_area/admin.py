"""The supporter in the admin: one page with their details, what they gave, their regular gift
and its state, their periodic gift agreement, the emails they got and the audit trail."""

from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.actors import actor_of
from core.admin import NeverAdded, ReadOnlyInline
from core.models import AuditEvent, EmailLog
from donations import selectors as gifts
from donations.exceptions import PaymentProviderError
from donations.models import (
    PAYMENT_HISTORY_COLUMNS,
    Donation,
    Payment,
    PeriodicAgreement,
    Subscription,
)
from supporters.emails import login_code_email
from supporters.models import Supporter
from supporters.services import supporter_update_profile

from .privacy import supporter_erase


class SupporterDonationInline(ReadOnlyInline, admin.TabularInline):
    model = Donation
    fields = readonly_fields = ["created_at", "amount", "frequency", "language", "start_error"]


class SupporterPaymentInline(ReadOnlyInline, admin.TabularInline):
    model = Payment
    fk_name = "supporter"
    verbose_name_plural = _("every gift")
    fields = readonly_fields = PAYMENT_HISTORY_COLUMNS
    ordering = ["-created_at"]


class SupporterSubscriptionInline(ReadOnlyInline, admin.TabularInline):
    model = Subscription
    fields = readonly_fields = [
        "mollie_id",
        "amount",
        "interval",
        "state",
        "status",
        "next_payment_date",
        "paused_until",
        "failed_in_a_row",
        "started_at",
        "canceled_at",
    ]

    @admin.display(description=_("state"))
    def state(self, obj: Subscription) -> str:
        return obj.get_state_display()


class SupporterAgreementInline(ReadOnlyInline, admin.TabularInline):
    model = PeriodicAgreement
    fields = readonly_fields = [
        "transaction_number",
        "yearly_amount",
        "years",
        "start_date",
        "status",
        "signed_at",
    ]


class SupporterEmailInline(ReadOnlyInline, GenericTabularInline):
    model = EmailLog
    ct_field = "recipient_type"
    ct_fk_field = "recipient_id"
    fields = readonly_fields = ["created_at", "kind", "to", "subject", "status", "sent_at"]
    ordering = ["-created_at"]


@admin.register(Supporter)
class SupporterAdmin(NeverAdded, admin.ModelAdmin):
    list_display = ["email", "name", "language", "created_at"]
    list_filter = ["language", "created_at"]
    search_fields = ["email", "name", "donations__mollie_customer_id"]
    date_hierarchy = "created_at"
    # The address is how a supporter logs in: staff who could change it could give any
    # donor's area to a mailbox of their choosing. The supporter changes it (with a code sent
    # to the new address); staff do not. The other dates are facts, not settings.
    readonly_fields = ["email", "created_at", "code_login_at"]
    inlines = [
        SupporterSubscriptionInline,
        SupporterAgreementInline,
        SupporterPaymentInline,
        SupporterDonationInline,
        SupporterEmailInline,
    ]
    actions = ["send_login_code", "erase"]

    def save_model(self, request, obj, form, change) -> None:
        """Through the supporters' service, so that the change is in the audit trail."""
        supporter_update_profile(
            supporter=obj,
            name=form.cleaned_data["name"],
            language=form.cleaned_data["language"],
            actor=actor_of(request),
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        # A supporter leaves through erasure (in the area, or the "erase" action here), which
        # ends their gifts at Mollie first and keeps the bookkeeping; deleting the row would
        # do neither.
        return False

    def has_erase_permission(self, request) -> bool:
        return request.user.has_perm("supporters.delete_supporter")

    @admin.action(
        description=_("Erase the selected supporters (on their request)"), permissions=["erase"]
    )
    def erase(self, request, queryset):
        erased = 0
        for supporter in queryset:
            try:
                supporter_erase(supporter=supporter, actor=actor_of(request))
            except PaymentProviderError:
                self.message_user(
                    request,
                    _(
                        "%(email)s: a regular gift could not be stopped at Mollie; nothing was "
                        "erased. Try again later."
                    )
                    % {"email": supporter.email},
                    messages.ERROR,
                )
                continue
            erased += 1
        if erased:
            self.message_user(
                request,
                ngettext("%d supporter erased.", "%d supporters erased.", erased) % erased,
                messages.SUCCESS,
            )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        supporter = self.get_object(request, object_id)
        user = request.user
        if supporter is not None:
            # Each part only for who may read it elsewhere too.
            extra_context = dict(extra_context or {})
            if user.has_perm("donations.view_payment"):
                extra_context["totals"] = gifts.supporter_totals(supporter=supporter)
            if user.has_perm("core.view_auditevent"):
                extra_context["audit_events"] = AuditEvent.objects.filter(
                    supporter_id=supporter.pk
                )[:100]
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(
        description=_("Email a login code to the selected supporters"), permissions=["change"]
    )
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
