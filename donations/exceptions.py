"""Errors the donations services raise; the gateway turns Mollie's client errors into these."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import euro


class PaymentProviderError(Exception):
    """Base for every problem talking to the payment provider."""


class PaymentProviderUnavailable(PaymentProviderError):
    """A temporary failure: network error, timeout or a 5xx. Trying again later may work."""


class PaymentProviderRefused(PaymentProviderError):
    """The provider refused the request (a 4xx). Trying again unchanged will not help.

    `message` is the provider's explanation, `field` the request field it names (if any).
    """

    def __init__(self, message: str, *, status: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


class PaymentNotFound(PaymentProviderRefused):
    """The provider does not know this id (or it is malformed)."""


class UnexpectedProviderAnswer(PaymentProviderRefused):
    """The provider answered with another object than the one asked for (type or id differ).

    Never acted on: a crafted id, a proxy in the way or a bug could otherwise turn, say, a
    subscription into a stored payment.
    """


class DonationLimitReached(Exception):
    """This client has started too many donations in the current window."""


class GiftError(Exception):
    """A rule about gifts says no (not Mollie): the message is for the donor or staff."""


class GiftNotChangeable(GiftError):
    """The gift is not in a state that allows this change (say, a pause of a stopped gift)."""


class GiftBusy(GiftError):
    """Another change to this gift is being made at this moment; try again shortly."""


class RefundNotPossible(GiftError):
    """The payment is not paid, or less is left of it than the refund asks for."""


class DirectDebitLimitReached(DonationLimitReached):
    """Too many mandates by IBAN from this client, for this address or this account."""


class AccountRefused(GiftError):
    """Mollie did not accept the account for a direct-debit mandate (the message says why)."""


class MandateNotMade(GiftError):
    """The mandate agreed to could not be made (Mollie refused it or was away): the donor
    checks the details and agrees again."""


class SimilarGiftExists(GiftError):
    """A recorded gift of the same amount for the same supporter around that day exists."""

    def __init__(self, payment) -> None:
        self.payment = payment
        super().__init__(
            _("A gift of %(amount)s was recorded for this supporter on %(day)s already.")
            % {"amount": euro(payment.amount), "day": timezone.localdate(payment.paid_at)}
        )


class StatementNotOurs(GiftError):
    """The statement is not of the organisation's account (ORG_IBAN)."""

    def __init__(self) -> None:
        if settings.ORGANISATION["iban"]:
            message = _(
                "This statement is not of the organisation's account (%(iban)s). Export the "
                "statement of that account."
            ) % {"iban": settings.ORGANISATION["iban"]}
        else:
            message = _(
                "Set the organisation's account (ORG_IBAN) first: only its statements are read."
            )
        super().__init__(message)
