"""What the supporters app's services record in the audit trail (core.AuditEvent)."""

from django.utils.translation import gettext_lazy as _

from core.actions import actions_register
from core.actors import Actor
from core.audit import audit_record

SUPPORTER_LOGIN = "supporter.login"
SUPPORTER_LOGIN_LIMITED = "supporter.login_limited"
SUPPORTER_PROFILE = "supporter.profile"
SUPPORTER_EMAIL = "supporter.email"

actions_register(
    {
        SUPPORTER_LOGIN: _("logged in with a code"),
        SUPPORTER_LOGIN_LIMITED: _("entered a limited session"),
        SUPPORTER_PROFILE: _("details changed"),
        SUPPORTER_EMAIL: _("email address changed"),
    }
)


def supporter_audit(actor: Actor, action: str, supporter_id: int, **data) -> None:
    """Record `action` on the supporter `supporter_id`, in the caller's transaction."""
    audit_record(
        actor=actor,
        action=action,
        subject_type="supporter",
        subject_id=supporter_id,
        supporter_id=supporter_id,
        data=data,
    )
