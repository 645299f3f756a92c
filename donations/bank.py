"""Bank accounts as the site may hold them: checked, masked, never kept in full.

A donor who gives by direct-debit mandate types an IBAN once. It goes to Mollie, which keeps
it for the mandate; the site keeps only the masked form (`NL** **** **** 1234`) for the donor
to recognise the account. Everything that could carry a full IBAN further (Mollie's answers
that we store, log lines, error reports) goes through `redact` or `mask_ibans` first. No
database, no Mollie here.
"""

import logging
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from schwifty import IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)

# Anything shaped like an IBAN: two letters, two digits, then 10 to 32 letters and digits,
# with up to three characters of any other kind between any two of them (spaces, dots,
# hyphens, dashes, colons, commas, invisible spaces), and glued to the words around it
# ("IBANNL91…", "…4300EUR"): a payer writes it any way.
_SEP = r"[^A-Za-z0-9\r\n]{0,3}"  # up to three of anything but letters, digits and new lines
IBAN_LIKE = re.compile(
    rf"[A-Z]{_SEP}[A-Z](?:{_SEP}\d){{2}}(?:{_SEP}[A-Z0-9]){{10,32}}", re.IGNORECASE
)


def iban_clean(value: str) -> str:
    """The compact IBAN (upper case, no spaces) of what a donor typed.

    Raises ValidationError with a message that says what is wrong: an unknown country, a
    length that does not fit the country, or check digits that do not add up (a typing error).
    Accounts outside the SEPA area cannot be debited and are refused as well.
    """
    try:
        iban = IBAN(value or "")
    except InvalidCountryCode:
        raise ValidationError(
            _("An IBAN starts with a country code, like NL. Check the first two letters."),
            code="country",
        ) from None
    except InvalidLength:
        raise ValidationError(
            _("This IBAN has too many or too few characters for its country."), code="length"
        ) from None
    except InvalidChecksumDigits:
        raise ValidationError(
            _("This IBAN does not add up: there is probably a typing error in it."),
            code="checksum",
        ) from None
    except SchwiftyException:
        raise ValidationError(
            _("This is not a valid IBAN. It looks like NL91 ABNA 0417 1643 00."), code="invalid"
        ) from None
    if not iban.in_sepa_zone:
        raise ValidationError(
            _("Direct debit works only from an account in the SEPA area."), code="sepa"
        )
    return iban.compact


def iban_masked(iban: str) -> str:
    """What the site shows and keeps of an account: its country and its last four characters
    (NL** **** **** 1234), the same length for every country so the mask tells nothing more."""
    compact = re.sub(r"[^A-Za-z0-9]", "", iban).upper()  # however its groups were separated
    if len(compact) < 8:
        return "****"
    return f"{compact[:2]}** **** **** {compact[-4:]}"


def iban_fingerprint(iban: str) -> str:
    """A keyed hash of an account (compact), kept so that staff can find the mandates of an
    account someone asks about, without the account itself: the same for the same account,
    unreadable without SECRET_KEY."""
    compact = re.sub(r"\s", "", iban).upper()
    return salted_hmac("donations.iban", compact, algorithm="sha256").hexdigest()


def _looks_valid(candidate: str) -> bool:
    try:
        IBAN(candidate)
    except SchwiftyException:
        return False
    return True


def _iban_at_start(candidate: str) -> int:
    """How many characters of `candidate` (from its start) a valid IBAN takes up, separators
    between its groups included; 0 when it does not start with one. The IBAN's own length is
    its country's, so only the letters and digits count."""
    places = [index for index, char in enumerate(candidate) if char.isalnum()]
    compact = "".join(candidate[index] for index in places).upper()
    for length in range(15, min(len(compact), 34) + 1):
        if _looks_valid(compact[:length]):
            return places[length - 1] + 1
    return 0


def _ibans_in(text: str) -> list[tuple[int, int]]:
    """Where the valid IBANs in `text` are, as (start, end) spans."""
    spans = []
    position = 0
    while (match := IBAN_LIKE.search(text, position)) is not None:
        taken = _iban_at_start(match.group(0))
        if taken:
            spans.append((match.start(), match.start() + taken))
            position = match.start() + taken
        else:
            position = match.start() + 1
    return spans


def find_ibans(text: str) -> list[str]:
    """Every valid IBAN written in `text`, compact or in groups, in any case."""
    return [text[start:end] for start, end in _ibans_in(text or "")]


def mask_ibans(text: str) -> str:
    """`text` with every valid IBAN in it masked (a log line, an error message)."""
    if not text or not IBAN_LIKE.search(text):
        return text
    for start, end in reversed(_ibans_in(text)):
        text = text[:start] + iban_masked(text[start:end]) + text[end:]
    return text


# The places in Mollie's objects where a bank account or its holder's name may be.
_ACCOUNT_KEYS = ("consumerAccount",)
_HOLDER_KEYS = ("consumerName", "cardHolder")


def redact(data: dict) -> dict:
    """A copy of a Mollie object (payment, mandate) fit to store: the account in its details
    masked, the holder's name left out (the site keeps that on the mandate while it lives)."""
    details = data.get("details")
    if not isinstance(details, dict):
        return data
    cleaned = {k: v for k, v in details.items() if k not in _HOLDER_KEYS}
    for key in _ACCOUNT_KEYS:
        value = cleaned.get(key)
        if isinstance(value, str) and _looks_valid(value):
            cleaned[key] = iban_masked(value)
    return {**data, "details": cleaned}


# --- Mandate references --------------------------------------------------------------------
# SEPA allows 35 characters for a mandate reference. Mollie collects for all its merchants
# under one creditor identifier, so a reference must be unique among all of them: ours start
# with MANDATE_REFERENCE_PREFIX, and only letters, digits and hyphens are used.
REFERENCE_MAX = 35
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # nothing that reads as another


def mandate_reference() -> str:
    """A new mandate reference: the prefix and twelve random characters (32**12 of them, so
    two never meet; the database refuses a second one anyway)."""
    prefix = re.sub(r"[^A-Z0-9]", "", settings.MANDATE_REFERENCE_PREFIX.upper())[:12]
    tail = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(12))
    return f"{prefix}-{tail}"[:REFERENCE_MAX]


def creditor_id_is_valid(value: str) -> bool:
    """Whether `value` is a well-formed SEPA creditor identifier (country, check digits per ISO
    7064 mod 97-10 over the national part and the country, business code, national part)."""
    value = re.sub(r"\s", "", value or "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{3}[A-Z0-9]{1,28}", value):
        return False
    rearranged = value[7:] + value[:2] + "00"
    number = int("".join(str(int(ch, 36)) for ch in rearranged))
    return f"{98 - number % 97:02d}" == value[2:4]


class AccountNumberFilter(logging.Filter):
    """A logging filter (every handler of the site has it, config/settings.py) that masks any
    IBAN in a record: its message with the arguments filled in, and its traceback. Whatever
    logs a Mollie answer, a form or an exception, no full account number reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_ibans(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_ibans(record.exc_text)
        return True
