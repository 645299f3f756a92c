"""What this browser started: the donations made from its session, newest last.

A browser that started a donation may see that donation again (the success page's button opens
a limited supporter session for it; the retry form is filled in with what was typed). Nothing
else proves who a browser belongs to, so nothing else is shown on that basis.
"""

from django.http import HttpRequest

STARTED_KEY = "donations_started"
NAMES_KEY = "donations_typed_names"
REMEMBERED = 10


def donation_remember_started(request: HttpRequest, token: str, *, name: str) -> None:
    """Remember that this browser started the donation `token`, and the name it typed (the
    retry form fills in what this browser typed, whatever the supporter's stored name is)."""
    started = [*request.session.get(STARTED_KEY, [])[-(REMEMBERED - 1) :], token]
    names = request.session.get(NAMES_KEY, {})
    request.session[STARTED_KEY] = started
    request.session[NAMES_KEY] = {t: names[t] for t in started if t in names} | {token: name}


def donations_started_here(request: HttpRequest) -> list[str]:
    """Public tokens of the donations this browser's session started (empty without one)."""
    if not request.COOKIES:  # no session cookie: do not touch (and so create) a session
        return []
    started = request.session.get(STARTED_KEY, [])
    return [token for token in started if isinstance(token, str)]


def donation_typed_name(request: HttpRequest, token: str) -> str:
    """The name this browser typed when it started the donation `token` ("" if it did not)."""
    if token not in donations_started_here(request):
        return ""
    name = request.session.get(NAMES_KEY, {}).get(token, "")
    return name if isinstance(name, str) else ""
