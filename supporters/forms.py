"""Forms of a supporter's identity: logging in with a code, their name, language and address
(input validation only). The forms that change gifts are the donations app's."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

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
