"""What follows when a bank returns a direct debit, by the bank's reason.

A charge of a regular gift that fails (or is charged back) gets a decision while its new status
is stored (`recovery_decide`, in `payment_sync`'s transaction, so the email its event calls for
already knows it): one new attempt later for lack of funds, a halt for an account that cannot
be debited, a friendly word for a refusal, the usual email otherwise (the classes and codes are
in donations/bank_reasons.py). What needs Mollie follows after the commit
(`recovery_follow_up`, called by `payment_sync`), and reconciliation does what is due or left
over (`recoveries_due`): the new attempts whose day has come, halts that Mollie was away for.
Both the halt and the new attempt run as one change of the gift (`gift_change`), so a donor
who stops or changes the gift at the same moment goes first or after, never in between.
"""

import contextlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor
from core.db import locked

from .. import audit, gateway
from ..audit import gift_audit
from ..bank_reasons import CHARGEBACK_DEFAULT_CODE, ReasonClass, reason_class
from ..events import GiftEvent, gift_event_announce
from ..exceptions import GiftError, PaymentProviderError, PaymentProviderRefused
from ..models import (
    ACTIVE_SUBSCRIPTION_STATUSES,
    Attention,
    BankMandate,
    GiftChange,
    Payment,
    PaymentStatus,
    Recovery,
    SequenceType,
    Subscription,
)
from .changes import gift_change, subscription_apply_mollie
from .common import webhook_url
from .subscriptions import cancel_at_mollie

logger = logging.getLogger(__name__)

# A webhook waits this long for another change of the gift before leaving a halt to
# reconciliation (the bank's answer is days old already; a few minutes more do no harm).
FOLLOW_WAIT_SECONDS = 5

REFUSALS = (Recovery.TOLD, Recovery.FLAGGED)


def recovery_decide(payment: Payment, events: list[GiftEvent]) -> list[str]:
    """Decide what follows a charge of a regular gift that has just failed or been charged
    back (`events`, about to be announced). Sets the payment's fields (not saved) and returns
    their names; may mark the gift for staff. Nothing else is done here: it runs in the
    transaction that stores the payment's new status."""
    if (
        not payment.subscription_id
        or payment.sequence_type != SequenceType.RECURRING
        or payment.method != "directdebit"  # a card's failure is no returned debit
    ):
        return []
    if GiftEvent.PAYMENT_UNSUCCESSFUL in events:
        kind = reason_class(payment.bank_reason_code)
        if payment.status != PaymentStatus.FAILED:  # canceled or expired: no bank involved
            kind = ReasonClass.OTHER
    elif GiftEvent.PAYMENT_CHARGED_BACK in events:
        kind = reason_class(payment.bank_reason_code, chargeback=True)
    else:
        return []
    fields = ["recovery"]
    stops_the_account = kind in (ReasonClass.ACCOUNT_UNUSABLE, ReasonClass.DECEASED)
    if stops_the_account and not _still_charged(payment):
        # The gift has moved to another account or payment method since: the old account's
        # return says nothing about the new one.
        kind = ReasonClass.OTHER
    if kind is ReasonClass.NO_FUNDS and payment.retry_of_id is None:
        payment.recovery = Recovery.RETRY_DUE
        returned_on = timezone.localdate(payment.failed_at or timezone.now())
        payment.retry_due_on = returned_on + timedelta(days=settings.DIRECT_DEBIT_RETRY_DAYS)
        fields.append("retry_due_on")
    elif kind in (ReasonClass.ACCOUNT_UNUSABLE, ReasonClass.DECEASED):
        payment.recovery = Recovery.HALTING
        if kind is ReasonClass.DECEASED:
            _attention(payment.subscription_id, Attention.DECEASED)
    elif kind is ReasonClass.REFUSED:
        earlier = (
            Payment.objects.filter(subscription_id=payment.subscription_id, recovery__in=REFUSALS)
            .exclude(pk=payment.pk)
            .exists()
        )
        payment.recovery = Recovery.FLAGGED if earlier else Recovery.TOLD
        if earlier:
            _attention(payment.subscription_id, Attention.REFUSED_TWICE)
    else:
        payment.recovery = Recovery.USUAL
    return fields


