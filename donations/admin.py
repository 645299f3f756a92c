"""Staff admin for gifts. Mollie's data is read-only here; changes go through the services."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.actors import actor_of
from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.money import parse_amount
from core.spreadsheet import csv_lines

from . import services
from .bank import iban_clean, iban_fingerprint
from .exceptions import GiftError, PaymentProviderError
from .models import (
    PAYMENT_COLUMNS,
    BankMandate,
    BankTransfer,
    Donation,
    GiftChange,
    MandateChange,
    Payment,
    PeriodicAgreement,
    Subscription,
)

MOLLIE_PAYMENT_FIELDS = [
    *PAYMENT_COLUMNS,
    "donation",
    "subscription",
    "supporter",
    "failed_at",
    "bank_reason_code",
    "recovery",
    "retry_due_on",
    "retry_of",
    "synced_at",
    "mollie_data",
    "recorded_by",
    "agreement",
]


class PaymentInline(ReadOnlyInline, admin.TabularInline):
    model = Payment
    fk_name = "donation"
    fields = ["mollie_id", "status", "sequence_type", "amount", "amount_refunded", "paid_at"]
    readonly_fields = fields


@admin.register(Donation)
class DonationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "supporter",
        "amount",
        "frequency",
        "route",
        "language",
        "start_error",
    ]
    list_filter = ["frequency", "route", "language", "created_at"]
    search_fields = ["supporter__email", "supporter__name", "public_token"]
    date_hierarchy = "created_at"
    list_select_related = ["supporter"]
    inlines = [PaymentInline]


@admin.register(BankMandate)
class BankMandateAdmin(ReadOnlyAdmin):
    """Mandates given with an IBAN, apart from the ones Mollie made from a first payment:
    anyone can type an account that is not theirs, so staff can see each one, its first
    collection and how it ended. Only the masked account is ever stored."""

    list_display = [
        "reference",
        "created_at",
        "donor",
        "iban_masked",
        "status",
        "first_collection_on",
        "notice_sent_at",
        "end",
    ]
    list_filter = ["status", "end", "created_at", "first_collection_on"]
    search_fields = ["reference", "mollie_id", "donation__supporter__email"]
    date_hierarchy = "created_at"
    list_select_related = ["donation__supporter"]
    fields = [
        "reference",
        "mollie_id",
        "donation",
        "iban_masked",
        "holder_name",
        "signed_on",
        "first_collection_on",
        "notice_sent_at",
        "status",
        "end",
        "ended_at",
        "revoked_at",
        "created_at",
    ]

    @admin.display(description=_("donor"), ordering="donation__supporter__email")
    def donor(self, mandate: BankMandate) -> str:
        return mandate.donation.supporter.email

    def get_search_results(self, request, queryset, search_term):
        """Typing an IBAN finds the mandates of that account (by its keyed hash: the account
        itself is not kept)."""
        try:
            iban = iban_clean(search_term)
        except ValidationError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(iban_fingerprint=iban_fingerprint(iban)), False


class RefundForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount to refund"),
        required=False,
        help_text=_("Leave empty to refund everything that is left."),
    )

    def clean_amount(self) -> Decimal | None:
        value = self.cleaned_data["amount"]
        if not value.strip():
            return None
        return parse_amount(value, minimum=Decimal("0.01"), maximum=Decimal("999999.99"))


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "mollie_id",
        "created_at",
        "supporter",
        "amount",
        "status",
        "sequence_type",
        "amount_refunded",
        "amount_charged_back",
        "paid_at",
    ]
    list_filter = ["status", "origin", "sequence_type", "recovery", "created_at", "paid_at"]
    search_fields = [
        "mollie_id",
        "supporter__email",
        "supporter__name",
        "bank_reason_code",
        "reference",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["supporter"]
    fields = MOLLIE_PAYMENT_FIELDS
    actions = ["refund", "void"]

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm("donations.refund_payment")

    def has_void_permission(self, request) -> bool:
        return request.user.has_perm("donations.record_gift")

    @admin.action(description=_("Undo recorded gifts (not through Mollie)"), permissions=["void"])
    def void(self, request, queryset):
        """A recorded gift staff got wrong stops counting; a transfer it came from waits again."""
        done = 0
        for payment in queryset:
            try:
                services.gift_void(payment_id=payment.pk, actor=actor_of(request))
                done += 1
            except GiftError as error:
                self.message_user(request, f"{payment}: {error}", messages.ERROR)
        if done:
            self.message_user(
                request,
                ngettext("%d recorded gift undone.", "%d recorded gifts undone.", done) % done,
                messages.SUCCESS,
            )

    @admin.action(description=_("Refund through Mollie"), permissions=["refund"])
    def refund(self, request, queryset):
        payments = list(queryset.select_related("supporter"))
        form = RefundForm(request.POST if "confirm" in request.POST else None)
        if "confirm" in request.POST and form.is_valid():
            amount = form.cleaned_data["amount"]
            if amount is not None and len(payments) > 1:
                self.message_user(
                    request,
                    _("A partial amount can only be refunded for one payment at a time."),
                    messages.ERROR,
                )
                return None
            done = 0
            actor = actor_of(request)
            for payment in payments:
                try:
                    services.payment_refund(payment=payment, amount=amount, actor=actor)
                    done += 1
                except (PaymentProviderError, GiftError) as error:
                    self.message_user(request, f"{payment}: {error}", messages.ERROR)
            if done:
                self.message_user(
                    request,
                    ngettext("%d payment refunded.", "%d payments refunded.", done) % done,
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refund payments"),
            "payments": payments,
            "form": form,
            "action": "refund",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "donations/staff/refund_confirm.html", context)


class GiftChangeInline(ReadOnlyInline, admin.TabularInline):
    model = GiftChange
    fields = readonly_fields = ["created_at", "kind", "status", "finished_at", "error"]
    ordering = ["-created_at"]
    show_change_link = False  # the list is all there is to see of one


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = [
        "mollie_id",
        "supporter",
        "amount",
        "rhythm",
        "state",
        "next_payment_date",
        "paused_until",
        "failed_in_a_row",
        "started_at",
        "canceled_at",
    ]
    list_filter = [
        "status",
        "interval",
        ("attention_since", admin.EmptyFieldListFilter),
        "started_at",
        "canceled_at",
    ]
    search_fields = ["mollie_id", "supporter__email", "supporter__name", "customer_id"]
    date_hierarchy = "started_at"
    list_select_related = ["supporter"]
    actions = ["cancel", "attention_done"]
    inlines = [GiftChangeInline]

    def has_attention_permission(self, request) -> bool:
        return request.user.has_perm("donations.cancel_subscription")

    @admin.action(
        description=_("Mark as dealt with (no longer to look at)"), permissions=["attention"]
    )
    def attention_done(self, request, queryset):
        done = services.gifts_attention_done(subscriptions=queryset, actor=actor_of(request))
        self.message_user(
            request,
            ngettext("%d gift marked as dealt with.", "%d gifts marked as dealt with.", done)
            % done,
            messages.SUCCESS,
        )

    @admin.display(description=_("how often"), ordering="interval")
    def rhythm(self, subscription: Subscription) -> str:
        return subscription.get_frequency_display()

    @admin.display(description=_("state"))
    def state(self, obj: Subscription) -> str:
        return obj.get_state_display()

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("donations.cancel_subscription")

    @admin.action(description=_("Stop the regular gift at Mollie"), permissions=["cancel"])
    def cancel(self, request, queryset):
        if "confirm" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "title": _("Stop regular gifts"),
                "subscriptions": list(queryset.select_related("supporter")),
                "action": "cancel",
                "opts": self.model._meta,
            }
            return TemplateResponse(request, "donations/staff/cancel_confirm.html", context)
        stopped = 0
        actor = actor_of(request)
        for subscription in queryset:
            try:
                services.subscription_cancel(subscription=subscription, actor=actor)
                stopped += 1
            except (PaymentProviderError, GiftError) as error:
                self.message_user(request, f"{subscription.mollie_id}: {error}", messages.ERROR)
        if stopped:
            self.message_user(
                request,
                ngettext("%d regular gift stopped.", "%d regular gifts stopped.", stopped)
                % stopped,
                messages.SUCCESS,
            )
        return None


AGREEMENT_FIELDS = [
    "transaction_number",
    "status",
    "signed_at",
    "yearly_amount",
    "years",
    "start_date",
    *services.DONOR_FIELDS,
]
AGREEMENT_COLUMNS = [*AGREEMENT_FIELDS, "supporter_email", "subscription"]


@admin.register(PeriodicAgreement)
class PeriodicAgreementAdmin(ReadOnlyAdmin):
    list_display = [
        "transaction_number",
        "supporter",
        "yearly_amount",
        "years",
        "start_date",
        "status",
        "signed_at",
    ]
    list_filter = ["status", "years", "signed_at"]
    search_fields = ["transaction_number", "supporter__email", "donor_surname"]
    date_hierarchy = "signed_at"
    list_select_related = ["supporter", "subscription"]
    actions = ["export_csv"]

    @admin.action(description=_("Export the selected agreements (CSV)"), permissions=["view"])
    def export_csv(self, request, queryset):
        rows = (
            [
                *(getattr(a, name) for name in AGREEMENT_FIELDS),
                a.supporter.email,
                a.subscription.mollie_id if a.subscription else "",
            ]
            for a in queryset.select_related("supporter", "subscription").iterator()
        )
        response = StreamingHttpResponse(
            csv_lines(AGREEMENT_COLUMNS, rows), content_type="text/csv"
        )
        response["Content-Disposition"] = 'attachment; filename="periodic-gift-agreements.csv"'
        return response


@admin.register(MandateChange)
class MandateChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "subscription",
        "status",
        "completed_at",
        "old_mandate_revoked_at",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["subscription__mollie_id", "subscription__supporter__email"]
    list_select_related = ["subscription"]


@admin.register(BankTransfer)
class BankTransferAdmin(ReadOnlyAdmin):
    """Transfers read from imported statements; staff decide on waiting ones on the statement
    page (Staff → Bank statements and transfers)."""

    list_display = ["booked_on", "amount", "payer_name", "payer_account", "status", "payment"]
    list_filter = ["status", "booked_on"]
    search_fields = ["payer_name", "remittance", "key"]
    date_hierarchy = "booked_on"
    fields = [
        "key",
        "booked_on",
        "amount",
        "currency",
        "remittance",
        "payer_name",
        "payer_account",
        "status",
        "payment",
        "statement_name",
        "imported_at",
        "decided_at",
    ]
