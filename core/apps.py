from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Site-wide plumbing shared by the apps: caching of public pages, rate limits, health."""

    name = "core"
    verbose_name = "Site"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the deployment checks)
