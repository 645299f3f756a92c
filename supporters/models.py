"""Supporters: the people who give. Separate from staff users; they never get a password."""

import contextlib
import re

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


def normalise_email(email: str) -> str:
    """The form in which addresses are stored and compared: trimmed and lower-cased."""
    return email.strip().lower()


# Mail services that ignore dots in the part before the @ (one mailbox, many spellings).
DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


# Domains that reach the same mailboxes as another.
SAME_MAILBOXES = {"googlemail.com": "gmail.com"}


def mailbox_of(email: str) -> str:
    """The mailbox an address reaches, for counting what is sent to it: without a "+tag"
    (most services deliver name+anything@ to name@), without the quotes of a quoted local
    part, with the domain in its ASCII (punycode) form and under the name of the service it
    belongs to, and, where the service ignores them, without dots. Never stored, never used to
    send."""
    local, _at, domain = normalise_email(email).rpartition("@")
    if len(local) > 1 and local.startswith('"') and local.endswith('"'):
        local = re.sub(r"\\(.)", r"\1", local[1:-1])  # "a\nn" is the mailbox ann
    local = local.split("+", 1)[0]
    with contextlib.suppress(UnicodeError):  # not a name IDNA can spell: count it as written
        domain = domain.encode("idna").decode("ascii")
    domain = SAME_MAILBOXES.get(domain, domain)
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


class Supporter(models.Model):
    email = models.EmailField(_("email address"), max_length=254)
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(
        _("preferred language"),
        max_length=5,
        choices=settings.LANGUAGES,
        default="nl",
        db_index=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    # When the supporter last proved their address with a code. Part of the key of every
    # limited session (see supporters/auth.py), so a code login ends all of those.
    code_login_at = models.DateTimeField(_("last login with a code"), null=True, blank=True)
    # The emails sent to this supporter, from the site's outbox (`EmailLog.objects.filter(
    # supporter=...)` works through `related_query_name`).
    emails = GenericRelation(
        "core.EmailLog",
        content_type_field="recipient_type",
        object_id_field="recipient_id",
        related_query_name="supporter",
    )

    class Meta:
        verbose_name = _("supporter")
        verbose_name_plural = _("supporters")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="supporter_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    def save(self, *args, **kwargs) -> None:
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)


class LoginCode(models.Model):
    """A six-digit code sent by email. Only a keyed hash is stored; the code itself never is.

    `purpose` is LOGIN, or EMAIL_CHANGE (then `new_email` holds the address being confirmed).
    A code is valid for LOGIN_CODE_VALID_MINUTES, once, and dies after LOGIN_CODE_WRONG_TRIES
    wrong tries; issuing a new code for the same supporter and purpose deletes the old one.
    """

    class Purpose(models.TextChoices):
        LOGIN = "login", _("log in")
        EMAIL_CHANGE = "email", _("confirm a new email address")

    supporter = models.ForeignKey(Supporter, related_name="login_codes", on_delete=models.CASCADE)
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.LOGIN)
    code_hash = models.CharField(max_length=64)
    new_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["supporter", "purpose"], name="login_code_one_per_purpose"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} code for supporter {self.supporter_id}"
