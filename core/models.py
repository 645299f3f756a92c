"""Site-wide records: rate-limit counters, the audit trail and the email outbox."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .actions import action_choices


class RateLimitCounter(models.Model):
    """One rate-limit window: how often `key` was counted since the window opened.

    Kept in the database by default because every app process and machine shares it (a
    local-memory cache counts per process) and page traffic can never evict it (a shared cache
    can). `key` holds a keyed hash, never an address. Expired rows are replaced on the next hit
    and swept by `manage.py purge_expired`.
    """

    key = models.CharField(max_length=120, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "rate-limit counter"

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit trail is append-only.")

    def delete(self):
        raise PermissionError("The audit trail is append-only.")


class AuditEvent(models.Model):
    """One change to money or to a supporter: who, when, what and from where. Append-only.

    Holds no personal data (no names, no addresses, no raw IP addresses: `address_hash` is a
    keyed hash), so it is kept whole when a supporter is erased; `supporter_id` then points at
    the anonymised row. Written by the write services through `core.audit.audit_record`.
    """

    class Actor(models.TextChoices):
        STAFF = "staff", _("staff")
        SUPPORTER = "supporter", _("supporter")
        SYSTEM = "system", _("system")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor_kind = models.CharField(_("who"), max_length=10, choices=Actor.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=160)
    # Each app registers its actions' names (`core.actions`).
    action = models.CharField(_("what"), max_length=40, choices=action_choices, db_index=True)
    subject_type = models.CharField(_("object type"), max_length=40)
    subject_id = models.CharField(_("object"), max_length=64, db_index=True)
    supporter_id = models.BigIntegerField(_("supporter id"), null=True, blank=True, db_index=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    address_hash = models.CharField(_("from (hashed address)"), max_length=32, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label}: {self.get_action_display()}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit trail is append-only.")


class EmailLog(models.Model):
    """One row per email the site sends, so each event's email goes out exactly once.

    `event_key` names the event (for example `thanks-oneoff:tr_abc`); the unique constraint makes
    a second attempt for the same event fail inside its transaction instead of sending twice.
    `recipient` is the record the email is about (a supporter, say): a generic reference, so
    this outbox knows no feature app. Written through `core.outbox.email_queue`.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    recipient_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient_id = models.PositiveBigIntegerField(null=True, blank=True)
    recipient = GenericForeignKey("recipient_type", "recipient_id")
    event_key = models.CharField(_("event"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    language = models.CharField(_("language"), max_length=5, default="nl")
    # What the template needs, until the email is sent (then emptied: it can hold personal data).
    context = models.JSONField(default=dict, blank=True, editable=False)
    # The name of a registered context preparer run at sending time (see core.outbox).
    prepare = models.CharField(max_length=60, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    to = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=250)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # When the next attempt is due (a queued email whose time has long passed was lost on its
    # way to the worker and is queued again), and when a worker took it on to send it.
    due_at = models.DateTimeField(_("due"), default=timezone.now, db_default=Now())
    claimed_at = models.DateTimeField(_("taken on"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["kind", "created_at"]),
            models.Index(fields=["recipient_type", "recipient_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to}"


# Staff's second factors (core/two_factor.py), as the admin lists them: django-otp's models under
# names in the reader's language.
class AuthenticatorApp(TOTPDevice):
    class Meta:
        proxy = True
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")


class RecoveryCodeSet(StaticDevice):
    class Meta:
        proxy = True
        verbose_name = _("set of recovery codes")
        verbose_name_plural = _("sets of recovery codes")
