"""Forms of the supporter login and the supporter area (input validation only)."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.money import parse_amount


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
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Enter your name.")},
    )
    language = forms.ChoiceField(
        label=_("Language for our emails"),
        choices=settings.LANGUAGES,
        widget=forms.RadioSelect,
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter your name."))
        return name


class EmailChangeForm(forms.Form):
    new_email = email_field(
        label=_("New email address"), required=_("Enter your new email address.")
    )


class CodeForm(EmailForm, EmailChangeCodeForm):
    """The address and the code it was sent, for logging in."""
