"""The emails a donor gets about their gifts (sent by `receivers` on the donations app's
events), and the one that confirms an erasure.

All go through the site's outbox (`core.outbox`): queued once per event in the caller's
transaction, sent by the task worker after it commits. Each one carries the links into the
supporter area, and a fresh login code where it invites the donor in; both are added at sending
time by the `supporter` preparer (`supporter_email_context`), so a code never waits in the
database.
"""

from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.models import EmailLog
from core.names import person_name_or_blank
from core.outbox import context_preparer, email_deliver, email_queue
from donations import services as gift_services
from supporters.models import LoginCode, Supporter
from supporters.services import login_code_context

SUPPORTER_CONTEXT = "supporter"
MANDATE_NOTICE_CONTEXT = "supporter-mandate-notice"


@context_preparer(SUPPORTER_CONTEXT)
def supporter_email_context(*, recipient: Supporter | None, context: dict) -> dict:
    """What every email about a supporter's gifts gets at sending time: the links into the
    area and, when it asks for one (`login_code_purpose`), a login code made now."""
    base = settings.PUBLIC_BASE_URL
    login = base + reverse("supporters:login")
    method = urlencode({"next": reverse("supporters:payment_method")})
    return {
        "supporter_area_url": base + reverse("supporters:home"),
        # After a login code, straight to "a new payment method" (the login keeps `next`).
        "payment_method_url": f"{login}?{method}",
        **login_code_context(recipient=recipient, context=context),
    }


def mandate_notice_sent(*, recipient, context: dict) -> None:
    gift_services.mandate_notice_sent(mandate_id=context["mandate_id"])


@context_preparer(MANDATE_NOTICE_CONTEXT, after_sent=mandate_notice_sent)
def mandate_notice_context(*, recipient: Supporter | None, context: dict) -> dict:
    """A mandate's notice: the links into the area, and what the donations app makes when the
    notice goes out (the first collection, the "this was not me" link). Once it has gone out,
    the gift's collections may begin."""
    return {
        **supporter_email_context(recipient=recipient, context=context),
        **gift_services.mandate_notice_details(mandate_id=context["mandate_id"]),
    }


def supporter_email_queue(
    *,
    supporter: Supporter,
    event_key: str,
    template: str,
    subject: str,
    context: dict,
    language: str | None = None,
    deliver: bool = True,
    prepare: str = SUPPORTER_CONTEXT,
) -> EmailLog | None:
    """Queue an email to `supporter` in their language unless told otherwise; None when that
    event's email was queued already."""
    return email_queue(
        event_key=event_key,
        to=supporter.email,
        language=language or supporter.language,
        template=template,
        subject=subject,
        context=context,
        recipient=supporter,
        prepare=prepare,
        deliver=deliver,
    )


def erasure_confirmation_send(*, supporter: Supporter) -> bool:
    """Send, right now and not through the worker, the confirmation that data is being erased.

    Sent before the address itself is erased, so it cannot wait for a later delivery.
    """
    log = supporter_email_queue(
        event_key=f"erased:{supporter.pk}",
        supporter=supporter,
        template="supporters/erased",
        subject=_("Your data has been erased"),
        context={"name": person_name_or_blank(supporter.name)},
        deliver=False,
    )
    return log is not None and email_deliver(log_id=log.pk)


# --- What happened to a gift (sent by receivers on the donations app's events) -------------
# `gift` is the donations app's payment or subscription row; only its fields are read. The
# event key is the kind and Mollie's id, so each email goes out once per payment or gift.


def _about_gift(
    kind: str, gift, *, subject: str, key: str = "", language: str | None = None, **context
) -> None:
    supporter_email_queue(
        event_key=f"{kind}:{gift.mollie_id}{key}",
        supporter=gift.supporter,
        template="donations/" + kind.replace("-", "_"),
        subject=subject,
        context={
            "name": person_name_or_blank(gift.supporter.name),
            "amount": gift.amount,
            **context,
        },
        language=language,
    )


def thanks_oneoff(*, payment) -> None:
    _about_gift(
        "thanks-oneoff",
        payment,
        subject=_("Thank you for your gift"),
        login_code_purpose=LoginCode.Purpose.LOGIN,
        language=payment.donation.language if payment.donation else None,
    )


def welcome_monthly(*, subscription) -> None:
    _about_gift(
        "welcome-monthly",
        subscription,
        subject=_("Welcome as a regular supporter"),
        day_of_month=subscription.start_date.day,
        start_date=subscription.start_date,
        login_code_purpose=LoginCode.Purpose.LOGIN,
        language=subscription.donation.language,
    )


def charge_failed(*, payment) -> None:
    _about_gift("charge-failed", payment, subject=_("Your regular gift could not be collected"))


def amount_changed(*, subscription, previous: Decimal) -> None:
    _about_gift(
        "amount-changed",
        subscription,
        subject=_("Your regular gift has changed"),
        # Each change is its own event: the time Mollie's answer was applied tells them apart.
        key=f":{subscription.synced_at.isoformat()}",
        previous=previous,
        next_payment_date=subscription.next_payment_date,
    )


