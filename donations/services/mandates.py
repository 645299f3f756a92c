"""A new payment method for a running gift: a new mandate, the subscription moved onto it.

The donor makes a verification payment through Mollie's checkout (a `first` payment of the
smallest amount Mollie takes, VERIFICATION_AMOUNT) with the new bank account or card; Mollie
makes a mandate from it. When it is paid, the Mollie subscription is moved to that mandate
(subscription update with `mandateId`), the verification is refunded, and the old mandate is
revoked as soon as no charge on it is still pending (reconciliation retries that).

Why a refunded cent and not "the first payment is this month's gift": the gift keeps its
rhythm, its amount and its Mollie subscription, so no second subscription exists even for a
moment and nothing is charged twice even when a charge falls due on the day of the change (the
subscription may charge the old mandate that morning; the cent is not a gift). The donor sees
one cent leave and come back, which the page and the email say in advance.
"""

import contextlib
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import Actor
from core.db import locked

from .. import audit, gateway
from ..audit import gift_audit
from ..events import GiftEvent, gift_event_announce
from ..exceptions import GiftNotChangeable, PaymentProviderRefused
from ..lifecycle import MANDATE_START
from ..models import (
    BankMandate,
    GiftChange,
    GiftPhase,
    MandateChange,
    Payment,
    PaymentStatus,
    SequenceType,
    Subscription,
    SubscriptionStatus,
)
from .changes import gift_change, subscription_apply_mollie
from .common import webhook_url
from .subscriptions import restart_claimed, subscription_mandate

VERIFICATION_AMOUNT = Decimal("0.01")
UNFINISHED = (PaymentStatus.OPEN, PaymentStatus.PENDING, PaymentStatus.AUTHORIZED)


def mandate_change_start(
    *, subscription: Subscription, return_url: Callable[[str], str], language: str, actor: Actor
) -> tuple[MandateChange, str]:
    """Begin a payment-method change; return it and the Mollie checkout URL to send the donor.

    `return_url(token)` is where Mollie sends the donor back. Raises GiftNotChangeable for a
    gift that is not running, PaymentProviderError when Mollie cannot make the payment (the
    change is then marked failed).
    """
    subscription.refresh_from_db()
    if subscription.phase not in MANDATE_START.accepts:
        raise GiftNotChangeable(MANDATE_START.refusal_in(subscription.phase))
    try:
        old_mandate = subscription_mandate(subscription)
    except PaymentProviderRefused:
        old_mandate = ""  # nothing known to revoke afterwards
    change = MandateChange.objects.create(subscription=subscription, old_mandate_id=old_mandate)
    with translation.override(language):
        description = _("Payment method check for your gift to %(name)s") % {
            "name": settings.SITE_NAME
        }
    try:
        data = gateway.payment_create(
            amount=VERIFICATION_AMOUNT,
            description=description,
            redirect_url=return_url(change.public_token),
            webhook_url=webhook_url(),
            metadata={"mandate_change_id": change.pk},
            language=language,
            idempotency_key=f"mandate-change-{change.pk}",
            customer_id=subscription.customer_id,
            first_of_subscription=True,
        )
    except Exception:
        MandateChange.objects.filter(pk=change.pk).update(status=MandateChange.Status.FAILED)
        raise
    with transaction.atomic():
        payment = Payment.objects.create(
            mollie_id=data.id,
            subscription=subscription,
            supporter_id=subscription.supporter_id,
            status=data.status,
            sequence_type=SequenceType.FIRST,
            amount=data.amount,
            is_verification=True,
            mollie_data=data.raw,
            synced_at=timezone.now(),
        )
        MandateChange.objects.filter(pk=change.pk).update(payment=payment)
        gift_audit(
            actor, audit.SUBSCRIPTION_METHOD, subscription, subscription=subscription.mollie_id
        )
    change.payment = payment
    return change, data.checkout_url


# A webhook waits this long for another change of the gift, then answers 503 (Mollie calls
# again later; reconciliation finishes the change in any case).
FOLLOW_WAIT_SECONDS = 5