def _still_charged(payment: Payment) -> bool:
    """Whether the gift of `payment` still charges the mandate `payment` was taken from."""
    return Subscription.objects.filter(
        pk=payment.subscription_id, mandate_id=payment.mandate_id
    ).exists()


def _attention(subscription_id: int, reason: str) -> None:
    Subscription.objects.filter(pk=subscription_id, attention_since__isnull=True).update(
        attention_since=timezone.now(), attention_reason=reason
    )


def recovery_follow_up(payment: Payment) -> None:
    """After `payment_sync` stored a returned debit: halt the gift now when its account cannot
    be debited, and learn a chargeback's reason from Mollie. Never raises for Mollie or a busy
    gift: reconciliation does what is left (`recoveries_due`)."""
    if payment.recovery == Recovery.HALTING:
        with contextlib.suppress(GiftError, PaymentProviderError):
            gift_halt(payment=payment, wait=FOLLOW_WAIT_SECONDS)
    elif (
        payment.recovery in REFUSALS
        and payment.amount_charged_back
        and not payment.bank_reason_code
    ):
        try:
            codes = [c.reason_code for c in gateway.chargebacks_of(payment.mollie_id)]
        except PaymentProviderError:
            logger.warning("Chargeback reason of %s not known yet", payment.mollie_id)
            return
        code = next((c for c in codes if c), CHARGEBACK_DEFAULT_CODE)
        Payment.objects.filter(pk=payment.pk).update(bank_reason_code=code)
        payment.bank_reason_code = code
        kind = reason_class(code, chargeback=True)
        if kind in (ReasonClass.ACCOUNT_UNUSABLE, ReasonClass.DECEASED) and _still_charged(payment):
            # Reversed as unauthorised (no valid mandate) or for a closed account: the holder
            # did not agree, or cannot be debited; collecting stops at once.
            Payment.objects.filter(pk=payment.pk).update(recovery=Recovery.HALTING)
            payment.recovery = Recovery.HALTING
            with contextlib.suppress(GiftError, PaymentProviderError):
                gift_halt(payment=payment, wait=FOLLOW_WAIT_SECONDS)


