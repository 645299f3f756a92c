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


# Thousands in groups of three after a first group of one to three digits, then perhaps cents.
_SPACES = re.compile(r"[ \u00a0\u202f]")
_GROUPED = {
    # thousands separator: decimal separator (the Dutch way, the English way, and with spaces)
    ".": ",",
    ",": ".",
    " ": "[.,]",
}


# Whole euros the Dutch way: "25,-", "€ 2.500,-" (and with a point or a dash of any length).
_WHOLE_EUROS = re.compile(r"(?P<whole>\d[\d.,]*?)(?P<mark>[.,])[-\u2013\u2014]{1,2}")


def _whole_euros(value: str) -> str:
    """`25,-` → `25`, `2.500,-` → `2500`: the mark before the dash is the decimal one, so the
    other separator can only group thousands. Anything else is returned as it was."""
    found = _WHOLE_EUROS.fullmatch(value)
    if found is None:
        return value
    group = "." if found["mark"] == "," else ","
    whole = found["whole"]
    if re.fullmatch(rf"[1-9]\d{{0,2}}(?:{re.escape(group)}\d{{3}})+", whole):
        return whole.replace(group, "")
    if whole.isdigit():
        return whole
    return value  # "2.50,-": cents and "no cents" at once; refused by the checks that follow


def _without_grouping(value: str) -> str:
    """`value` with its thousands separators taken out when they can only be that:
    `1.000,00` (Dutch), `1,000.00` (English), `1 000,50`, `1.000.000`. A single `.` or `,`
    before exactly three digits (`1.000`, `2,500`) reads as a thousand in one language and as
    a small amount in the other: refused with a message saying how to write it. Anything else
    is returned as it was, for the checks that follow."""
    value = _SPACES.sub(" ", value)
    for group, decimal in _GROUPED.items():
        # A group of thousands never starts with 0: "0.500" is too many decimals.
        pattern = rf"[1-9]\d{{0,2}}(?:{re.escape(group)}\d{{3}})+(?:{decimal}\d{{1,2}})?"
        grouped = re.fullmatch(pattern, value)
        if grouped is None:
            continue
        if group != " " and value.count(group) == 1 and not re.search(r"[.,]\d{1,2}$", value):
            break  # one separator, three digits after it: which way is it meant?
        whole = re.sub(r"[.,]\d{1,2}$", "", value) if re.search(r"[.,]\d{1,2}$", value) else value
        cents = value[len(whole) + 1 :] if len(whole) < len(value) else ""
        whole = whole.replace(group, "")
        return f"{whole}.{cents}" if cents else whole
    if re.fullmatch(r"[1-9]\d{0,2}[.,]\d{3}", value):
        digits = value.replace(".", "").replace(",", "")
        raise forms.ValidationError(
            _(
                "We cannot tell whether %(typed)s means %(thousands)s. Write it without the "
                "separator (%(plain)s), or with cents (%(example)s)."
            )
            % {
                "typed": value,
                "thousands": euro(Decimal(digits)),
                "plain": digits,
                "example": number_format(
                    Decimal(digits), decimal_pos=2, use_l10n=True, force_grouping=True
                ),
            },
            code="ambiguous",
        )
    return value


def euro_short(amount) -> str:
    """An amount as a price tag: `10` → `€ 10`, `12.5` → `€ 12,50` (the cents only when there
    are any), in the reader's language: the campaign box and the gift form write them alike."""
    if amount in (None, ""):
        return ""
    value = Decimal(str(amount))
    if value == value.to_integral_value():
        return "€\u00a0" + number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)
    return euro(value)


def _example() -> str:
    """12,50 in Dutch, 12.50 in English: an example written the reader's way."""
    return number_format(Decimal("12.50"), decimal_pos=2, use_l10n=True)


def parse_amount(
    text: str, *, minimum: Decimal | None = None, maximum: Decimal | None = None
) -> Decimal:
    """Turn what a donor typed (`10`, `10.50`, `10,50`, `€ 10`, `1.000,00`, `1,000.00`,
    `25,-`) into euros with two decimals.

    Raises ValidationError with a message meant for the donor for anything else, and for
    amounts outside `minimum` and `maximum` (by default DONATION_MIN_AMOUNT and _MAX_AMOUNT).
    """
    value = (text or "").strip().removeprefix("€").strip()
    if not value:
        raise forms.ValidationError(_("Enter an amount."), code="required")
    if value.startswith("-"):
        raise forms.ValidationError(_("Enter an amount above zero."), code="negative")
    value = _without_grouping(_whole_euros(value))
    if TOO_MANY_DECIMALS_RE.match(value):
        raise forms.ValidationError(
            _("Use at most two decimals, for example %(example)s.") % {"example": _example()},
            code="decimals",
        )
    if not AMOUNT_RE.match(value):
        raise forms.ValidationError(
            _("Enter an amount in euros using digits, for example 10 or %(example)s.")
            % {"example": _example()},
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
            _("The smallest gift we can process is %(minimum)s.")
            % {"minimum": euro_short(minimum)},
            code="min",
        )
    if amount > maximum:
        raise forms.ValidationError(
            _("Online gifts can be at most %(maximum)s. For a larger gift, please contact us.")
            % {"maximum": euro_short(maximum)},
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
