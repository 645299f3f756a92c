"""The forms of gifts: the donate form, and changing a regular gift (a new amount, a pause, a
periodic gift agreement). Input validation only."""

import datetime
import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.money import AMOUNT_RE, euro_short, parse_amount
from core.names import PersonNameField

from .bank import iban_clean
from .lifecycle import PAUSE_MONTHS
from .models import AGREEMENT_MIN_YEARS, FREQUENCY_MONTHS, Frequency, PaymentRoute

OTHER = "other"


class AccountHolderField(forms.CharField):
    """The name of an account's holder, as a bank writes it: a person, two of them ("J. de
    Vries en/of M. Jansen", "J. & M. de Vries") or an organisation. Letters of any script,
    digits, spaces and the punctuation SEPA allows in a name, at most 70 characters (SEPA's
    limit); spaces run together."""

    ALLOWED = re.compile(r"[\w /\-?:().,'+&]+")

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 70)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = " ".join((value or "").split())
        value = super().clean(value)
        if not value:
            return value
        if len(value) < 2 or not self.ALLOWED.fullmatch(value) or "_" in value:
            raise forms.ValidationError(
                _("Use letters, digits, spaces and / - ? : ( ) . , ' + & only."),
                code="invalid",
            )
        return value


# How each choice reads on the form (the order and the set come from DONATION_FREQUENCIES).
FREQUENCY_CHOICES = {
    Frequency.MONTHLY: _("Monthly"),
    Frequency.QUARTERLY: _("Every quarter"),
    Frequency.YEARLY: _("Yearly"),
    Frequency.ONEOFF: _("One time"),
}


def frequency_choices() -> list[tuple[str, str]]:
    return [
        (f, FREQUENCY_CHOICES[f]) for f in settings.DONATION_FREQUENCIES if f in Frequency.values
    ]


