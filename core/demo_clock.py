"""In the demo (`make run`), the site keeps the Mollie sandbox's time.

The sandbox's overview can move its clock on ("advance clock one month", "charge now"), so a
newcomer can see a regular gift's charges arrive. The site would otherwise stay in today:
"next gift on 5 January" beside a January charge already taken, a gift dated next year counted
as nothing "this year". With DEMO on and the local sandbox as Mollie, each request first asks the
sandbox how far its clock is ahead (at most every two seconds, over the loopback) and
`django.utils.timezone.now` adds that much. Never in production: DEMO is off there, and the
middleware is not installed (config/settings.py).
"""

import datetime
import json
import logging
import threading
import time
import urllib.request

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 2.0
_real_now = timezone.now
_state = {"offset": datetime.timedelta(0), "checked": 0.0}
_lock = threading.Lock()


def _demo_now() -> datetime.datetime:
    return _real_now() + _state["offset"]


def demo_clock_install() -> None:
    timezone.now = _demo_now


def demo_clock_uninstall() -> None:
    timezone.now = _real_now
    _state.update(offset=datetime.timedelta(0), checked=0.0)


def demo_clock_refresh(force: bool = False) -> datetime.timedelta:
    """Ask the sandbox how far ahead its clock is; keep the answer for a moment."""
    with _lock:
        if not force and time.monotonic() - _state["checked"] < REFRESH_SECONDS:
            return _state["offset"]
        _state["checked"] = time.monotonic()
    url = f"{settings.MOLLIE_API_ENDPOINT.rstrip('/')}/_sandbox/clock"
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 (our own sandbox)
            sandbox_now = datetime.datetime.fromisoformat(json.load(answer)["now"])
    except (OSError, ValueError, KeyError) as error:
        logger.warning("The sandbox's clock could not be read: %s", error)
        return _state["offset"]
    offset = sandbox_now - _real_now()
    # Whole minutes only: a request's own duration is no reason to move the site's clock.
    offset = datetime.timedelta(minutes=round(offset.total_seconds() / 60))
    _state["offset"] = offset
    return offset


def demo_clock_for_command() -> bool:
    """In a command run beside the demo (reconciliation every minute under `make run`), keep
    the sandbox's time as the site's requests do; True when it does. Otherwise a subscription
    compared "a day ago" by the moved clock would never be due again by the real one."""
    if "core.demo_clock.DemoClockMiddleware" not in settings.MIDDLEWARE:
        return False
    if not settings.MOLLIE_API_ENDPOINT:
        return False
    demo_clock_install()
    demo_clock_refresh(force=True)
    return True


class DemoClockMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        demo_clock_install()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.MOLLIE_API_ENDPOINT:  # the local sandbox (not a real Mollie: no endpoint)
            demo_clock_refresh()
        return self.get_response(request)
