"""Recording changes to money and to supporters in the append-only audit trail.

Called by the views and admin actions that make such a change, right after it succeeded, with
the request: the actor (a staff user, a supporter or the system) and a hashed client address
are read from it. `data` must hold no personal data (amounts and ids, never names or
addresses), so the trail survives a supporter's erasure as it is.
"""

from django.http import HttpRequest

from . import ratelimit
from .models import AuditEvent

Action = AuditEvent.Action


def audit_record(
    *,
    request: HttpRequest | None,
    action: str,
    subject_type: str,
    subject_id: object,
    supporter_id: int | None,
    data: dict | None = None,
    supporter_actor_id: int | None = None,
) -> AuditEvent:
    """Append one event. The actor is the request's staff user when one is logged in, else
    `supporter_actor_id` (the supporter acting in their own area), else the system."""
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and user.is_authenticated and user.is_staff:
        kind, label = AuditEvent.Actor.STAFF, f"staff:{user.get_username()}"
    elif supporter_actor_id is not None:
        kind, label, user = AuditEvent.Actor.SUPPORTER, f"supporter:{supporter_actor_id}", None
    else:
        kind, label, user = AuditEvent.Actor.SYSTEM, "system", None
    return AuditEvent.objects.create(
        actor_kind=kind,
        actor_user=user if kind == AuditEvent.Actor.STAFF else None,
        actor_label=label,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        supporter_id=supporter_id,
        data=data or {},
        address_hash=ratelimit.client_key(request) if request is not None else "",
    )
