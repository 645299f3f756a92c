"""The donations app's emails to supporters. Each is queued once per event (see EmailLog)."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from supporters.emails import email_queue
from supporters.models import LoginCode

from .models import Payment, Subscription


def thanks_oneoff(*, payment: Payment) -> None:
    donation = payment.donation
    email_queue(
        event_key=f"thanks-oneoff:{payment.mollie_id}",
        supporter=payment.supporter,
        template="donations/thanks_oneoff",
        subject=_("Thank you for your gift"),
        context={
            "name": payment.supporter.name,
            "amount": payment.amount,
            "login_code_purpose": LoginCode.Purpose.LOGIN,
        },
        language=donation.language if donation else None,
    )


def welcome_monthly(*, subscription: Subscription) -> None:
    email_queue(
        event_key=f"welcome-monthly:{subscription.mollie_id}",
        supporter=subscription.supporter,
        template="donations/welcome_monthly",
        subject=_("Welcome as a monthly supporter"),
        context={
            "name": subscription.supporter.name,
            "amount": subscription.amount,
            "day_of_month": subscription.start_date.day,
            "start_date": subscription.start_date,
            "login_code_purpose": LoginCode.Purpose.LOGIN,
        },
        language=subscription.donation.language,
    )


def charge_failed(*, payment: Payment) -> None:
    email_queue(
        event_key=f"charge-failed:{payment.mollie_id}",
        supporter=payment.supporter,
        template="donations/charge_failed",
        subject=_("Your monthly gift could not be collected"),
        context={"name": payment.supporter.name, "amount": payment.amount},
    )


def amount_changed(*, subscription: Subscription, previous: Decimal) -> None:
    email_queue(
        event_key=(f"amount-changed:{subscription.mollie_id}:{subscription.synced_at.isoformat()}"),
        supporter=subscription.supporter,
        template="donations/amount_changed",
        subject=_("Your monthly gift has changed"),
        context={
            "name": subscription.supporter.name,
            "amount": subscription.amount,
            "previous": previous,
            "next_payment_date": subscription.next_payment_date,
        },
    )


def monthly_stopped(*, subscription: Subscription) -> None:
    email_queue(
        event_key=f"monthly-stopped:{subscription.mollie_id}",
        supporter=subscription.supporter,
        template="donations/monthly_stopped",
        subject=_("Your monthly gift has stopped"),
        context={"name": subscription.supporter.name, "amount": subscription.amount},
    )
