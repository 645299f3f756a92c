"""What this browser started: the donations made from its session, newest last.

A browser that started a donation may see that donation again (the success page's button opens
a limited supporter session for it; the retry form is filled in with what was typed). Nothing
else proves who a browser belongs to, so nothing else is shown on that basis.
"""

from django.http import HttpRequest

STARTED_KEY = "donations_started"
REMEMBERED = 10


def donation_remember_started(request: HttpRequest, token: str) -> None:
    started = request.session.get(STARTED_KEY, [])
    request.session[STARTED_KEY] = [*started[-(REMEMBERED - 1) :], token]


def donations_started_here(request: HttpRequest) -> list[str]:
    """Public tokens of the donations this browser's session started (empty without one)."""
    if not request.COOKIES:  # no session cookie: do not touch (and so create) a session
        return []
    started = request.session.get(STARTED_KEY, [])
    return [token for token in started if isinstance(token, str)]
