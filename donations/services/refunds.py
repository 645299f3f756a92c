"""Refunds made by staff, through Mollie."""

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from .. import gateway
from ..exceptions import PaymentProviderRefused
from ..models import Payment
from .sync import payment_sync


def payment_refund(*, payment: Payment, amount: Decimal | None = None) -> Payment:
    """Refund `amount` (all that is left when None) of a paid payment through Mollie.

    Raises PaymentProviderRefused when Mollie refuses (more than is left, say).
    """
    remaining = payment.amount_kept
    amount = remaining if amount is None else amount
    if not payment.is_paid or amount <= 0 or amount > remaining:
        raise PaymentProviderRefused(
            _("Only a paid payment can be refunded, up to € %(left)s.") % {"left": remaining}
        )
    refunded_before = payment.amount_refunded
    gateway.refund_create(
        mollie_id=payment.mollie_id,
        amount=amount,
        description=f"{settings.SITE_NAME} refund",
        idempotency_key=f"refund-{payment.mollie_id}-{refunded_before}-{amount}",
    )
    result = payment_sync(mollie_id=payment.mollie_id)
    return result.payment
