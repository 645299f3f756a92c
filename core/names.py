"""What a person's name may look like, wherever someone types one.

A name typed into a public form ends up in an email the organisation sends, possibly to an
address its typist does not own ("Dear …"). So a name may hold only what names hold: letters of
any script (with their accents), spaces, apostrophes, hyphens and dots after an initial or an
abbreviation ("J.R.R. Tolkien", "St. John"). No digits of any kind (no phone number, written
with circled or superscript digits either), no "@", ":" or "/", no dot between words
("evil.example"), nor a letter that only looks like a dot: nothing that reads as a link.
"""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NAME_MAX_LENGTH = 100

# A letter (any script; a combining accent after it), or one of the few marks names use.
_NAME = re.compile(r"(?:[^\W\d_][\u0300-\u036f]*|[ '\u2019.\-])+")
# A dot followed by two letters joins words the way a host name does ("evil.example").
_DOTTED_WORDS = re.compile(r"\.[^\W\d_]{2}")
# Letters that look like a dot, a comma or a colon: by their Unicode name (SINOLOGICAL DOT,
# FINAL MIDDLE DOT, TRIANGULAR COLON, ...; not a letter WITH a dot, as in Ż or İ), and the
# Lisu tone letters and the Korean araea, which look like one without saying so.
_PUNCTUATION_WORDS = frozenset({"DOT", "COLON", "STOP", "COMMA", "PERIOD"})
_PUNCTUATION_LOOKALIKES = frozenset([*(chr(c) for c in range(0xA4F8, 0xA500)), "\u318d"])


def _looks_like_punctuation(char: str) -> bool:
    if char.isascii():
        return False
    words = unicodedata.name(char, "").split()
    return char in _PUNCTUATION_LOOKALIKES or (
        "WITH" not in words and not _PUNCTUATION_WORDS.isdisjoint(words)
    )


def _without_accents(name: str) -> str:
    """The letters without their accents ("c\u0300om" is "com"): a dot before an accented
    letter still joins two words."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def person_name_clean(value: str) -> str:
    """`value` as a name (spaces collapsed, Unicode NFC); ValidationError when it is not one."""
    name = " ".join(unicodedata.normalize("NFC", value or "").split())
    if not name:
        raise ValidationError(_("Enter your name."), code="required")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            _("A name of at most %(max)d characters, please.") % {"max": NAME_MAX_LENGTH},
            code="max_length",
        )
    # The compatibility form too: "\u24ea\u2460" is "01" in it, a fullwidth dot is a dot.
    compatible = unicodedata.normalize("NFKC", name)
    if (
        not _NAME.fullmatch(name)
        or not _NAME.fullmatch(compatible)
        or _DOTTED_WORDS.search(_without_accents(compatible))
        or any(unicodedata.category(c).startswith("N") for c in name)  # circled, Roman, ...
        or any(_looks_like_punctuation(c) for c in name)
        or not any(c.isalpha() for c in name)
    ):
        raise ValidationError(
            _("Use letters, spaces, hyphens, apostrophes and dots only, as in a name."),
            code="invalid",
        )
    return name


def person_name_or_blank(value: str) -> str:
    """`value` when it is a valid name, else "": for greetings in emails, so a name stored
    before these rules existed cannot carry a link or a phone number into one."""
    try:
        return person_name_clean(value)
    except ValidationError:
        return ""


class PersonNameField(forms.CharField):
    """A form field for a person's name under the rules above (required unless told)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 2 * NAME_MAX_LENGTH)  # room for spaces to collapse
        attrs = {"autocomplete": kwargs.pop("autocomplete", "name")}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        kwargs.setdefault("error_messages", {"required": _("Enter your name.")})
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return person_name_clean(value) if value else value
