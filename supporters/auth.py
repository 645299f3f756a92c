"""The supporter session: separate from Django's staff users, so a login code never opens the admin.

There are two kinds of supporter session:

- **proven**: opened with a login code, so the browser has shown it reads the supporter's
  mailbox. `request.supporter` is set, and every page of the area is open to it.
- **limited**: opened by the success page's button in the browser that started the gift. Anyone
  can type anyone's address into the donate form, so this proves nothing about the address:
  the session shows only the gifts this browser started (`request.limited_access`), and
  `request.supporter` stays None, so every page guarded by `supporter_required` is closed to it
  without that page having to know limited sessions exist. It lasts
  `SUPPORTER_LIMITED_SESSION_SECONDS`, and the next code login of that supporter ends it.

Both are tied to the supporter's current address (changing or erasing it ends every other
session); their keys are `salted_hmac` digests, checked against `SECRET_KEY_FALLBACKS` too, so a
key rotation does not log everyone out.
"""

from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.functional import SimpleLazyObject

from core.actors import Actor

from . import audit
from .audit import supporter_audit
from .models import Supporter

SESSION_ID_KEY = "supporter_id"
SESSION_HASH_KEY = "supporter_hash"
SESSION_LIMITED_KEY = "supporter_limited_tokens"  # present only in limited sessions
SESSION_SALT = "supporters.session"


@dataclass(frozen=True)
class LimitedAccess:
    """What a limited session may see: `supporter`, narrowed to `scope`, tokens this app does
    not interpret (the donor area puts in the public tokens of the gifts this browser made)."""

    supporter: Supporter
    scope: tuple[str, ...]


def session_hash(supporter: Supporter, *, limited: bool, secret: str | None = None) -> str:
    parts = [str(supporter.pk), supporter.email]
    if limited:
        # A code login moves code_login_at on, so every limited session made before it ends.
        parts += ["limited", supporter.code_login_at.isoformat() if supporter.code_login_at else ""]
    value = "\n".join(parts)
    return salted_hmac(SESSION_SALT, value, secret=secret, algorithm="sha256").hexdigest()


def _hash_is_valid(stored: str, supporter: Supporter, *, limited: bool) -> bool:
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return any(
        constant_time_compare(stored, session_hash(supporter, limited=limited, secret=secret))
        for secret in secrets
    )


def supporter_login(request: HttpRequest, supporter: Supporter, *, actor: Actor) -> None:
    """Open a proven session for `supporter`, who has just entered a login code, and record
    the login in the audit trail as done by `actor`.

    A new session key and CSRF token (nothing set before login survives as a handle), and
    every limited session of this supporter, in any browser, ends.
    """
    with transaction.atomic():
        supporter.code_login_at = timezone.now()
        supporter.save(update_fields=["code_login_at"])
        supporter_audit(actor, audit.SUPPORTER_LOGIN, supporter.pk)
    request.session.cycle_key()
    request.session.pop(SESSION_LIMITED_KEY, None)
    request.session[SESSION_ID_KEY] = supporter.pk
    request.session[SESSION_HASH_KEY] = session_hash(supporter, limited=False)
    request.session.set_expiry(None)  # the site's SESSION_COOKIE_AGE
    rotate_token(request)
    request.supporter = supporter
    request.limited_access = None


def supporter_login_limited(
    request: HttpRequest,
    supporter: Supporter,
    scope: list[str],
    *,
    actor: Actor,
    **audit_details,
) -> None:
    """Open a limited session for `supporter`, narrowed to `scope` (see LimitedAccess), recorded
    as done by `actor` with `audit_details`.

    A browser that already holds a proven session of this supporter keeps it.
    """
    supporter_audit(actor, audit.SUPPORTER_LOGIN_LIMITED, supporter.pk, **audit_details)
    if request.supporter and request.supporter.pk == supporter.pk:
        return
    request.session.cycle_key()
    request.session[SESSION_ID_KEY] = supporter.pk
    request.session[SESSION_HASH_KEY] = session_hash(supporter, limited=True)
    request.session[SESSION_LIMITED_KEY] = list(scope)
    request.session.set_expiry(settings.SUPPORTER_LIMITED_SESSION_SECONDS)
    rotate_token(request)
    request.supporter = None
    request.limited_access = LimitedAccess(supporter, tuple(scope))


def supporter_refresh_session(request: HttpRequest, supporter: Supporter) -> None:
    """Keep this (proven) session valid after the supporter changed their own address."""
    request.session[SESSION_HASH_KEY] = session_hash(supporter, limited=False)


def supporter_logout(request: HttpRequest) -> None:
    request.session.flush()
    request.supporter = None
    request.limited_access = None


def _session_supporter(request: HttpRequest) -> tuple[Supporter | None, bool]:
    """The session's supporter, if its key is still valid, and whether the session is limited.

    Looked up once per request: `request.supporter` and `request.limited_access` share it.
    """
    if not hasattr(request, "_supporter_session"):
        request._supporter_session = _session_supporter_lookup(request)
    return request._supporter_session


def _session_supporter_lookup(request: HttpRequest) -> tuple[Supporter | None, bool]:
    supporter_id = request.session.get(SESSION_ID_KEY)
    if supporter_id is None:
        return None, False
    limited = SESSION_LIMITED_KEY in request.session
    supporter = Supporter.objects.filter(pk=supporter_id).first()
    stored = request.session.get(SESSION_HASH_KEY, "")
    if supporter is None or not _hash_is_valid(stored, supporter, limited=limited):
        return None, limited
    return supporter, limited


def _proven_supporter(request: HttpRequest) -> Supporter | None:
    supporter, limited = _session_supporter(request)
    return None if limited else supporter


def _limited_access(request: HttpRequest) -> LimitedAccess | None:
    supporter, limited = _session_supporter(request)
    if supporter is None or not limited:
        return None
    return LimitedAccess(supporter, tuple(request.session.get(SESSION_LIMITED_KEY, [])))


class SupporterMiddleware:
    """Sets `request.supporter` (proven sessions) and `request.limited_access` (limited ones).

    Lazily: public pages that never look at them stay cookie-free and cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        request.supporter = SimpleLazyObject(lambda: _proven_supporter(request))
        request.limited_access = SimpleLazyObject(lambda: _limited_access(request))
        return self.get_response(request)


def _to_login(request: HttpRequest):
    query = urlencode({"next": request.get_full_path()})
    return redirect(f"{reverse('supporters:login')}?{query}")


def supporter_required(view):
    """Only for a proven session (a code was entered); anyone else goes to the login page,
    and back here afterwards. A limited session is sent there too."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.supporter:
            return _to_login(request)
        return view(request, *args, **kwargs)

    return wrapped


def supporter_or_limited_required(view):
    """For the one page a limited session may see too (the overview, narrowed to its gifts)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.supporter and not request.limited_access:
            return _to_login(request)
        return view(request, *args, **kwargs)

    return wrapped
