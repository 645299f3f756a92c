"""Every write of the donations app: starting gifts, following Mollie, managing monthly gifts.

State rules (see docs/architecture.md): each Mollie payment is one Payment row; status changes
happen under a row lock and only when the status really changes; each change is announced
(donations.events) in the same transaction, once, for other apps to act on; Mollie calls carry
stable idempotency keys so a retry never charges twice.
"""

from ..exceptions import PaymentProviderError, PaymentProviderRefused, PaymentProviderUnavailable
from .common import add_months
from .privacy import supporter_gifts_anonymise, supporter_gifts_stop
from .reconcile import ReconcileReport, payments_reconcile, subscription_sync
from .refunds import payment_refund
from .start import donation_start, supporter_ensure_customer
from .subscriptions import subscription_cancel, subscription_start, subscription_update_amount
from .sync import SyncResult, payment_sync

__all__ = [
    "PaymentProviderError",
    "PaymentProviderRefused",
    "PaymentProviderUnavailable",
    "ReconcileReport",
    "SyncResult",
    "add_months",
    "donation_start",
    "payment_refund",
    "payment_sync",
    "payments_reconcile",
    "subscription_cancel",
    "subscription_start",
    "subscription_sync",
    "subscription_update_amount",
    "supporter_ensure_customer",
    "supporter_gifts_anonymise",
    "supporter_gifts_stop",
]
