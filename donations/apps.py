from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonationsConfig(AppConfig):
    name = "donations"
    verbose_name = _("Donations")

    def ready(self) -> None:
        # Registering: the names of the actions this app records in the audit trail, and the
        # checks of the direct-debit settings.
        from . import audit, checks  # noqa: F401