def gift_halt(*, payment: Payment, wait: float | None = None) -> Subscription:
    """Stop collecting the gift of `payment`, whose bank said the account cannot be debited:
    its Mollie subscription is canceled and its mandate revoked, and the gift waits (HALTED)
    for a new account or payment method, which starts it again. The donor is told and offered
    one (not when the account holder has died: staff are shown the gift instead).

    Idempotent (a gift halted already, or stopped, is left as it is). Raises GiftBusy and
    PaymentProviderError; the payment then stays HALTING for reconciliation.
    """
    code = payment.bank_reason_code
    quietly = reason_class(code) is ReasonClass.DECEASED
    done = Recovery.HALTED_QUIETLY if quietly else Recovery.HALTED
    with gift_change(payment.subscription, GiftChange.Kind.HALT, wait=wait) as claim:
        gift = claim.subscription
        if claim.unchanged or gift.mandate_id != payment.mandate_id:
            # Halted or stopped already, or moved to another account meanwhile.
            Payment.objects.filter(pk=payment.pk).update(recovery=done)
            claim.nothing_to_do()
            return gift
        with locked(Subscription, gift.pk) as gift:
            # Marked first: should the answer below be lost, settling the change with what
            # Mollie shows (canceled) leaves the gift halted, not stopped.
            gift.halted_reason = code or "?"
            gift.save(update_fields=["halted_reason"])
        data = None
        if gift.status in ACTIVE_SUBSCRIPTION_STATUSES:
            data = cancel_at_mollie(gift)
        mandate_id = gift.mandate_id
        with locked(Subscription, gift.pk) as gift:
            if data is not None:
                subscription_apply_mollie(gift, data, replaced=True)  # halted, not stopped
            gift.paused_until = None
            gift.save(update_fields=["paused_until"])
            Payment.objects.filter(pk=payment.pk).update(recovery=done)
            BankMandate.objects.filter(donation_id=gift.donation_id).end(BankMandate.End.BANK)
            gift_event_announce(
                GiftEvent.REGULAR_HALTED, subscription=gift, notify=not quietly, reason=code
            )
            gift_audit(Actor.system(), audit.SUBSCRIPTION_HALT, gift, reason=code)
        if mandate_id:
            with contextlib.suppress(PaymentProviderRefused):  # revoked already
                gateway.mandate_revoke(customer_id=gift.customer_id, mandate_id=mandate_id)
            BankMandate.objects.filter(mollie_id=mandate_id, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
    return gift


def debit_retry(*, payment: Payment) -> Payment | None:
    """Try a debit returned for lack of funds once more: a recurring payment of the same
    amount on the same mandate, if the gift still runs (else the payment is marked as not
    tried again). Idempotent: the new attempt has a stable idempotency key and one row per
    returned debit. Returns the new attempt, if any. Raises GiftBusy, PaymentProviderError."""
    with gift_change(payment.subscription, GiftChange.Kind.RETRY, wait=0) as claim:
        gift = claim.subscription
        # Only from the account that was short, and only while the gift charges it: after a
        # new account (or a halt) the returned debit is not collected from another.
        moved_on = not payment.mandate_id or payment.mandate_id != gift.mandate_id
        if claim.unchanged or moved_on:
            Payment.objects.filter(pk=payment.pk).update(recovery=Recovery.NOT_RETRIED)
            claim.nothing_to_do()
            return None
        existing = Payment.objects.filter(retry_of=payment).first()
        if existing is None:
            try:
                data = gateway.payment_create_recurring(
                    customer_id=gift.customer_id,
                    mandate_id=payment.mandate_id,
                    amount=payment.amount,
                    description=_("New attempt: gift #%(gift)s to %(name)s")
                    % {"gift": gift.donation_id, "name": settings.SITE_NAME},
                    webhook_url=webhook_url(),
                    metadata={"donation_id": gift.donation_id, "retry_of": payment.pk},
                    idempotency_key=f"payment-{payment.pk}-retry",
                )
            except PaymentProviderRefused as error:
                # The mandate no longer works (revoked at the bank, say): not tried again.
                logger.warning("New attempt of %s refused: %s", payment.mollie_id, error)
                Payment.objects.filter(pk=payment.pk).update(recovery=Recovery.NOT_RETRIED)
                return None
            existing, _created = Payment.objects.get_or_create(
                mollie_id=data.id,
                defaults={
                    "subscription": gift,
                    "supporter_id": gift.supporter_id,
                    "status": data.status,
                    "sequence_type": SequenceType.RECURRING,
                    "amount": data.amount,
                    "method": data.method,
                    "mandate_id": data.mandate_id,
                    "retry_of": payment,
                    "mollie_data": data.raw,
                    "synced_at": timezone.now(),
                },
            )
        Payment.objects.filter(pk=payment.pk).update(recovery=Recovery.RETRIED)
    return existing


def recoveries_due() -> tuple[int, list[str]]:
    """Reconciliation's part: the new attempts whose day has come, and the halts that could
    not be made when the debit came back. Returns how many were dealt with, and the errors."""
    today = timezone.localdate()
    due = Payment.objects.filter(
        Q(recovery=Recovery.RETRY_DUE, retry_due_on__lte=today) | Q(recovery=Recovery.HALTING)
    ).select_related("subscription")
    done, errors = 0, []
    for payment in due:
        try:
            if payment.recovery == Recovery.HALTING:
                gift_halt(payment=payment, wait=0)
            else:
                debit_retry(payment=payment)
        except (GiftError, PaymentProviderError) as error:
            errors.append(f"returned debit {payment.mollie_id}: {error}")
            continue
        done += 1
    return done, errors


def gifts_attention_done(*, subscriptions, actor: Actor) -> int:
    """Staff have looked at these gifts: they leave the list of gifts to look at. Returns how
    many did."""
    done = 0
    for gift_id in subscriptions.filter(attention_since__isnull=False).values_list("pk", flat=True):
        with locked(Subscription, gift_id) as gift:
            if gift.attention_since is None:
                continue
            reason = gift.attention_reason
            gift.attention_since = None
            gift.attention_reason = ""
            gift.save(update_fields=["attention_since", "attention_reason"])
            gift_audit(actor, audit.SUBSCRIPTION_ATTENTION, gift, reason=reason)
            done += 1
    return done
