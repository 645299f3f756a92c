from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Site-wide plumbing shared by the apps: caching of public pages, rate limits, health."""

    name = "core"
    verbose_name = "Site"
