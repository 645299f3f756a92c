"""The donate form: input validation only."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from .models import Frequency

OTHER = "other"
# Digits, optionally a decimal comma or point with one or two digits. Nothing else.
AMOUNT_RE = re.compile(r"^[0-9]{1,9}(?:[.,][0-9]{1,2})?$")
TOO_MANY_DECIMALS_RE = re.compile(r"^[0-9]{1,9}[.,][0-9]{3,}$")


def _euro(value: Decimal) -> str:
    return "€\u00a0" + number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)


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
            _("The smallest gift we can process is %(minimum)s.") % {"minimum": _euro(minimum)},
            code="min",
        )
    if amount > maximum:
        raise forms.ValidationError(
            _("Online gifts can be at most %(maximum)s. For a larger gift, please contact us.")
            % {"maximum": _euro(maximum)},
            code="max",
        )
    return amount


class DonationForm(forms.Form):
    frequency = forms.ChoiceField(
        label=_("How often?"),
        choices=[(Frequency.MONTHLY, _("Monthly")), (Frequency.ONEOFF, _("One time"))],
        initial=Frequency.MONTHLY,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose monthly or one time.")},
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
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Enter your name.")},
    )
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
        presets = [(str(a), _euro(Decimal(a))) for a in settings.DONATION_PRESET_AMOUNTS]
        self.fields["amount"].choices = [*presets, (OTHER, _("Other amount"))]
        if not self.is_bound and "amount" not in self.initial:
            self.initial["amount"] = str(settings.DONATION_DEFAULT_AMOUNT)

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter your name."))
        return name

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
    if query.get("frequency") in Frequency.values:
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
