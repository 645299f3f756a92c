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


def _word_list(text: str) -> list[str]:
    return text.split()


_EN_SMALL = _word_list(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
_EN_TENS = _word_list("_ _ twenty thirty forty fifty sixty seventy eighty ninety")
_NL_SMALL = _word_list(
    "nul een twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien "
    "vijftien zestien zeventien achttien negentien"
)
_NL_TENS = _word_list("_ _ twintig dertig veertig vijftig zestig zeventig tachtig negentig")


def _words_en(number: int) -> str:
    if number < 20:
        return _EN_SMALL[number]
    if number < 100:
        tens, rest = divmod(number, 10)
        return _EN_TENS[tens] + (f"-{_EN_SMALL[rest]}" if rest else "")
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return f"{_EN_SMALL[hundreds]} hundred" + (f" and {_words_en(rest)}" if rest else "")
    thousands, rest = divmod(number, 1000)
    tail = "" if not rest else (" and " if rest < 100 else " ") + _words_en(rest)
    return f"{_words_en(thousands)} thousand{tail}"


def _words_nl(number: int) -> str:
    if number < 20:
        return _NL_SMALL[number]
    if number < 100:
        tens, rest = divmod(number, 10)
        if not rest:
            return _NL_TENS[tens]
        joiner = "ën" if _NL_SMALL[rest].endswith("e") else "en"  # tweeëntwintig
        return f"{_NL_SMALL[rest]}{joiner}{_NL_TENS[tens]}"
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        head = "honderd" if hundreds == 1 else f"{_NL_SMALL[hundreds]}honderd"
        return head + (_words_nl(rest) if rest else "")
    thousands, rest = divmod(number, 1000)
    head = "duizend" if thousands == 1 else f"{_words_nl(thousands)}duizend"
    return head + (f" {_words_nl(rest)}" if rest else "")


def euro_in_words(amount: Decimal, language: str) -> str:
    """An amount in words, as an agreement writes it next to the figures: `120.50` is "one
    hundred and twenty euros and fifty cents" / "honderdtwintig euro en vijftig cent".
    Whole euros up to 999,999."""
    euros, cents = divmod(int(Decimal(amount).quantize(Decimal("0.01")) * 100), 100)
    if not 0 <= euros < 1_000_000:
        raise ValueError("Only amounts up to 999,999.99 are written in words.")
    if language == "nl":
        text = f"{_words_nl(euros)} euro"
        return text + (f" en {_words_nl(cents)} cent" if cents else "")
    text = f"{_words_en(euros)} euro" + ("" if euros == 1 else "s")
    return text + (f" and {_words_en(cents)} cent" + ("" if cents == 1 else "s") if cents else "")
