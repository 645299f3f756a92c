from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportersConfig(AppConfig):
    """Who a supporter is: their address, name and language, login codes and the session."""

    name = "supporters"
    verbose_name = _("Supporters")

    def ready(self) -> None:
        # Registering: the login-code email's context preparer and the names of the actions
        # this app records in the audit trail.
        from . import audit, services  # noqa: F401
