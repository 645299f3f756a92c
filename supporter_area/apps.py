from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupporterAreaConfig(AppConfig):
    """The supporter area: the pages a supporter sees, the emails donors get about their gifts,
    and the export and erasure of their data."""

    name = "supporter_area"
    verbose_name = _("Supporter area")

    def ready(self) -> None:
        # Registering, not hiding a cycle: the receivers of the donations app's gift events and
        # the email context preparer are connected when their modules are imported.
        from . import audit, emails, receivers  # noqa: F401
