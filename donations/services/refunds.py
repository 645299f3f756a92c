"""Refunds made by staff, through Mollie."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core.actors import Actor
from core.db import locked
from core.money import euro

from .. import audit, gateway
from ..audit import gift_audit
from ..exceptions import RefundNotPossible
from ..models import Payment
from .sync import payment_sync


def payment_refund(*, payment: Payment, amount: Decimal | None = None, actor: Actor) -> Payment:
    """Refund `amount` (all that is left when None) of a paid payment through Mollie, and
    record it in the audit trail as done by `actor`.

    Raises RefundNotPossible for a payment that is not paid or an amount beyond what is left,
    PaymentProviderRefused when Mollie refuses, PaymentProviderUnavailable when it cannot be
    reached.
    """
    with locked(Payment, payment.pk) as current:  # what is left now, not what the caller saw
        remaining = current.amount_kept
        refunded_before = current.amount_refunded
        is_paid = current.is_paid
        recorded = current.is_recorded
    if recorded:  # no money of Mollie's: there is nothing Mollie could give back
        raise RefundNotPossible(
            _("This gift did not come through Mollie; give it back by bank transfer.")
        )
    refund = remaining if amount is None else amount
    if not is_paid or refund <= 0 or refund > remaining:
        raise RefundNotPossible(
            _("Only a paid payment can be refunded, up to %(left)s.") % {"left": euro(remaining)}
        )
    # Two refunds at once: the same amount from the same state has the same idempotency key
    # (Mollie makes it once); different ones are checked by Mollie against what is left and
    # the second refused. The change happens at Mollie, so it is recorded once Mollie took it.
    gateway.refund_create(
        mollie_id=payment.mollie_id,
        amount=refund,
        description=f"{settings.SITE_NAME} refund",
        idempotency_key=f"refund-{payment.mollie_id}-{refunded_before}-{refund}",
    )
    with transaction.atomic():
        gift_audit(
            actor,
            audit.PAYMENT_REFUND,
            payment,
            amount=f"{amount:.2f}" if amount is not None else "all",
            refunded_now=f"{refunded_before + refund:.2f}",
        )
    return payment_sync(mollie_id=payment.mollie_id).payment
