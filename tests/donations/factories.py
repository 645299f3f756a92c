"""Payment rows made directly in the database, for tests that need history, not Mollie."""

import secrets
from decimal import Decimal

from django.utils import timezone

from donations.models import Donation, Payment


def make_payment(
    supporter, amount="10.00", *, paid_at=None, refunded="0", status="paid", kind="oneoff"
) -> Payment:
    """A payment of `supporter` with its own donation; paid now unless `paid_at` says when."""
    frequency = "oneoff" if kind == "oneoff" else "monthly"  # a first payment or a charge
    donation = Donation.objects.create(
        supporter=supporter, amount=Decimal(amount), frequency=frequency, language="nl"
    )
    return Payment.objects.create(
        mollie_id=f"tr_{secrets.token_hex(8)}",
        donation=donation,
        supporter=supporter,
        status=status,
        sequence_type=kind,
        amount=Decimal(amount),
        amount_refunded=Decimal(refunded),
        paid_at=(paid_at or timezone.now()) if status == "paid" else None,
    )
