"""Sending emails to supporters, exactly once per event, after the surrounding commit.

Every email is rendered from `templates/emails/<template>.txt` and `.html` in the recipient's
language. A row in EmailLog with a unique event key is written in the caller's transaction: if
the event was already handled (a duplicate webhook, say), nothing is queued; if the transaction
rolls back, nothing is sent.
"""

import logging
import secrets

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .models import EmailLog, LoginCode, Supporter

logger = logging.getLogger(__name__)


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
    is made at sending time and added as `code`. Sending happens after the current transaction
    commits (at once when there is none); with `deliver=False` the caller sends it.
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
                to=to or supporter.email,
                subject=subject_text,
            )
    except IntegrityError:
        return None
    if deliver:
        transaction.on_commit(
            lambda: email_deliver(
                log_id=log.pk, template=template, context=context, language=language
            )
        )
    return log


def email_deliver(*, log_id: int, template: str, context: dict, language: str) -> bool:
    """Render and send a queued email; record the outcome on its log row. Never raises."""
    log = EmailLog.objects.filter(pk=log_id, status=EmailLog.Status.QUEUED).first()
    if log is None:
        return False
    try:
        if context.get("login_code_purpose"):
            from .services import login_code_issue

            context = {
                **context,
                "code": login_code_issue(
                    supporter=log.supporter,
                    purpose=context["login_code_purpose"],
                    new_email=context.get("new_email", ""),
                ),
                "code_minutes": 10,
            }
        with translation.override(language):
            full_context = {
                "site_name": settings.SITE_NAME,
                "organisation": settings.ORGANISATION,
                "supporter_area_url": settings.PUBLIC_BASE_URL + reverse("supporters:home"),
                "login_code_url": settings.PUBLIC_BASE_URL + reverse("supporters:login_code"),
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
    """Send, right now, the confirmation that the supporter's data is being erased.

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
    if log is None:
        return False
    return email_deliver(
        log_id=log.pk,
        template="supporters/erased",
        context={"name": supporter.name},
        language=supporter.language,
    )
