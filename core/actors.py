"""Who did something: the actor a write service records in the audit trail.

A view or an admin action says who is acting (`actor_of(request)` for staff,
`supporter_actor(request, id)` in the supporter area) and passes it to the service;
reconciliation and other background work act as `Actor.system()`. The address is kept only as
a keyed hash (`core.ratelimit.client_key`).
"""

from dataclasses import asdict, dataclass

from django.http import HttpRequest

from . import ratelimit


@dataclass(frozen=True)
class Actor:
    kind: str  # "staff", "supporter" or "system" (AuditEvent.Actor)
    label: str
    user_id: int | None = None
    supporter_id: int | None = None
    address_hash: str = ""

    @classmethod
    def system(cls) -> "Actor":
        return cls(kind="system", label="system")

    @classmethod
    def staff(cls, user, address_hash: str = "") -> "Actor":
        return cls("staff", f"staff:{user.get_username()}", user.pk, None, address_hash)

    @classmethod
    def supporter(cls, supporter_id: int, address_hash: str = "") -> "Actor":
        return cls("supporter", f"supporter:{supporter_id}", None, supporter_id, address_hash)

    @property
    def is_supporter(self) -> bool:
        return self.kind == "supporter"

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> "Actor":
        return cls(**data) if data else cls.system()


def actor_of(request: HttpRequest) -> Actor:
    """Who acts in a staff page or the admin: its logged-in staff member, else the system."""
    address = ratelimit.client_key(request)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return Actor.staff(user, address)
    return Actor(kind="system", label="system", address_hash=address)


def anonymous_actor(request: HttpRequest, label: str) -> Actor:
    """Someone who proved no identity, acting through what they hold (a link from an email,
    say): recorded by `label` and a keyed hash of the address."""
    return Actor(kind="system", label=label, address_hash=ratelimit.client_key(request))


def supporter_actor(request: HttpRequest, supporter_id: int) -> Actor:
    """The supporter `supporter_id` acting in their own area (or logging in to it). Always the
    supporter, even when the same browser is also logged in to the admin: what a donor does
    is the donor's, whoever else the session belongs to."""
    return Actor.supporter(supporter_id, ratelimit.client_key(request))
