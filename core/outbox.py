"""The email outbox: every email the site sends, once per event, after the surrounding commit.

Every email is rendered from `templates/emails/<template>.txt` and `.html` in its language.
`email_queue` writes an EmailLog row with a unique event key in the caller's transaction: if
the event was already handled (a duplicate webhook, say), nothing is queued; if the
transaction rolls back, nothing is sent. The `deliver_email` task that sends it is queued in
the same transaction when the task queue is a table of this database (production), else after
the commit; a failure is tried again later (EMAIL_RETRY_DELAYS) and finally shown to staff as
failed.

Some context can only be made at sending time (a login code must not sit in the database
while the email waits). An app registers a *preparer* for that with `context_preparer`; an
email queued with `prepare=<name>` gets the preparer's result added to its context just before
it is rendered. A preparer may come with an `after_sent` function, called once the email has
gone out (a notice whose sending allows the next step). This module imports no feature app:
apps register what they need.
"""

import datetime
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django_tasks import task
from django_tasks_db import DatabaseBackend

from .models import EmailLog

logger = logging.getLogger(__name__)

Preparer = Callable[..., dict]
_preparers: dict[str, Preparer] = {}
_after_sent: dict[str, Callable[..., None]] = {}


def context_preparer(
    name: str, *, after_sent: Callable[..., None] | None = None
) -> Callable[[Preparer], Preparer]:
    """Register `function(*, recipient, context) -> dict` under `name` (see the module doc),
    and `after_sent(*, recipient, context)`, called with the email's full context once an email
    prepared by it has been sent (a failure in it is logged, never raised into the delivery:
    the app must catch up by itself)."""

    def register(function: Preparer) -> Preparer:
        _preparers[name] = function
        if after_sent is not None:
            _after_sent[name] = after_sent
        return function

    return register


