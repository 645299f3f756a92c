"""The emails of a supporter's identity: a login code, and the code that confirms a new
address. Queued in the site's outbox (`core.outbox`); the code itself is made at sending time
by the `login-code` preparer (`supporters.services.login_code_context`), so it never waits in
the database. The emails about gifts are the supporter area's (`supporter_area.emails`).
"""

import secrets

from django.utils.translation import gettext_lazy as _

from core.models import EmailLog
from core.outbox import email_queue

from .models import LoginCode, Supporter

LOGIN_CODE_CONTEXT = "login-code"


def identity_email_queue(
    *,
    supporter: Supporter,
    event_key: str,
    template: str,
    subject: str,
    context: dict,
    language: str | None = None,
    to: str | None = None,
    deliver: bool = True,
) -> EmailLog | None:
    """Queue an email to `supporter` (or to `to`) in their language unless told otherwise.

    With `login_code_purpose` in `context`, a fresh code for that purpose is made at sending
    time and added as `code`. None when that event's email was queued already.
    """
    return email_queue(
        event_key=event_key,
        to=to or supporter.email,
        language=language or supporter.language,
        template=template,
        subject=subject,
        context=context,
        recipient=supporter,
        prepare=LOGIN_CODE_CONTEXT,
        deliver=deliver,
    )


def login_code_email(*, supporter: Supporter, language: str) -> EmailLog | None:
    """Queue an email with a fresh login code (made when the email is sent, never stored)."""
    return identity_email_queue(
        event_key=f"login-code:{supporter.pk}:{secrets.token_hex(8)}",
        supporter=supporter,
        template="supporters/login_code",
        subject=_("Your login code"),
        context={"login_code_purpose": LoginCode.Purpose.LOGIN},
        language=language,
    )


def email_change_email(*, supporter: Supporter, new_email: str, language: str) -> EmailLog | None:
    """Queue an email to `new_email` with a code that confirms the change of address."""
    return identity_email_queue(
        event_key=f"email-change:{supporter.pk}:{secrets.token_hex(8)}",
        supporter=supporter,
        template="supporters/email_change",
        subject=_("Confirm your new email address"),
        context={"login_code_purpose": LoginCode.Purpose.EMAIL_CHANGE, "new_email": new_email},
        language=language,
        to=new_email,
    )
