"""What the supporter area's services record in the audit trail (core.AuditEvent)."""

from django.utils.translation import gettext_lazy as _

from core.actions import actions_register

SUPPORTER_EXPORT = "supporter.export"
SUPPORTER_ERASE = "supporter.erase"

actions_register({SUPPORTER_EXPORT: _("data exported"), SUPPORTER_ERASE: _("erased")})
