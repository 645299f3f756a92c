"""The supporter session: separate from Django's staff users, so a login code never opens the admin.

`SupporterMiddleware` sets `request.supporter` (lazily: public pages that never look at it stay
cookie-free and cacheable). A session is tied to the supporter's current address, so changing or
erasing the address ends every other session of that supporter.
"""

import hashlib
import hmac
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme

from .models import Supporter

SESSION_ID_KEY = "supporter_id"
SESSION_HASH_KEY = "supporter_hash"


def _session_hash(supporter: Supporter) -> str:
    message = f"supporter-session:{supporter.pk}:{supporter.email}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def supporter_login(request: HttpRequest, supporter: Supporter) -> None:
    """Log `supporter` in, in a new session key (no fixation of a key set before login)."""
    request.session.cycle_key()
    request.session[SESSION_ID_KEY] = supporter.pk
    request.session[SESSION_HASH_KEY] = _session_hash(supporter)
    request.supporter = supporter


def supporter_refresh_session(request: HttpRequest, supporter: Supporter) -> None:
    """Keep this session valid after the supporter changed their own address."""
    request.session[SESSION_HASH_KEY] = _session_hash(supporter)


def supporter_logout(request: HttpRequest) -> None:
    request.session.flush()
    request.supporter = None


def _supporter_from_session(request: HttpRequest) -> Supporter | None:
    supporter_id = request.session.get(SESSION_ID_KEY)
    if supporter_id is None:
        return None
    supporter = Supporter.objects.filter(pk=supporter_id).first()
    if supporter is None or not hmac.compare_digest(
        request.session.get(SESSION_HASH_KEY, ""), _session_hash(supporter)
    ):
        return None
    return supporter


class SupporterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        request.supporter = SimpleLazyObject(lambda: _supporter_from_session(request))
        return self.get_response(request)


def supporter_required(view):
    """Send anyone without a supporter session to the login page, back here afterwards."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.supporter:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('supporters:login')}?{query}")
        return view(request, *args, **kwargs)

    return wrapped


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` parameter when it is a path on this site, otherwise `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
