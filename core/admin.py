"""The audit trail (readable by staff, changeable by nobody) and the email outbox in the admin."""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import AuditEvent, AuthenticatorApp, EmailLog, RecoveryCodeSet

# Django stores a permission's name in English when it creates it ("Can add donation"), so the
# admin's permission lists stay English in any other language. The four built-in actions are
# named here in the reader's language; any other permission's name is looked up in the catalogue.
BUILT_IN_PERMISSIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """'App | model | action' in the active language, as Django shows a permission."""
    model = permission.content_type.model_class()
    if model is None:  # a model that no longer exists: its stored name is all there is
        return str(permission)
    opts = model._meta
    action, _sep, model_name = permission.codename.partition("_")
    if action in BUILT_IN_PERMISSIONS and model_name == opts.model_name:
        name = BUILT_IN_PERMISSIONS[action] % {"model": opts.verbose_name}
    else:
        name = gettext(permission.name)
    return f"{opts.app_config.verbose_name} | {opts.verbose_name} | {name}"


def grantable_permissions(site: admin.AdminSite):
    """The permissions that mean something here: those of the models the admin shows."""
    content_types = ContentType.objects.get_for_models(*site._registry, for_concrete_models=False)
    return Permission.objects.filter(content_type__in=content_types.values()).select_related(
        "content_type"
    )


class TranslatedPermissionsMixin:
    """Lists the permissions of the admin's own models, named in the reader's language (the
    permissions of models without a page here, sessions or content types, grant nothing)."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is Permission:
            kwargs["queryset"] = grantable_permissions(self.admin_site)
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.related_model is Permission and field is not None:
            field.label_from_instance = permission_label
        return field


admin.site.unregister(Group)
admin.site.unregister(User)


def holds_at_least(editor, permissions: set[str]) -> bool:
    """Whether `editor` holds every one of `permissions` ("app.codename") itself."""
    return editor.is_superuser or permissions <= editor.get_all_permissions()


def _names(permissions) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions}


class NoEscalationMixin:
    """Nobody gives more than they have: an account that may edit users or groups, but is no
    superuser, cannot make anyone a superuser, grant permissions or groups it does not hold
    itself, or change (password, address, anything) an account or group that holds more than
    it does; its own permissions and groups it cannot change at all. Without this, the
    permission to edit users is the permission to become superuser."""

    def _outranks(self, request, obj) -> bool:
        raise NotImplementedError

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or not self._outranks(request, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or not self._outranks(request, obj))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and not request.user.is_superuser:
            if db_field.related_model is Permission:
                held = request.user.get_all_permissions()
                field.queryset = field.queryset.filter(
                    pk__in=[p.pk for p in field.queryset if _names([p]) <= held]
                )
            elif db_field.related_model is Group:
                field.queryset = field.queryset.filter(
                    pk__in=[g.pk for g in field.queryset if not self._group_outranks(request, g)]
                )
        return field

    @staticmethod
    def _group_outranks(request, group) -> bool:
        return not holds_at_least(
            request.user, _names(group.permissions.select_related("content_type"))
        )


@admin.register(Group)
class GroupAdmin(NoEscalationMixin, TranslatedPermissionsMixin, auth_admin.GroupAdmin):
    def _outranks(self, request, obj) -> bool:
        return self._group_outranks(request, obj)


@admin.register(User)
class UserAdmin(NoEscalationMixin, TranslatedPermissionsMixin, auth_admin.UserAdmin):
    def _outranks(self, request, obj) -> bool:
        editor = request.user
        if editor.is_superuser:
            return False
        # What the account would hold if it were active again (Django reports no permissions
        # for an inactive account, whose password could still be set for later).
        stored = Permission.objects.filter(Q(user=obj) | Q(group__user=obj))
        return obj.is_superuser or not holds_at_least(
            editor, _names(stored.select_related("content_type").distinct())
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        editor = request.user
        if not editor.is_superuser:
            fields.append("is_superuser")
            if obj is not None and obj.pk == editor.pk:  # one's own powers stay as they are
                fields += ["user_permissions", "groups", "is_staff", "is_active"]
        return fields


class NeverAdded:
    """Rows the site writes itself: nobody adds one in the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(NeverAdded, admin.ModelAdmin):
    """Rows that record what happened (at Mollie, in the audit trail): staff look, and act
    through the actions a page offers, but never add, edit or delete one."""

    changeable = True  # False: the change page too is for looking only

    def has_change_permission(self, request, obj=None) -> bool:
        return self.changeable and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


class ReadOnlyInline(NeverAdded):
    """Mixin for an inline that lists related rows: each links to its own page, none is edited
    or added here."""

    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "action", "subject_type", "subject_id", "supporter_id"]
    list_filter = ["action", "actor_kind", "at"]
    search_fields = ["subject_id", "actor_label", "=supporter_id"]
    date_hierarchy = "at"
    changeable = False


@admin.register(EmailLog)
class EmailLogAdmin(NeverAdded, admin.ModelAdmin):
    list_display = ["created_at", "kind", "to", "subject", "status", "sent_at"]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["to", "event_key", "subject"]
    date_hierarchy = "created_at"
    fields = readonly_fields = [
        "created_at",
        "sent_at",
        "status",
        "attempts",
        "kind",
        "language",
        "to",
        "subject",
        "event_key",
        "recipient",
        "error",
    ]


# django-otp's own admin pages show the authenticator's secret key, let staff add a device with a
# key of their choosing, and label everything in English. Staff need less: see whose second
# factor exists and was last used when, and delete a lost one (its owner then sets up a new one
# at the next log-in, core/two_factor.py).
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(AuthenticatorApp, RecoveryCodeSet)
class SecondFactorAdmin(NeverAdded, admin.ModelAdmin):
    list_display = ["owner", "device_name", "added", "last_used", "ready"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    fields = readonly_fields = ["owner", "device_name", "added", "last_used", "ready"]

    @admin.display(description=_("staff member"), ordering="user__username")
    def owner(self, device) -> str:
        return device.user.get_username()

    @admin.display(description=_("name"))
    def device_name(self, device) -> str:
        return device.name

    @admin.display(description=_("added"), ordering="created_at")
    def added(self, device):
        return device.created_at

    @admin.display(description=_("last used"), ordering="last_used_at")
    def last_used(self, device):
        return device.last_used_at

    @admin.display(description=_("set up"), boolean=True)
    def ready(self, device) -> bool:
        return device.confirmed

    def has_change_permission(self, request, obj=None) -> bool:
        return False
