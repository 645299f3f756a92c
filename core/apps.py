from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on a site that asks for the second factor (core/two_factor.py)."""

    default = False
    default_site = "core.two_factor.TwoFactorAdminSite"


class CoreConfig(AppConfig):
    """Site-wide plumbing shared by the apps: caching of public pages, rate limits, health."""

    name = "core"
    verbose_name = "Site"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the deployment checks)