def monthly_stopped(*, subscription) -> None:
    _about_gift("monthly-stopped", subscription, subject=_("Your regular gift has stopped"))


def charged_back(*, payment) -> None:
    _about_gift(
        "charged-back",
        payment,
        subject=_("Your bank has reversed a gift"),
        key=f":{payment.amount_charged_back}",
        amount_charged_back=payment.amount_charged_back,
    )


def monthly_paused(*, subscription) -> None:
    _about_gift(
        "monthly-paused",
        subscription,
        subject=_("Your gift is paused"),
        key=f":{subscription.paused_until.isoformat()}",
        paused_until=subscription.paused_until,
    )


def monthly_resumed(*, subscription, next_charge=None) -> None:
    next_charge = next_charge or subscription.next_payment_date
    _about_gift(
        "monthly-resumed",
        subscription,
        subject=_("Your gift continues"),
        key=f":{next_charge}",
        next_payment_date=next_charge,
    )


def monthly_suspended(*, subscription) -> None:
    _about_gift(
        "monthly-suspended",
        subscription,
        subject=_("Your gift needs a new payment method"),
        key=f":{subscription.synced_at.isoformat()}",
    )


def payment_method_changed(*, subscription) -> None:
    _about_gift(
        "payment-method-changed",
        subscription,
        subject=_("Your new payment method is set"),
        key=f":{subscription.synced_at.isoformat()}",
        next_payment_date=subscription.next_payment_date,
    )


def charge_upcoming(*, subscription, charge_date) -> None:
    _about_gift(
        "charge-upcoming",
        subscription,
        subject=_("Your next gift is collected soon"),
        key=f":{charge_date.isoformat()}",
        charge_date=charge_date,
    )


def agreement_signed(*, agreement) -> None:
    supporter_email_queue(
        event_key=f"agreement-signed:{agreement.transaction_number}",
        supporter=agreement.supporter,
        template="donations/agreement_signed",
        subject=_("Your periodic gift agreement"),
        context={
            "name": person_name_or_blank(agreement.supporter.name),
            "number": agreement.transaction_number,
            "yearly_amount": agreement.yearly_amount,
            "years": agreement.years,
            "start_date": agreement.start_date,
            "rsin": agreement.organisation_rsin,
        },
    )


def mandate_notice(*, mandate) -> None:
    """The notice of a direct-debit mandate: what was agreed, when the first collection is,
    and a link to stop it all for someone who did not give it."""
    donation = mandate.donation
    supporter = donation.supporter
    supporter_email_queue(
        event_key=gift_services.mandate_notice_key(mandate),
        supporter=supporter,
        template="donations/mandate_notice",
        subject=_("Your direct debit: what we will collect, and when"),
        context={
            "name": person_name_or_blank(supporter.name),
            "mandate_id": mandate.pk,
            "amount": donation.amount,
            "frequency": donation.frequency,
            "reference": mandate.reference,
            "account": mandate.iban_masked,
            "creditor_name": settings.DIRECT_DEBIT_CREDITOR_NAME,
            "creditor_id": settings.DIRECT_DEBIT_CREDITOR_ID,
            "creditor_address": settings.DIRECT_DEBIT_CREDITOR_ADDRESS,
            "signed_on": mandate.signed_on,
            "notice_days": settings.DIRECT_DEBIT_FIRST_NOTICE_DAYS,
        },
        language=donation.language,
        prepare=MANDATE_NOTICE_CONTEXT,
    )


def _after_login(language: str, name: str, **kwargs) -> str:
    """An address in the area that the login page leads on to, in `language`."""
    with translation.override(language):
        login = reverse("supporters:login")
        then = urlencode({"next": reverse(f"supporters:{name}", kwargs=kwargs)})
    return f"{settings.PUBLIC_BASE_URL}{login}?{then}"


def regular_halted(*, subscription, reason: str) -> None:
    """The bank cannot be debited: the gift waits for another account or payment method (the
    reason is put in words when the email is made, in its language)."""
    language = subscription.supporter.language
    _about_gift(
        "regular-halted",
        subscription,
        subject=_("Your bank could not collect your gift"),
        key=f":{reason}:{subscription.synced_at.isoformat()}",
        reason_code=reason,
        new_account_url=_after_login(language, "bank_account", gift=subscription.pk),
        new_method_url=_after_login(language, "payment_method", gift=subscription.pk),
    )


def debit_refused(*, payment) -> None:
    _about_gift(
        "debit-refused", payment, subject=_("Your bank refused a collection"),
        reason_code=payment.bank_reason_code,
    )  # fmt: skip


def mandate_stopped(*, mandate) -> None:
    """Someone used the notice's link: the address is told the mandate and its gift stopped."""
    donation = mandate.donation
    supporter_email_queue(
        event_key=f"mandate-stopped:{mandate.reference}",
        supporter=donation.supporter,
        template="donations/mandate_stopped",
        subject=_("Your direct debit has been stopped"),
        context={
            "name": person_name_or_blank(donation.supporter.name),
            "reference": mandate.reference,
        },
        language=donation.language,
    )
