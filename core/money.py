"""Amounts of money as people type and read them: parsing euros, formatting them for pages."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

# Digits, optionally a decimal comma or point with one or two digits. Nothing else.
AMOUNT_RE = re.compile(r"^[0-9]{1,9}(?:[.,][0-9]{1,2})?$")
TOO_MANY_DECIMALS_RE = re.compile(r"^[0-9]{1,9}[.,][0-9]{3,}$")


def euro(amount) -> str:
    """`12.5` → `€ 12,50` in Dutch, `€ 12.50` in English (grouped thousands, two decimals)."""
    if amount in (None, ""):
        return ""
    return "€\u00a0" + number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)


def parse_amount(
    text: str, *, minimum: Decimal | None = None, maximum: Decimal | None = None
) -> Decimal:
    """Turn what a donor typed (`10`, `10.50`, `10,50`, `€ 10`) into euros with two decimals.

    Raises ValidationError with a message meant for the donor for anything else, and for
    amounts outside `minimum` and `maximum` (by default DONATION_MIN_AMOUNT and _MAX_AMOUNT).
    """
    value = (text or "").strip().removeprefix("€").strip()
    if not value:
        raise forms.ValidationError(_("Enter an amount."), code="required")
    if value.startswith("-"):
        raise forms.ValidationError(_("Enter an amount above zero."), code="negative")
    if TOO_MANY_DECIMALS_RE.match(value):
        raise forms.ValidationError(
            _("Use at most two decimals, for example 12,50."), code="decimals"
        )
    if not AMOUNT_RE.match(value):
        raise forms.ValidationError(
            _("Enter an amount in euros using digits, for example 10 or 12,50."),
            code="invalid",
        )
    try:
        amount = Decimal(value.replace(",", ".")).quantize(Decimal("0.01"))
    except InvalidOperation:  # pragma: no cover (the pattern above already rules this out)
        raise forms.ValidationError(_("Enter a valid amount."), code="invalid") from None
    if amount <= 0:
        raise forms.ValidationError(_("Enter an amount above zero."), code="zero")
    minimum = Decimal(settings.DONATION_MIN_AMOUNT) if minimum is None else minimum
    maximum = Decimal(settings.DONATION_MAX_AMOUNT) if maximum is None else maximum
    if amount < minimum:
        raise forms.ValidationError(
            _("The smallest gift we can process is %(minimum)s.") % {"minimum": euro(minimum)},
            code="min",
        )
    if amount > maximum:
        raise forms.ValidationError(
            _("Online gifts can be at most %(maximum)s. For a larger gift, please contact us.")
            % {"maximum": euro(maximum)},
            code="max",
        )
    return amount
