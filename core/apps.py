from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _
from django_tasks_db import apps as tasks_db_apps


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on a site that asks for the second factor (core/two_factor.py)."""

    default = False
    default_site = "core.two_factor.TwoFactorAdminSite"


class CoreConfig(AppConfig):
    """Site-wide plumbing shared by the apps: caching of public pages, rate limits, health."""

    name = "core"
    verbose_name = _("Site")

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the deployment checks)


class TaskQueueConfig(tasks_db_apps.TasksAppConfig):
    """The task queue's results in the admin, under a name in the reader's language (the app names
    itself in English, unmarked for translation; config/locale holds the Dutch for its texts)."""

    default = False
    verbose_name = _("Task queue")
