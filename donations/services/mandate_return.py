"""The donor back from the checkout of a payment-method check: where the change stands now."""

from ..models import MandateChange
from .mandates import mandate_change_follow
from .sync import payment_refresh


def mandate_change_refresh(*, change: MandateChange) -> MandateChange:
    """Ask Mollie how the check payment stands and finish the change when it is paid.

    The return page's call; Mollie's webhook may be doing the same at this moment, which is
    safe (`mandate_change_follow` is idempotent). Raises PaymentProviderError when Mollie cannot
    be reached; the change then stays as it was.
    """
    if change.status == MandateChange.Status.STARTED and change.payment is not None:
        if change.payment.is_final:
            mandate_change_follow(payment=change.payment)
        else:
            payment_refresh(payment=change.payment)
    change.refresh_from_db()
    return change
