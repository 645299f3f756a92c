"""Input validation for the campaign pages."""

import re

from django import forms
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

# A host name with at least one dot; no scheme, port, path or user part.
SERVER_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class MastodonShareForm(forms.Form):
    server = forms.CharField(
        label=_("Your Mastodon server"),
        help_text=_("For example mastodon.social or mastodon.nl"),
        max_length=253,
        widget=forms.TextInput(attrs={"autocomplete": "url", "spellcheck": "false"}),
    )
    path = forms.CharField(widget=forms.HiddenInput, max_length=500)

    def clean_server(self) -> str:
        server = self.cleaned_data["server"].strip().lower()
        server = re.sub(r"^https?://", "", server).rstrip("/")
        server = server.removeprefix("@").split("@")[-1]
        if not SERVER_RE.match(server):
            raise forms.ValidationError(
                _("Enter the name of your server, such as mastodon.social.")
            )
        return server

    def clean_path(self) -> str:
        path = self.cleaned_data["path"]
        if not path.startswith("/") or not url_has_allowed_host_and_scheme(path, None):
            raise forms.ValidationError(_("This page cannot be shared."))
        return path
