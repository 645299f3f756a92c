"""Refunds made by staff, through Mollie."""

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from core.actors import Actor

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
    remaining = payment.amount_kept
    refund = remaining if amount is None else amount
    if not payment.is_paid or refund <= 0 or refund > remaining:
        raise RefundNotPossible(
            _("Only a paid payment can be refunded, up to € %(left)s.") % {"left": remaining}
        )
    refunded_before = payment.amount_refunded
    gateway.refund_create(
        mollie_id=payment.mollie_id,
        amount=refund,
        description=f"{settings.SITE_NAME} refund",
        idempotency_key=f"refund-{payment.mollie_id}-{refunded_before}-{refund}",
    )
    gift_audit(
        actor,
        audit.PAYMENT_REFUND,
        payment,
        amount=f"{amount:.2f}" if amount is not None else "all",
        refunded_now=f"{refunded_before + refund:.2f}",
    )
    return payment_sync(mollie_id=payment.mollie_id).payment
