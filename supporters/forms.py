"""Forms of the supporter login and the supporter area (input validation only)."""

import datetime

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.money import parse_amount
from core.names import PersonNameField


def email_field(*, label: str, required: str) -> forms.EmailField:
    return forms.EmailField(
        label=label,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": required,
            "invalid": _("Enter an email address like name@example.org."),
        },
    )


class EmailForm(forms.Form):
    email = email_field(label=_("Your email address"), required=_("Enter your email address."))


class EmailChangeCodeForm(forms.Form):
    """The code sent to a new address (the address itself is kept in the session)."""

    code = forms.CharField(
        label=_("Login code"),
        help_text=_("The six digits from the email we sent you."),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "spellcheck": "false",
            }
        ),
        error_messages={"required": _("Enter the code from the email.")},
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "").strip()
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("The code is six digits, for example 123456."))
        return code


class AmountForm(forms.Form):
    amount = forms.CharField(
        label=_("New monthly amount in euros"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"required": _("Enter an amount.")},
    )

    def clean_amount(self):
        return parse_amount(self.cleaned_data["amount"])


class ProfileForm(forms.Form):
    name = PersonNameField(label=_("Your name"))
    language = forms.ChoiceField(
        label=_("Language for our emails"),
        choices=settings.LANGUAGES,
        widget=forms.RadioSelect,
    )


class EmailChangeForm(forms.Form):
    new_email = email_field(
        label=_("New email address"), required=_("Enter your new email address.")
    )


class CodeForm(EmailForm, EmailChangeCodeForm):
    """The address and the code it was sent, for logging in."""


class PauseForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("How long?"),
        coerce=int,
        choices=[
            (1, _("One month")),
            (2, _("Two months")),
            (3, _("Three months")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how long to pause.")},
    )


class AgreementForm(forms.Form):
    """A periodic gift agreement: the term and the particulars the tax authority asks for.

    No citizen service number (BSN): see docs/periodic-gifts.md.
    """

    TERM_CHOICES = [("5", _("5 years")), ("10", _("10 years")), ("", _("Indefinitely"))]

    years = forms.ChoiceField(
        label=_("For how long?"),
        choices=TERM_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("At least five years; it always ends at your death."),
    )
    ends_on_income_loss = forms.BooleanField(
        label=_("End the agreement early if I lose my job or become unable to work"),
        required=False,
        initial=True,
    )
    donor_first_names = PersonNameField(label=_("First names (in full)"), autocomplete="given-name")
    donor_surname = PersonNameField(label=_("Surname"), autocomplete="family-name")
    donor_birth_date = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    donor_birth_place = forms.CharField(label=_("Place of birth"), max_length=120)
    donor_street = forms.CharField(label=_("Street and number"), max_length=200)
    donor_postcode = forms.CharField(label=_("Postcode"), max_length=12)
    donor_city = forms.CharField(label=_("Town"), max_length=120)
    donor_country = forms.CharField(label=_("Country"), max_length=80, initial="Nederland")
    partner_name = PersonNameField(
        label=_("Your partner's full name (if you have one)"), required=False, autocomplete="off"
    )
    partner_birth_date = forms.DateField(
        label=_("Your partner's date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    partner_birth_place = forms.CharField(
        label=_("Your partner's place of birth"), max_length=120, required=False
    )
    signed_place = forms.CharField(label=_("Place of signing"), max_length=120)
    signed_name = PersonNameField(
        label=_("Type your full name to sign"),
        help_text=_("Typing your name and pressing the button is your signature."),
    )
    agree = forms.BooleanField(
        label=_("I promise this yearly gift under the terms above"),
        error_messages={"required": _("Tick the box to sign the agreement.")},
    )

    def clean_years(self) -> int | None:
        value = self.cleaned_data.get("years") or ""
        return int(value) if value else None

    def clean_donor_birth_date(self):
        value = self.cleaned_data["donor_birth_date"]
        if not datetime.date(1900, 1, 1) <= value <= datetime.date.today():
            raise forms.ValidationError(_("Enter your date of birth, for example 1980-05-31."))
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        partner = cleaned.get("partner_name")
        if partner and not (
            cleaned.get("partner_birth_date") and cleaned.get("partner_birth_place")
        ):
            self.add_error(
                "partner_birth_date",
                _("With a partner's name, give their date and place of birth."),
            )
        return cleaned
