"""Input checks that mirror Mollie's validation of request bodies.

Every checker either returns the normalised value or raises `ApiError` (422) naming the same
`field` Mollie names. Money is handled as `Decimal`, never float.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from decimal import Decimal
from urllib.parse import urlsplit

from .errors import unprocessable

# The sandbox supports EUR only (see README): enough for the site, and it keeps the
# per-currency minimums and decimals out of the way.
CURRENCY = "EUR"
MIN_AMOUNT = Decimal("0.01")
MAX_AMOUNT = Decimal("50000.00")  # iDEAL's maximum in Mollie's methods example
METADATA_MAX_BYTES = 1024  # Mollie: "up to approximately 1kB"
DESCRIPTION_MAX = 255  # Mollie truncates longer descriptions instead of rejecting them

_VALUE_RE = re.compile(r"^\d+\.\d{2}$")
_INTERVAL_RE = re.compile(r"^(\d+) (days?|weeks?|months?)$")
_INTERVAL_MAX = {"day": 365, "week": 52, "month": 12}

LOCALES = frozenset(
    [
        "ca_ES",
        "cs_CZ",
        "da_DK",
        "de_AT",
        "de_CH",
        "de_DE",
        "de_LU",
        "en_BE",
        "en_GB",
        "en_NL",
        "en_US",
        "es_ES",
        "fi_FI",
        "fr_BE",
        "fr_FR",
        "fr_LU",
        "hu_HU",
        "is_IS",
        "it_IT",
        "lt_LT",
        "lv_LV",
        "nb_NO",
        "nl_BE",
        "nl_NL",
        "pl_PL",
        "pt_PT",
        "sk_SK",
        "sv_SE",
    ]
)
PAYMENT_METHODS = frozenset(
    [
        "alma",
        "applepay",
        "bacs",
        "bancomatpay",
        "bancontact",
        "banktransfer",
        "belfius",
        "billie",
        "blik",
        "creditcard",
        "directdebit",
        "eps",
        "giftcard",
        "ideal",
        "in3",
        "kbc",
        "klarna",
        "mbway",
        "multibanco",
        "mybank",
        "paybybank",
        "payconiq",
        "paypal",
        "paysafecard",
        "pointofsale",
        "przelewy24",
        "riverty",
        "satispay",
        "swish",
        "trustly",
        "twint",
        "voucher",
    ]
)
MANDATE_METHODS = ("creditcard", "directdebit", "paypal")
SEQUENCE_TYPES = ("oneoff", "first", "recurring")


def money(value: Decimal) -> dict:
    """Render a Decimal as a Mollie amount object."""
    return {"currency": CURRENCY, "value": f"{value:.2f}"}


def parse_amount(raw, field: str = "amount", *, limits: bool = True) -> Decimal:
    """Validate a Mollie amount object and return its value.

    Raises 422 with field `amount` (missing/not an object, below minimum, above maximum),
    `amount.currency` (unsupported currency) or `amount.value` (not a two-decimal string).
    """
    if not isinstance(raw, dict):
        raise unprocessable("The amount is required and must be an object.", field)
    currency = raw.get("currency")
    if not isinstance(currency, str) or currency.upper() != CURRENCY:
        raise unprocessable(
            f"The currency {currency!r} is not supported; the sandbox handles EUR only.",
            f"{field}.currency",
        )
    value = raw.get("value")
    if not isinstance(value, str) or not _VALUE_RE.match(value):
        raise unprocessable("The amount contains an invalid value.", f"{field}.value")
    amount = Decimal(value)
    if limits and amount < MIN_AMOUNT:
        raise unprocessable("The amount is lower than the minimum.", field)
    if limits and amount > MAX_AMOUNT:
        raise unprocessable("The amount is higher than the maximum.", field)
    return amount


def parse_description(raw, field: str = "description") -> str:
    """Require a non-empty string; longer than 255 characters is truncated, as Mollie does."""
    if not isinstance(raw, str) or not raw.strip():
        raise unprocessable("The description is required.", field)
    return raw[:DESCRIPTION_MAX]


def parse_url(raw, field: str, *, required: bool = False) -> str | None:
    """Accept an absolute http(s) URL. Unlike Mollie, localhost is allowed (see README)."""
    if raw is None or raw == "":
        if required:
            raise unprocessable(f"The {field} is required for this payment.", field)
        return None
    parts = urlsplit(raw) if isinstance(raw, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise unprocessable(f"The {field} is not a valid URL.", field)
    return raw


def parse_locale(raw) -> str | None:
    if raw is None:
        return None
    if raw not in LOCALES:
        raise unprocessable("The locale is invalid.", "locale")
    return raw


def parse_metadata(raw):
    """Any JSON value; rejected when its JSON form is larger than about 1 kB."""
    if raw is not None and len(json.dumps(raw).encode()) > METADATA_MAX_BYTES:
        raise unprocessable("The metadata is too large; use up to about 1kB.", "metadata")
    return raw


def parse_method(raw, allowed=PAYMENT_METHODS) -> str | list | None:
    """A method name, a list of method names, or null."""
    if raw is None:
        return None
    names = raw if isinstance(raw, list) else [raw]
    if not names or any(not isinstance(n, str) or n not in allowed for n in names):
        raise unprocessable("The payment method is invalid.", "method")
    return raw


def parse_interval(raw) -> str:
    """Mollie's pattern `^\\d+ (days?|weeks?|months?)$`, at most 12 months / 52 weeks / 365 days."""
    match = _INTERVAL_RE.match(raw) if isinstance(raw, str) else None
    if not match:
        raise unprocessable("The interval is invalid.", "interval")
    count, unit = int(match.group(1)), match.group(2).rstrip("s")
    if count < 1 or count > _INTERVAL_MAX[unit]:
        raise unprocessable("The interval is invalid; the maximum is one year.", "interval")
    return raw


def parse_date(raw, field: str) -> dt.date:
    if not isinstance(raw, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", raw):
        raise unprocessable(f"The {field} must be a date in YYYY-MM-DD format.", field)
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise unprocessable(f"The {field} is not a valid date.", field) from None


def parse_times(raw) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise unprocessable("The times must be a positive whole number.", "times")
    return raw


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar month arithmetic; the 31st becomes the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def add_interval(day: dt.date, interval: str, times: int = 1) -> dt.date:
    """Move `day` forward by `times` x `interval` (an already validated interval string)."""
    count, unit = interval.split(" ")
    steps = int(count) * times
    if unit.startswith("month"):
        return add_months(day, steps)
    if unit.startswith("week"):
        return day + dt.timedelta(weeks=steps)
    return day + dt.timedelta(days=steps)


# The length of an IBAN in the countries of the SEPA area (ISO 13616's registry).
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
    "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "VA": 22,
}  # fmt: skip


def parse_iban(raw, field: str) -> str:
    """A SEPA account number as Mollie takes it for a mandate: the country's length and the
    ISO 7064 mod 97-10 check; spaces are ignored. 422 on `field` otherwise."""
    if not isinstance(raw, str) or not raw.strip():
        raise unprocessable(f"The '{field}' field is missing.", field)
    iban = re.sub(r"\s", "", raw).upper()
    country = iban[:2]
    valid = (
        re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", iban) is not None
        and IBAN_LENGTHS.get(country) == len(iban)
        and int("".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])) % 97 == 1
    )
    if not valid:
        raise unprocessable("The account number does not meet the IBAN check requirements.", field)
    return iban