def mandate_change_follow(*, payment: Payment) -> MandateChange | None:
    """After the verification `payment` changed: finish the change when it is paid (move the
    subscription, refund, revoke), mark it failed when it did not go through.

    Idempotent, so the webhook, the return page and reconciliation may all call it; it runs as
    one change of the gift (donations/services/changes.py). Raises GiftBusy when another
    change of the gift does not finish in time.
    """
    change = MandateChange.objects.filter(payment=payment).first()
    if change is None or change.status != MandateChange.Status.STARTED:
        return change
    if payment.status in UNFINISHED:
        return change
    if payment.status != PaymentStatus.PAID:
        MandateChange.objects.filter(pk=change.pk).update(status=MandateChange.Status.FAILED)
        change.status = MandateChange.Status.FAILED
        return change
    with gift_change(
        change.subscription, GiftChange.Kind.MANDATE, wait=FOLLOW_WAIT_SECONDS
    ) as claim:
        change.refresh_from_db()
        if change.status != MandateChange.Status.STARTED:  # finished by another caller meanwhile
            claim.nothing_to_do()
            return change
        gift = claim.subscription
        new_mandate = payment.mandate_id
        gateway.refund_create(
            mollie_id=payment.mollie_id,
            amount=payment.amount,
            description=f"{settings.SITE_NAME} payment method check",
            idempotency_key=f"mandate-change-{change.pk}-refund",
        )
        if not gift.is_active:  # stopped meanwhile: the new mandate is not needed at all
            if new_mandate:
                with contextlib.suppress(PaymentProviderRefused):
                    gateway.mandate_revoke(customer_id=gift.customer_id, mandate_id=new_mandate)
            MandateChange.objects.filter(pk=change.pk).update(status=MandateChange.Status.FAILED)
            change.status = MandateChange.Status.FAILED
            return change
        data = None
        if new_mandate and gift.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING):
            data = gateway.subscription_update(
                customer_id=gift.customer_id, mollie_id=gift.mollie_id, mandate_id=new_mandate
            )
        with locked(Subscription, gift.pk) as gift, locked(MandateChange, change.pk) as change:
            if data is not None:
                subscription_apply_mollie(gift, data)
            else:
                # Paused or suspended: the Mollie subscription made next (when the pause ends,
                # or the restart below) is pinned to it.
                gift.mandate_id = new_mandate or gift.mandate_id
            gift.notice_due = True  # the first charge on the new mandate is announced
            gift.save(update_fields=["mandate_id", "notice_due"])
            change.status = MandateChange.Status.DONE
            change.new_mandate_id = new_mandate
            change.completed_at = timezone.now()
            change.save(update_fields=["status", "new_mandate_id", "completed_at"])
            # A mandate by IBAN the gift charged ends with the move (and its stop link).
            BankMandate.objects.filter(donation_id=gift.donation_id).exclude(
                mollie_id=new_mandate
            ).end(BankMandate.End.REPLACED)
            gift_event_announce(GiftEvent.PAYMENT_METHOD_CHANGED, subscription=gift)
        if gift.phase in (GiftPhase.SUSPENDED, GiftPhase.HALTED):
            restart_claimed(gift)
        old_mandates_revoke_claimed(gift)
    return change


def old_mandates_revoke(*, subscription: Subscription) -> int:
    """Revoke the mandates finished changes left behind (reconciliation's part): as one change
    of the gift, not waiting for another. Returns how many were dealt with."""
    with gift_change(subscription, GiftChange.Kind.MANDATE, wait=0) as claim:
        revoked = old_mandates_revoke_claimed(claim.subscription)
        if not revoked:
            claim.nothing_to_do()
        return revoked


def old_mandates_revoke_claimed(gift: Subscription) -> int:
    """Revoke the mandates finished changes left behind, once no charge on the gift is still
    pending (a direct debit in flight on the old mandate must be allowed to settle). A mandate
    that the gift or another running gift still charges is kept. The caller holds the claim."""
    if gift.payments.filter(status__in=UNFINISHED, is_verification=False).exists():
        return 0
    revoked = 0
    waiting = gift.mandate_changes.filter(
        status=MandateChange.Status.DONE, old_mandate_revoked_at__isnull=True
    )
    for change in waiting:
        old = change.old_mandate_id
        in_use = Subscription.objects.active().filter(mandate_id=old).exists()
        if old and old != change.new_mandate_id and not in_use:
            # Refused: revoked already (by Mollie, staff or an earlier try).
            with contextlib.suppress(PaymentProviderRefused):
                gateway.mandate_revoke(customer_id=gift.customer_id, mandate_id=old)
        MandateChange.objects.filter(pk=change.pk).update(old_mandate_revoked_at=timezone.now())
        revoked += 1
    return revoked
