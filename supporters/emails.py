"""Sending emails to supporters: once per event, after the surrounding commit, by a task worker.

Every email is rendered from `templates/emails/<template>.txt` and `.html` in the recipient's
language. `email_queue` writes an EmailLog row with a unique event key in the caller's
transaction: if the event was already handled (a duplicate webhook, say), nothing is queued; if
the transaction rolls back, nothing is sent. After the commit a task (`supporters.tasks`) sends
it; a failure is tried again later (EMAIL_RETRY_DELAYS) and finally shown to staff as failed.
"""

import datetime
import logging
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from .models import EmailLog, LoginCode, Supporter

logger = logging.getLogger(__name__)


def _encode(value):
    """Context values as JSON that `_decode` turns back into the same Python types."""
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {str(key): _encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def _decode(value):
    if isinstance(value, dict):
        if "$decimal" in value:
            return Decimal(value["$decimal"])
        if "$datetime" in value:
            return parse_datetime(value["$datetime"])
        if "$date" in value:
            return parse_date(value["$date"])
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def email_queue(
    *,
    event_key: str,
    supporter: Supporter,
    template: str,
    subject: str,
    context: dict,
    language: str | None = None,
    to: str | None = None,
    deliver: bool = True,
) -> EmailLog | None:
    """Queue one email for `event_key`; None when that event's email was already queued.

    `subject` is a translatable string rendered in the email's language; `to` defaults to the
    supporter's address. When `context` has `login_code_purpose`, a fresh code for that purpose
    is made at sending time and added as `code` (codes are never stored). The email is handed to
    the task worker after the current transaction commits; with `deliver=False` the caller
    sends it with `email_deliver`.
    """
    language = language or supporter.language
    with translation.override(language):
        subject_text = str(subject)
    try:
        with transaction.atomic():
            log = EmailLog.objects.create(
                supporter=supporter,
                event_key=event_key[:120],
                kind=template,
                language=language,
                context=_encode(context),
                to=to or supporter.email,
                subject=subject_text,
            )
    except IntegrityError:
        return None
    if deliver:
        transaction.on_commit(lambda: _enqueue(log.pk))
    return log


def _enqueue(log_id: int, run_after: datetime.datetime | None = None) -> None:
    from .tasks import deliver_email

    task = deliver_email.using(run_after=run_after) if run_after else deliver_email
    task.enqueue(log_id=log_id)


def email_deliver(*, log_id: int) -> bool:
    """Render and send a queued email and record the outcome; never raises.

    On failure the email is queued again after the next of EMAIL_RETRY_DELAYS (when the task
    backend can run tasks later), else marked failed so staff see it in the admin.
    """
    log = EmailLog.objects.select_related("supporter").filter(pk=log_id).first()
    if log is None or log.status != EmailLog.Status.QUEUED:
        return False
    context = _decode(log.context)
    try:
        if context.get("login_code_purpose"):
            from .services import login_code_issue

            context["code"] = login_code_issue(
                supporter=log.supporter,
                purpose=context["login_code_purpose"],
                new_email=context.get("new_email", ""),
            )
            context["code_minutes"] = 10
        with translation.override(log.language):
            full_context = {
                "site_name": settings.SITE_NAME,
                "organisation": settings.ORGANISATION,
                "supporter_area_url": settings.PUBLIC_BASE_URL + reverse("supporters:home"),
                "login_code_url": settings.PUBLIC_BASE_URL + reverse("supporters:login_code"),
                **context,
            }
            text = render_to_string(f"emails/{log.kind}.txt", full_context)
            html = render_to_string(f"emails/{log.kind}.html", full_context)
        message = EmailMultiAlternatives(log.subject, text, to=[log.to])
        message.attach_alternative(html, "text/html")
        message.send()
    except Exception as error:  # SMTP and template errors alike: record, retry, never break
        logger.exception("Email %s (%s) failed", log.pk, log.kind)
        _delivery_failed(log, error)
        return False
    EmailLog.objects.filter(pk=log.pk).update(
        status=EmailLog.Status.SENT,
        sent_at=timezone.now(),
        attempts=log.attempts + 1,
        error="",
        context={},
    )
    return True


def _delivery_failed(log: EmailLog, error: Exception) -> None:
    from .tasks import deliver_email

    attempts = log.attempts + 1
    delays = settings.EMAIL_RETRY_DELAYS
    can_wait = deliver_email.get_backend().supports_defer
    if can_wait and attempts <= len(delays):
        EmailLog.objects.filter(pk=log.pk).update(attempts=attempts, error=str(error)[:2000])
        _enqueue(
            log.pk, run_after=timezone.now() + datetime.timedelta(seconds=delays[attempts - 1])
        )
        return
    EmailLog.objects.filter(pk=log.pk).update(
        status=EmailLog.Status.FAILED, attempts=attempts, error=str(error)[:2000]
    )


def login_code_email(*, supporter: Supporter, language: str) -> EmailLog | None:
    """Queue an email with a fresh login code (made when the email is sent, never stored)."""
    return email_queue(
        event_key=f"login-code:{supporter.pk}:{secrets.token_hex(8)}",
        supporter=supporter,
        template="supporters/login_code",
        subject=_("Your login code"),
        context={"login_code_purpose": LoginCode.Purpose.LOGIN},
        language=language,
    )


def email_change_email(*, supporter: Supporter, new_email: str, language: str) -> EmailLog | None:
    """Queue an email to `new_email` with a code that confirms the change of address."""
    return email_queue(
        event_key=f"email-change:{supporter.pk}:{secrets.token_hex(8)}",
        supporter=supporter,
        template="supporters/email_change",
        subject=_("Confirm your new email address"),
        context={"login_code_purpose": LoginCode.Purpose.EMAIL_CHANGE, "new_email": new_email},
        language=language,
        to=new_email,
    )


def erasure_confirmation_send(*, supporter: Supporter) -> bool:
    """Send, right now and not through the worker, the confirmation that data is being erased.

    Sent before the address itself is erased, so it cannot wait for a later delivery.
    """
    log = email_queue(
        event_key=f"erased:{supporter.pk}",
        supporter=supporter,
        template="supporters/erased",
        subject=_("Your data has been erased"),
        context={"name": supporter.name},
        deliver=False,
    )
    return log is not None and email_deliver(log_id=log.pk)
