"""The money side of erasing a supporter: the supporters app's erasure calls these two."""

import contextlib

from supporters.models import Supporter

from .. import gateway
from ..exceptions import PaymentNotFound
from ..models import Payment, Subscription
from .subscriptions import subscription_cancel


def supporter_gifts_stop(*, supporter: Supporter) -> None:
    """Stop every running monthly gift of `supporter` at Mollie, and delete the Mollie customer
    (Mollie keeps its name and address too).

    Raises PaymentProviderUnavailable when a monthly gift cannot be stopped; call this before
    erasing anything, so the donor is never left paying without an account to stop it from.
    """
    for subscription in Subscription.objects.active().filter(supporter=supporter):
        subscription_cancel(subscription=subscription, notify=False)
    if supporter.mollie_customer_id:
        with contextlib.suppress(PaymentNotFound):
            gateway.customer_delete(supporter.mollie_customer_id)


def supporter_gifts_anonymise(*, supporter: Supporter) -> None:
    """Keep `supporter`'s payments and gifts (bookkeeping law requires them) without the raw
    Mollie data that can name the donor (names, account numbers) or the Mollie customer.

    Run inside the erasure's transaction. This app is the one writer of the supporter's Mollie
    customer id: it sets it when the customer is made and clears it here.
    """
    Payment.objects.filter(supporter=supporter).update(mollie_data={})
    Subscription.objects.filter(supporter=supporter).update(mollie_data={}, customer_id="")
    Supporter.objects.filter(pk=supporter.pk).update(mollie_customer_id="")
    supporter.mollie_customer_id = ""
