"""The admin's login, throttled per account and per client address.

Counted in the rate-limit store (shared by every process). The check comes before the password
is even looked at, so once an account or an address has used its failures, the right password
does not work either until the window closes: guessing gets a handful of tries per quarter of
an hour, not thousands.
"""

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import ratelimit

WINDOW_SECONDS = 15 * 60


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": _(
            "Too many failed log-ins for this account or from this address. "
            "Try again in 15 minutes."
        ),
    }

    def _limits(self) -> list[tuple[str, str, int]]:
        username = (self.cleaned_data.get("username") or "").strip().lower()
        return [
            (
                "staff-login-account",
                ratelimit.hash_key(f"staff:{username}"),
                settings.STAFF_LOGIN_ACCOUNT_LIMIT,
            ),
            (
                "staff-login-client",
                ratelimit.client_key(self.request),
                settings.STAFF_LOGIN_CLIENT_LIMIT,
            ),
        ]

    def clean(self):
        limits = self._limits()
        if any(ratelimit.count(scope=s, key=k) >= limit for s, k, limit in limits):
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            return super().clean()
        except ValidationError:
            for scope, key, _limit in limits:
                ratelimit.count_hit(scope=scope, key=key, window=WINDOW_SECONDS)
            raise
