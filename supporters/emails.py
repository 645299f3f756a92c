"""Sending emails to supporters, exactly once per event, after the surrounding commit.

Every email is rendered from `templates/emails/<template>.txt` and `.html` in the recipient's
language. A row in EmailLog with a unique event key is written in the caller's transaction: if
the event was already handled (a duplicate webhook, say), nothing is queued; if the transaction
rolls back, nothing is sent.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import EmailLog, Supporter

logger = logging.getLogger(__name__)


def email_queue(
    *,
    event_key: str,
    supporter: Supporter,
    template: str,
    subject: str,
    context: dict,
    language: str | None = None,
) -> EmailLog | None:
    """Queue one email for `event_key`; None when that event's email was already queued.

    `subject` is a translatable string rendered in the email's language. Sending happens after
    the current transaction commits (at once when there is none).
    """
    language = language or supporter.language
    with translation.override(language):
        subject_text = str(subject) % context if "%(" in str(subject) else str(subject)
    try:
        with transaction.atomic():
            log = EmailLog.objects.create(
                supporter=supporter,
                event_key=event_key[:120],
                kind=template,
                to=supporter.email,
                subject=subject_text,
            )
    except IntegrityError:
        return None
    transaction.on_commit(
        lambda: email_deliver(log_id=log.pk, template=template, context=context, language=language)
    )
    return log


def email_deliver(*, log_id: int, template: str, context: dict, language: str) -> bool:
    """Render and send a queued email; record the outcome on its log row. Never raises."""
    log = EmailLog.objects.filter(pk=log_id, status=EmailLog.Status.QUEUED).first()
    if log is None:
        return False
    try:
        with translation.override(language):
            full_context = {
                "site_name": settings.SITE_NAME,
                "organisation": settings.ORGANISATION,
                "supporter_area_url": settings.PUBLIC_BASE_URL + reverse("supporters:home"),
                **context,
            }
            text = render_to_string(f"emails/{template}.txt", full_context)
            html = render_to_string(f"emails/{template}.html", full_context)
        message = EmailMultiAlternatives(log.subject, text, to=[log.to])
        message.attach_alternative(html, "text/html")
        message.send()
    except Exception as error:  # SMTP and template errors alike: record, never break the caller
        logger.exception("Email %s to supporter %s failed", template, log.supporter_id)
        EmailLog.objects.filter(pk=log.pk).update(status=EmailLog.Status.FAILED, error=str(error))
        return False
    EmailLog.objects.filter(pk=log.pk).update(status=EmailLog.Status.SENT, sent_at=timezone.now())
    return True