def context_encode(value):
    """Context values as JSON that `context_decode` turns back into the same Python types."""
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {str(key): context_encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [context_encode(item) for item in value]
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def context_decode(value):
    if isinstance(value, dict):
        if "$decimal" in value:
            return Decimal(value["$decimal"])
        if "$datetime" in value:
            return parse_datetime(value["$datetime"])
        if "$date" in value:
            return parse_date(value["$date"])
        return {key: context_decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [context_decode(item) for item in value]
    return value


def email_queue(
    *,
    event_key: str,
    to: str,
    language: str,
    template: str,
    subject: str,
    context: dict,
    recipient: models.Model | None = None,
    prepare: str = "",
    deliver: bool = True,
) -> EmailLog | None:
    """Queue one email for `event_key`; None when that event's email was already queued.

    `subject` is a translatable string rendered in the email's language; `recipient` is the
    record the email is about (kept with the log for staff, exports and erasure); `prepare`
    names a registered preparer. The email is handed to the task worker after the current
    transaction commits; with `deliver=False` the caller sends it with `email_deliver`.
    """
    if prepare and prepare not in _preparers:
        raise LookupError(f"No email context preparer {prepare!r} is registered.")
    with translation.override(language):
        subject_text = str(subject)
    try:
        with transaction.atomic():
            log = EmailLog.objects.create(
                recipient_type=ContentType.objects.get_for_model(recipient) if recipient else None,
                recipient_id=recipient.pk if recipient else None,
                event_key=event_key[:120],
                kind=template,
                language=language,
                context=context_encode(context),
                prepare=prepare,
                to=to,
                subject=subject_text,
            )
            if deliver and _tasks_in_this_database():
                _enqueue(log.pk)  # in the same transaction: the email and its task, or neither
    except IntegrityError:
        return None
    if deliver and not _tasks_in_this_database():
        transaction.on_commit(lambda: _enqueue(log.pk))
    return log


@task(queue_name="email")
def deliver_email(log_id: int) -> bool:
    """Send one queued email (run by `manage.py db_worker` in production)."""
    return email_deliver(log_id=log_id)


def _tasks_in_this_database() -> bool:
    """Whether the task queue is a table in the site's database, so that queueing a task can
    be part of the transaction that stores the email (nothing lost between the two). Other
    backends run the task elsewhere or at once, so they get it after the commit."""
    return isinstance(deliver_email.get_backend(), DatabaseBackend)


def _enqueue(log_id: int, run_after: datetime.datetime | None = None) -> None:
    queued = deliver_email.using(run_after=run_after) if run_after else deliver_email
    queued.enqueue(log_id=log_id)


def message_id(log: EmailLog) -> str:
    """The same Message-ID for every attempt at one email, so that a receiving server (or a
    person) can tell a second copy for what it is."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    return f"<email-{log.pk}.{log.created_at:%Y%m%d%H%M%S}@{domain}>"


def email_deliver(*, log_id: int) -> bool:
    """Render and send a queued email and record the outcome; never raises.

    The worker first takes the email on (QUEUED becomes SENDING in one conditional UPDATE), so
    two workers holding the same task, or a task queued twice, send it once. On failure the
    email is queued again after the next of EMAIL_RETRY_DELAYS (when the task backend can run
    tasks later), else marked failed so staff see it in the admin. Once the email is taken on,
    every step waits out a database that is away for a moment (a restart), so that the email is
    not left half-way, taken on and never sent, until `emails_requeue_stale` finds it.
    """
    now = timezone.now()
    taken = EmailLog.objects.filter(pk=log_id, status=EmailLog.Status.QUEUED).update(
        status=EmailLog.Status.SENDING, claimed_at=now
    )
    if not taken:
        return False
    log = _despite_restarts(lambda: EmailLog.objects.get(pk=log_id), log_id, "reading it")
    context = context_decode(log.context)
    try:
        with translation.override(log.language):
            if log.prepare:
                context |= _preparers[log.prepare](recipient=log.recipient, context=context)
            full_context = {
                "site_name": settings.SITE_NAME,
                "organisation": settings.ORGANISATION,
                **context,
            }
            text = render_to_string(f"emails/{log.kind}.txt", full_context)
            html = render_to_string(f"emails/{log.kind}.html", full_context)
        message = EmailMultiAlternatives(
            log.subject, text, to=[log.to], headers={"Message-ID": message_id(log)}
        )
        message.attach_alternative(html, "text/html")
        message.send()
    except Exception as error:  # SMTP and template errors alike: record, retry, never break
        logger.exception("Email %s (%s) failed", log.pk, log.kind)
        _despite_restarts(partial(_delivery_failed, log, error), log_id, "recording the failure")
        return False
    # The message is on its way: recording it waits for the database rather than sending again.
    _despite_restarts(partial(_record_sent, log), log_id, "recording it as sent")
    if log.prepare in _after_sent:
        try:
            _after_sent[log.prepare](recipient=log.recipient, context=context)
        except Exception:
            logger.exception("Email %s (%s) was sent; what follows it failed", log.pk, log.kind)
    return True


def _despite_restarts(step: Callable, log_id: int, what: str, tries: int = 8):
    """Run one database step of a delivery, again after a pause while the database is away
    (about a minute in all); a longer outage leaves the email to `emails_requeue_stale`."""
    for attempt in range(tries - 1):
        try:
            return step()
        except DatabaseError:
            logger.warning("Email %s: %s waits for the database", log_id, what)
            connection.close()
            time.sleep(min(2**attempt * 0.25, 16))
    return step()


def _record_sent(log: EmailLog) -> None:
    EmailLog.objects.filter(pk=log.pk).update(
        status=EmailLog.Status.SENT,
        sent_at=timezone.now(),
        attempts=log.attempts + 1,
        error="",
        context={},
    )


def _delivery_failed(log: EmailLog, error: Exception) -> None:
    attempts = log.attempts + 1
    delays = settings.EMAIL_RETRY_DELAYS
    can_wait = deliver_email.get_backend().supports_defer
    if can_wait and attempts <= len(delays):
        due = timezone.now() + datetime.timedelta(seconds=delays[attempts - 1])
        with transaction.atomic():  # the next try and its task together, or neither
            EmailLog.objects.filter(pk=log.pk).update(
                status=EmailLog.Status.QUEUED,
                attempts=attempts,
                error=str(error)[:2000],
                due_at=due,
                claimed_at=None,
            )
            _enqueue(log.pk, run_after=due)
        return
    EmailLog.objects.filter(pk=log.pk).update(
        status=EmailLog.Status.FAILED, attempts=attempts, error=str(error)[:2000]
    )


def emails_requeue_stale(*, lost_after_minutes: int = 10) -> int:
    """Queue again what was lost on the way: an email still queued long after its attempt was
    due (the process died between the commit and handing it to the worker, or the task was
    lost), and one a worker took on and never finished (killed while sending; it may then go
    out twice, with the same Message-ID). Run by `sync_payments`; returns how many."""
    cutoff = timezone.now() - datetime.timedelta(minutes=lost_after_minutes)
    EmailLog.objects.filter(status=EmailLog.Status.SENDING, claimed_at__lt=cutoff).update(
        status=EmailLog.Status.QUEUED, claimed_at=None, due_at=cutoff
    )
    lost = list(
        EmailLog.objects.filter(status=EmailLog.Status.QUEUED, due_at__lte=cutoff).values_list(
            "pk", flat=True
        )
    )
    EmailLog.objects.filter(pk__in=lost, status=EmailLog.Status.QUEUED).update(
        due_at=timezone.now()
    )
    for log_id in lost:
        _enqueue(log_id)
    return len(lost)
