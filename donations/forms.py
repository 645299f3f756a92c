"""The donate form: input validation only."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.money import AMOUNT_RE, euro, parse_amount
from core.names import PersonNameField

from .models import Frequency

OTHER = "other"
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
    # A field people never see (hidden by the stylesheet); form-filling bots do fill it in.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        presets = [(str(a), euro(Decimal(a))) for a in settings.DONATION_PRESET_AMOUNTS]
        self.fields["amount"].choices = [*presets, (OTHER, _("Other amount"))]
        if not self.is_bound and "amount" not in self.initial:
            self.initial["amount"] = str(settings.DONATION_DEFAULT_AMOUNT)

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

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
        return cleaned


def initial_from_query(query) -> dict:
    """Pre-fill from the campaign page's small GET form (?frequency=oneoff&amount=25)."""
    initial = {}
    if query.get("frequency") in dict(frequency_choices()):
        initial["frequency"] = query["frequency"]
    amount = query.get("amount", "").strip()
    if amount:
        presets = {str(a) for a in settings.DONATION_PRESET_AMOUNTS}
        if amount in presets:
            initial["amount"] = amount
        elif AMOUNT_RE.match(amount):
            initial["amount"] = OTHER
            initial["other_amount"] = amount
    return initial
