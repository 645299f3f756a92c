"""Appending to the audit trail: every change to money or to a supporter, recorded by the
write service that makes it, in its own transaction, with the actor it was given.

`data` must hold no personal data (amounts and ids, never names or addresses), so the trail
survives a supporter's erasure as it is. Views and admin actions never write here themselves
(an import contract in pyproject.toml): the services they call do, so an action is audited
whichever way it is reached (the area, the admin, reconciliation, a later API).
"""

from .actors import Actor
from .models import AuditEvent


def audit_record(
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: object,
    supporter_id: int | None,
    data: dict | None = None,
) -> AuditEvent:
    """Append one event, in the caller's transaction."""
    return AuditEvent.objects.create(
        actor_kind=actor.kind,
        actor_user_id=actor.user_id if actor.kind == AuditEvent.Actor.STAFF else None,
        actor_label=actor.label,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        supporter_id=supporter_id,
        data=data or {},
        address_hash=actor.address_hash,
    )