class DonationForm(forms.Form):
    frequency = forms.ChoiceField(
        label=_("How often?"),
        choices=frequency_choices,
        initial=Frequency.MONTHLY,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how often you give.")},
    )
    amount = forms.ChoiceField(
        label=_("Amount"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose an amount."),
            "invalid_choice": _("Choose one of the amounts."),
        },
    )
    other_amount = forms.CharField(
        label=_("Other amount in euros"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    name = PersonNameField(label=_("Your name"))
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("For your receipt and a login code to the supporter area."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter an email address like name@example.org."),
        },
    )
    route = forms.ChoiceField(
        label=_("How do you want to give?"),
        choices=[
            (PaymentRoute.CHECKOUT, _("Pay now (iDEAL, card, …)")),
            (PaymentRoute.MANDATE, _("Direct debit from my account (regular gifts)")),
        ],
        initial=PaymentRoute.CHECKOUT,
        required=False,
        widget=forms.RadioSelect,
    )
    holder = AccountHolderField(
        label=_("Account holder's name"),
        required=False,
        help_text=_("As your bank knows it."),
    )
    iban = forms.CharField(
        label=_("IBAN (account number)"),
        required=False,
        max_length=42,
        help_text=_("Like NL91 ABNA 0417 1643 00. Spaces and small letters are fine."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    # A field people never see (hidden by the stylesheet); form-filling bots do fill it in.
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    # Where the form was opened (docs/attribution.md): a campaign link's code, a page's key.
    link = forms.CharField(required=False, widget=forms.HiddenInput)
    page = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound and self.data.get(self.add_prefix("other_amount"), "").strip():
            # An amount typed in "other amount" is the one meant, whichever button was left
            # ticked (the page's script ticks "other" as one types; without it, nothing does).
            self.data = self.data.copy()
            self.data[self.add_prefix("amount")] = OTHER
        presets = [(str(a), euro_short(a)) for a in settings.DONATION_PRESET_AMOUNTS]
        self.fields["amount"].choices = [*presets, (OTHER, _("Other amount"))]
        if not self.is_bound and "amount" not in self.initial:
            self.initial["amount"] = str(settings.DONATION_DEFAULT_AMOUNT)
        self.offers_mandate = settings.DIRECT_DEBIT_ENABLED and any(
            f in FREQUENCY_MONTHS for f in settings.DONATION_FREQUENCIES
        )
        if not self.offers_mandate:
            for name in ("route", "holder", "iban"):
                del self.fields[name]

    @property
    def by_mandate(self) -> bool:
        return self.offers_mandate and self.cleaned_data.get("route") == PaymentRoute.MANDATE

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def clean_link(self) -> str:
        return source_key(self.cleaned_data["link"])

    def clean_page(self) -> str:
        return source_key(self.cleaned_data["page"])

    @property
    def source(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in ("link", "page")}

    def clean(self) -> dict:
        cleaned = super().clean()
        choice = cleaned.get("amount")
        if choice == OTHER:
            try:
                cleaned["amount_value"] = parse_amount(cleaned.get("other_amount", ""))
            except forms.ValidationError as error:
                self.add_error("other_amount", error)
        elif choice:
            cleaned["amount_value"] = parse_amount(choice)
        if self.offers_mandate and cleaned.get("route") == PaymentRoute.MANDATE:
            self._clean_mandate(cleaned)
        return cleaned

    def _clean_mandate(self, cleaned: dict) -> None:
        """Direct debit: a regular gift, the holder's name and a valid IBAN."""
        if cleaned.get("frequency") and cleaned["frequency"] not in FREQUENCY_MONTHS:
            self.add_error(
                "route",
                _("Direct debit is for regular gifts. Choose how often, or pay now."),
            )
        if not cleaned.get("holder") and "holder" not in self.errors:
            self.add_error("holder", _("Enter the name of the account holder."))
        raw = self.data.get(self.add_prefix("iban"), "")
        if not raw.strip():
            self.add_error("iban", _("Enter your IBAN."))
            return
        try:
            cleaned["iban"] = iban_clean(raw)
        except forms.ValidationError as error:
            self.add_error("iban", error)


SOURCE_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


def source_key(value: str) -> str:
    """A source's code or key as the address carried it; anything else counts as none (a
    wrong source is no reason to refuse a gift)."""
    value = value.strip().lower()
    return value if SOURCE_KEY_RE.match(value) else ""


def initial_from_query(query) -> dict:
    """Pre-fill from the campaign page's small GET form (?frequency=oneoff&amount=25), with
    where it was opened (?link=<campaign link>&page=<page key>)."""
    initial = {name: source_key(query.get(name, "")) for name in ("link", "page")}
    if query.get("frequency") in dict(frequency_choices()):
        initial["frequency"] = query["frequency"]
    amount = query.get("amount", "").strip()
    # The campaign box's "other amount", typed with "other" ticked or not, is the one meant;
    # as typed, so that an amount the form cannot read gets its message when it is sent.
    other = query.get("other_amount", "").strip()[:20]
    if other:
        initial["amount"] = OTHER
        initial["other_amount"] = other
    elif amount in {str(a) for a in settings.DONATION_PRESET_AMOUNTS}:
        initial["amount"] = amount
    elif AMOUNT_RE.match(amount):  # ?amount=40 from a link
        initial["amount"] = OTHER
        initial["other_amount"] = amount
    return initial


# --- Changing a regular gift (the supporter area's forms) -----------------------------------


class AmountForm(forms.Form):
    amount = forms.CharField(
        label=_("New amount in euros"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"required": _("Enter an amount.")},
    )

    def clean_amount(self):
        return parse_amount(self.cleaned_data["amount"])


PAUSE_LABELS = {1: _("One month"), 2: _("Two months"), 3: _("Three months")}


class PauseForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("How long?"),
        coerce=int,
        choices=[(months, PAUSE_LABELS[months]) for months in PAUSE_MONTHS],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how long to pause.")},
    )


class AgreementForm(forms.Form):
    """A periodic gift agreement: the term and the particulars the tax authority asks for.

    No citizen service number (BSN): see docs/periodic-gifts.md.
    """

    TERM_CHOICES = [
        (str(years), ngettext_lazy("%(years)d year", "%(years)d years", "years") % {"years": years})
        for years in (AGREEMENT_MIN_YEARS, 10)
    ] + [("", _("Indefinitely"))]

    years = forms.ChoiceField(
        label=_("For how long?"),
        choices=TERM_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        help_text=ngettext_lazy(
            "At least %(years)d year; it always ends at your death.",
            "At least %(years)d years; it always ends at your death.",
            "years",
        )
        % {"years": AGREEMENT_MIN_YEARS},
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


class MandateSignForm(forms.Form):
    """The mandate page: the donor agrees to the mandate shown above the button."""

    agree = forms.BooleanField(
        label=_("I agree to this direct-debit mandate."),
        error_messages={"required": _("Tick the box to agree to the mandate, or go back.")},
    )


class NewAccountForm(forms.Form):
    """A new account for a running regular gift (the supporter area)."""

    holder = AccountHolderField(
        label=_("Account holder's name"),
        help_text=_("As your bank knows it."),
        error_messages={"required": _("Enter the name of the account holder.")},
    )
    iban = forms.CharField(
        label=_("IBAN (account number)"),
        max_length=42,
        help_text=_("Like NL91 ABNA 0417 1643 00. Spaces and small letters are fine."),
        error_messages={"required": _("Enter your IBAN.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    agree = forms.BooleanField(
        label=_("I agree to this direct-debit mandate."),
        error_messages={"required": _("Tick the box to agree to the mandate.")},
    )

    def clean_iban(self) -> str:
        return iban_clean(self.cleaned_data["iban"])


class TransferAgreementForm(AgreementForm):
    """A periodic gift agreement paid by bank transfer: the yearly amount is the donor's to
    choose (there is no regular gift to take it from)."""

    yearly_amount = forms.CharField(
        label=_("Amount per year in euros"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"required": _("Enter an amount.")},
    )

    field_order = ["yearly_amount"]

    def clean_yearly_amount(self) -> Decimal:
        return parse_amount(self.cleaned_data["yearly_amount"])
