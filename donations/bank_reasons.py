"""Why a bank returned a direct debit, and what the site does about it.

A failed SEPA direct debit carries the bank's reason code (Mollie: `details.bankReasonCode` of
the payment; a reversal the donor asked for arrives as a chargeback whose `reason.code` is
MD06). The codes are the European Payments Council's; docs/direct-debit.md lists them with
their sources. Each code falls into one class, and the class decides what follows:

- NO_FUNDS (AM04, MS03): one new attempt on the same mandate a few days later; if that fails
  too, the usual "your gift did not go through" email.
- ACCOUNT_UNUSABLE (AC01, AC04, AC06, AC13, AG01, AG02, BE05, MD01, MD02, RC01, SL01): stop
  collecting at once; the donor is told kindly and offered a new account or payment method.
- DECEASED (MD07): stop collecting at once; no email (the family may read it); staff see it.
- REFUSED (MD06, MS02, and every other chargeback): no new attempt; one friendly email; staff
  are shown a gift refused twice. A chargeback with a code of the two classes above (MD01: the
  holder reversed it as unauthorised) stops collecting like them.
- OTHER (anything else): as any failed charge, the usual email.

Pure: no database and no Mollie.
"""

import enum

from django.utils.translation import gettext_lazy as _


class ReasonClass(enum.StrEnum):
    NO_FUNDS = "no-funds"
    ACCOUNT_UNUSABLE = "account-unusable"
    DECEASED = "deceased"
    REFUSED = "refused"
    OTHER = "other"


CLASS_LABELS = {
    ReasonClass.NO_FUNDS: _("Not enough money in the account"),
    ReasonClass.ACCOUNT_UNUSABLE: _("Account closed, blocked or mandate not valid"),
    ReasonClass.DECEASED: _("Account holder deceased"),
    ReasonClass.REFUSED: _("Refused or reversed by the account holder"),
    ReasonClass.OTHER: _("Other reason"),
}

# What each code means, in our words (the official wording is the EPC's; see the docs).
REASONS: dict[str, tuple[ReasonClass, str]] = {
    "AM04": (ReasonClass.NO_FUNDS, _("insufficient funds")),
    "MS03": (ReasonClass.NO_FUNDS, _("no reason given (often insufficient funds)")),
    "AC01": (ReasonClass.ACCOUNT_UNUSABLE, _("account number incorrect")),
    "AC04": (ReasonClass.ACCOUNT_UNUSABLE, _("account closed")),
    "AC06": (ReasonClass.ACCOUNT_UNUSABLE, _("account blocked")),
    "AC13": (ReasonClass.ACCOUNT_UNUSABLE, _("account of a type that cannot be debited")),
    "AG01": (ReasonClass.ACCOUNT_UNUSABLE, _("direct debit not allowed on this account")),
    "AG02": (ReasonClass.ACCOUNT_UNUSABLE, _("operation not valid for this account")),
    "BE05": (ReasonClass.ACCOUNT_UNUSABLE, _("creditor not recognised by the bank")),
    "MD01": (ReasonClass.ACCOUNT_UNUSABLE, _("no valid mandate (revoked or expired)")),
    "MD02": (ReasonClass.ACCOUNT_UNUSABLE, _("mandate data missing or incorrect")),
    "RC01": (ReasonClass.ACCOUNT_UNUSABLE, _("bank identifier incorrect")),
    "SL01": (ReasonClass.ACCOUNT_UNUSABLE, _("direct debits blocked by the account holder")),
    "MD07": (ReasonClass.DECEASED, _("account holder deceased")),
    "MD06": (ReasonClass.REFUSED, _("refund requested by the account holder")),
    "MS02": (ReasonClass.REFUSED, _("refused by the account holder")),
}

# A chargeback that came without a code is, for a direct debit, the donor's reversal.
CHARGEBACK_DEFAULT_CODE = "MD06"


def reason_class(code: str | None, *, chargeback: bool = False) -> ReasonClass:
    """The class of the bank's `code`. A chargeback is the donor taking the money back
    (REFUSED), unless its code says the account cannot be debited or there was no valid
    mandate (a reversal as unauthorised, MD01): then collecting must stop."""
    entry = REASONS.get((code or "").strip().upper())
    kind = entry[0] if entry else ReasonClass.OTHER
    if chargeback and kind not in (ReasonClass.ACCOUNT_UNUSABLE, ReasonClass.DECEASED):
        return ReasonClass.REFUSED
    return kind


def reason_label(code: str | None) -> str:
    """The code's meaning in words, or the code itself when we do not know it."""
    code = (code or "").strip().upper()
    entry = REASONS.get(code)
    return str(entry[1]) if entry else code
