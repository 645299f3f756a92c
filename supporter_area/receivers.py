"""What the supporter area does when the donations app announces a change to a gift.

Runs inside the transaction that made the change (see donations.events), so each email is
queued exactly when the change commits.
"""

from django.dispatch import receiver

from donations.events import GiftEvent, gift_event
from donations.models import Recovery

from . import emails


@receiver(gift_event, dispatch_uid="supporter_area.gift_emails")
def gift_emails(sender, *, event: GiftEvent, **details) -> None:
    """Thank, welcome, warn, confirm or announce: the email each gift event calls for."""
    payment = details.get("payment")
    subscription = details.get("subscription")
    if event is GiftEvent.PAYMENT_PAID and payment.is_oneoff:
        emails.thanks_oneoff(payment=payment)
    elif event is GiftEvent.PAYMENT_UNSUCCESSFUL and payment.is_recurring:
        _charge_failed(payment)
    elif event is GiftEvent.REGULAR_STARTED:
        emails.welcome_monthly(subscription=subscription)
    elif event is GiftEvent.REGULAR_AMOUNT_CHANGED:
        emails.amount_changed(subscription=subscription, previous=details["previous"])
    elif event is GiftEvent.REGULAR_STOPPED and details.get("notify", True):
        emails.monthly_stopped(subscription=subscription)
    elif event is GiftEvent.PAYMENT_CHARGED_BACK:
        emails.charged_back(payment=payment)
    elif event is GiftEvent.REGULAR_PAUSED:
        emails.monthly_paused(subscription=subscription)
    elif event is GiftEvent.REGULAR_RESUMED:
        emails.monthly_resumed(subscription=subscription, next_charge=details.get("next_charge"))
    elif event is GiftEvent.REGULAR_SUSPENDED:
        emails.monthly_suspended(subscription=subscription)
    elif event is GiftEvent.REGULAR_HALTED and details.get("notify", True):
        emails.regular_halted(subscription=subscription, reason=details["reason"])
    elif event is GiftEvent.MANDATE_GIVEN:
        emails.mandate_notice(mandate=details["mandate"])
    elif event is GiftEvent.MANDATE_STOPPED:
        emails.mandate_stopped(mandate=details["mandate"])
    elif event is GiftEvent.PAYMENT_METHOD_CHANGED:
        emails.payment_method_changed(subscription=subscription)
    elif event is GiftEvent.AGREEMENT_SIGNED:
        emails.agreement_signed(agreement=details["agreement"])
    elif event is GiftEvent.CHARGE_UPCOMING:
        emails.charge_upcoming(subscription=subscription, charge_date=details["charge_date"])


# A returned debit's email follows what the donations app decided to do about it
# (donations/bank_reasons.py): nothing yet while a new attempt is planned or the gift is being
# halted (its own email says so), a word of understanding for a refusal, else the usual one.
QUIET = {Recovery.RETRY_DUE, Recovery.HALTING, Recovery.HALTED, Recovery.HALTED_QUIETLY}


def _charge_failed(payment) -> None:
    if payment.recovery in QUIET:
        return
    if payment.recovery in (Recovery.TOLD, Recovery.FLAGGED):
        emails.debit_refused(payment=payment)
    else:
        emails.charge_failed(payment=payment)
