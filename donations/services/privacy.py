"""The money side of erasing a supporter: the supporter area's erasure calls these two."""

import contextlib

from django.db.models import Q
from django.utils import timezone

from core.actors import Actor
from supporters.models import Supporter

from .. import gateway
from ..exceptions import PaymentNotFound
from ..models import (
    BankMandate,
    BankTransfer,
    Donation,
    Payment,
    Subscription,
    TransferReference,
)
from .subscriptions import subscription_cancel


def supporter_gifts_stop(*, supporter: Supporter, actor: Actor) -> None:
    """Stop every running regular gift of `supporter` at Mollie, and delete the Mollie
    customers of their gifts (Mollie keeps their name and address too).

    Raises PaymentProviderUnavailable when a gift cannot be stopped; call this before erasing
    anything, so the donor is never left paying without an account to stop it from.
    """
    for subscription in Subscription.objects.active().filter(supporter=supporter):
        subscription_cancel(subscription=subscription, actor=actor, notify=False)
    for customer_id in _customers_of(supporter):
        with contextlib.suppress(PaymentNotFound):
            gateway.customer_delete(customer_id)


def _customers_of(supporter: Supporter) -> set[str]:
    """Every Mollie customer made for one of `supporter`'s gifts."""
    made = Donation.objects.filter(supporter=supporter).values_list("mollie_customer_id", flat=True)
    charged = Subscription.objects.filter(supporter=supporter).values_list("customer_id", flat=True)
    return {customer for customer in [*made, *charged] if customer}


def supporter_gifts_anonymise(*, supporter: Supporter) -> None:
    """Keep `supporter`'s payments and gifts (bookkeeping law requires them) without the raw
    Mollie data that can name the donor (names, account numbers) or their Mollie customers.

    Run inside the erasure's transaction.
    """
    Payment.objects.filter(supporter=supporter).update(mollie_data={}, reference="")
    # Transfers from the donor's bank: who paid, from which account and what they wrote go;
    # the amount and the day stay with the payment. Their transfer reference goes too, so a
    # later transfer with it waits for staff instead of joining an erased record.
    # That covers the transfers that became their gifts, those from the same accounts (one
    # waiting again after an undone gift, say) and those that named them.
    accounts = set(
        BankTransfer.objects.filter(payment__supporter=supporter)
        .exclude(payer_fingerprint="")
        .values_list("payer_fingerprint", flat=True)
    )
    BankTransfer.objects.filter(
        Q(payment__supporter=supporter) | Q(payer_fingerprint__in=accounts) | Q(suggested=supporter)
    ).update(payer_name="", payer_account="", payer_fingerprint="", remittance="", note="")
    TransferReference.objects.filter(supporter=supporter).delete()
    Subscription.objects.filter(supporter=supporter).update(mollie_data={}, customer_id="")
    Donation.objects.filter(supporter=supporter).update(mollie_customer_id="")
    # The mandates by IBAN keep their reference (the bank knows the collections by it), not
    # whose account it was; at Mollie they went with the customers.
    mandates = BankMandate.objects.filter(donation__supporter=supporter)
    mandates.end(BankMandate.End.GIFT_STOPPED)
    mandates.update(iban_masked="", iban_fingerprint="", revoked_at=timezone.now())
