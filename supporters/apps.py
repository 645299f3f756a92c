from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportersConfig(AppConfig):
    name = "supporters"
    verbose_name = _("Supporters")

    def ready(self) -> None:
        # Registering, not hiding a cycle: the email context preparer and the receivers of the
        # donations app's gift events are connected when their modules are imported.
        from . import receivers, services  # noqa: F401
