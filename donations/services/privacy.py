"""Erasing a supporter: personal data goes, the financial records the law requires stay."""

import contextlib

from django.db import transaction

from supporters.emails import erasure_confirmation_send
from supporters.models import EmailLog, LoginCode, Supporter

from .. import gateway
from ..exceptions import PaymentNotFound
from ..models import Payment, Subscription, SubscriptionStatus
from .subscriptions import subscription_cancel


def supporter_erase(*, supporter: Supporter) -> None:
    """Stop any monthly gift at Mollie, confirm by email, then anonymise the supporter.

    The Mollie customer is deleted too.

    Payments, donations and subscriptions are kept (bookkeeping law requires them) but no
    longer say who gave: the supporter row keeps only an anonymous placeholder address, and the
    raw Mollie data on payments (which can hold names and account numbers) is removed.
    Raises PaymentProviderUnavailable when a monthly gift cannot be stopped; nothing is erased
    then, so the donor is never left paying without an account to stop it from.
    """
    active = Subscription.objects.filter(
        supporter=supporter,
        status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING],
    )
    for subscription in active:
        subscription_cancel(subscription=subscription, notify=False)
    if supporter.mollie_customer_id:
        # Mollie keeps the customer's name and address too; remove them there as well.
        with contextlib.suppress(PaymentNotFound):
            gateway.customer_delete(supporter.mollie_customer_id)
    erasure_confirmation_send(supporter=supporter)
    with transaction.atomic():
        Payment.objects.filter(supporter=supporter).update(mollie_data={})
        Subscription.objects.filter(supporter=supporter).update(mollie_data={}, customer_id="")
        EmailLog.objects.filter(supporter=supporter).update(
            to="", subject="", error="", context={}, supporter=None
        )
        LoginCode.objects.filter(supporter=supporter).delete()
        supporter.email = f"erased-{supporter.pk}@erased.invalid"
        supporter.name = ""
        supporter.mollie_customer_id = ""
        supporter.save(update_fields=["email", "name", "mollie_customer_id"])
