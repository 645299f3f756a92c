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

from .. import gateway
from ..events import GiftEvent, gift_event_announce
from ..exceptions import PaymentProviderRefused
from ..models import (
    MandateChange,
    Payment,
    PaymentStatus,
    SequenceType,
    Subscription,
    SubscriptionStatus,
)
from .common import mollie_amount, webhook_url
from .subscriptions import subscription_apply_mollie, subscription_restart

VERIFICATION_AMOUNT = Decimal("0.01")
UNFINISHED = (PaymentStatus.OPEN, PaymentStatus.PENDING, PaymentStatus.AUTHORIZED)


def mandate_change_start(
    *, subscription: Subscription, return_url: Callable[[str], str], language: str
) -> tuple[MandateChange, str]:
    """Begin a payment-method change; return it and the Mollie checkout URL to send the donor.

    `return_url(token)` is where Mollie sends the donor back. Raises PaymentProviderError when
    Mollie cannot make the payment (the change is then marked failed).
    """
    if not subscription.is_active:
        raise PaymentProviderRefused("Only a running gift can get a new payment method.")
    change = MandateChange.objects.create(
        subscription=subscription, old_mandate_id=_current_mandate(subscription) or ""
    )
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
    payment = Payment.objects.create(
        mollie_id=data["id"],
        subscription=subscription,
        supporter_id=subscription.supporter_id,
        status=data["status"],
        sequence_type=SequenceType.FIRST,
        amount=mollie_amount(data["amount"]),
        is_verification=True,
        mollie_data=data,
        synced_at=timezone.now(),
    )
    MandateChange.objects.filter(pk=change.pk).update(payment=payment)
    change.payment = payment
    return change, data["_links"]["checkout"]["href"]


def mandate_change_follow(*, payment: Payment) -> MandateChange | None:
    """After the verification `payment` changed: finish the change when it is paid (move the
    subscription, refund, revoke), mark it failed when it did not go through.

    Idempotent, so the webhook, the return page and reconciliation may all call it.
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
    subscription = change.subscription
    new_mandate = (payment.mollie_data or {}).get("mandateId") or ""
    if new_mandate and subscription.status == SubscriptionStatus.ACTIVE:
        data = gateway.subscription_update(
            customer_id=subscription.customer_id,
            mollie_id=subscription.mollie_id,
            mandate_id=new_mandate,
        )
    else:
        data = None  # paused: the Mollie subscription made at the resume takes the new mandate
    gateway.refund_create(
        mollie_id=payment.mollie_id,
        amount=payment.amount,
        description=f"{settings.SITE_NAME} payment method check",
        idempotency_key=f"mandate-change-{change.pk}-refund",
    )
    with transaction.atomic():
        locked = MandateChange.objects.select_for_update().get(pk=change.pk)
        if locked.status != MandateChange.Status.STARTED:
            return locked
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if data is not None:
            subscription_apply_mollie(subscription, data)
        subscription.notice_due = True  # the first charge on the new mandate is announced
        subscription.save(update_fields=["notice_due"])
        locked.status = MandateChange.Status.DONE
        locked.new_mandate_id = new_mandate
        locked.completed_at = timezone.now()
        locked.save(update_fields=["status", "new_mandate_id", "completed_at"])
        gift_event_announce(GiftEvent.PAYMENT_METHOD_CHANGED, subscription=subscription)
    if subscription.status == SubscriptionStatus.SUSPENDED:
        subscription_restart(subscription=subscription)
    old_mandates_revoke(subscription=subscription)
    return locked


def old_mandates_revoke(*, subscription: Subscription) -> int:
    """Revoke the mandates finished changes left behind, once no charge on the gift is still
    pending (a direct debit in flight on the old mandate must be allowed to settle)."""
    if subscription.payments.filter(status__in=UNFINISHED, is_verification=False).exists():
        return 0
    revoked = 0
    waiting = subscription.mandate_changes.filter(
        status=MandateChange.Status.DONE, old_mandate_revoked_at__isnull=True
    )
    for change in waiting:
        # Nothing to revoke when there was no old mandate or the new one is the same.
        if change.old_mandate_id and change.old_mandate_id != change.new_mandate_id:
            # Refused: revoked already (by Mollie, staff or an earlier try).
            with contextlib.suppress(PaymentProviderRefused):
                gateway.mandate_revoke(
                    customer_id=subscription.customer_id, mandate_id=change.old_mandate_id
                )
        MandateChange.objects.filter(pk=change.pk).update(old_mandate_revoked_at=timezone.now())
        revoked += 1
    return revoked


def _current_mandate(subscription: Subscription) -> str | None:
    """The mandate the gift charges now: the one it is pinned to, else the customer's valid
    one (Mollie then charges that)."""
    pinned = (subscription.mollie_data or {}).get("mandateId")
    if pinned:
        return pinned
    for mandate in gateway.mandates_of_customer(subscription.customer_id):
        if mandate.get("status") == "valid":
            return mandate["id"]
    return None
