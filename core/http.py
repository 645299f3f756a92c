"""Small request helpers."""

import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` parameter when it is a path on this site, otherwise `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def with_next(url: str, request: HttpRequest) -> str:
    """`url`, carrying this request's safe `next` parameter along (if it has one)."""
    target = safe_next(request, "")
    return f"{url}?{urlencode({'next': target})}" if target else url


def no_faster_than(setting: str):
    """Answer a POST no sooner than `settings.<setting>` seconds after it came in.

    For forms whose work differs between a known and an unknown email address (a code and an
    email to send, a Mollie customer that exists already): a fixed minimum puts both in the
    same timing class, so the time taken does not tell the two apart.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            started = time.monotonic()
            response = view(request, *args, **kwargs)
            if request.method == "POST":
                remaining = getattr(settings, setting) - (time.monotonic() - started)
                if remaining > 0:
                    time.sleep(remaining)
            return response

        return wrapped

    return decorator


def is_same_origin(request: HttpRequest) -> bool:
    """True unless the browser tells us the request came from another site.

    Browsers send `Sec-Fetch-Site` and `Origin` on POSTs; a request from another site's page
    (a forged form or script) is refused. Clients that send neither (curl, old browsers) pass:
    this guards forms that deliberately carry no CSRF token so their pages stay cookie-free.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is not None:
        expected = f"{request.scheme}://{request.get_host()}"
        return origin == expected
    return True


def cookie_free_post(refused: str | Callable[[HttpRequest], HttpResponse] = "refused.html"):
    """For a view whose form carries no CSRF token, so that reading its page sets no cookie.

    Django's CSRF check is switched off for it (`csrf_exempt`); instead a POST that the browser
    says came from another site (see `is_same_origin`) is answered by `refused`: a template
    rendered with status 403, or a function of the request that makes the answer.
    """

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.method == "POST" and not is_same_origin(request):
                if callable(refused):
                    return refused(request)
                return render(request, refused, status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def see_other(url: str) -> HttpResponseRedirect:
    """A 303 redirect: after a POST, the browser follows with a GET."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


class RejectNulBytesMiddleware:
    """Answer 400 to a request whose path or parameters hold a NUL byte.

    No form or page of ours takes one, and PostgreSQL refuses them in text with an error (a 500
    wherever a parameter reaches a query). One check here covers every view, present and future.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        params = [request.GET, request.POST] if request.method == "POST" else [request.GET]
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for query in params
            for key, values in query.lists()
        ):
            return HttpResponseBadRequest(
                "A request must not contain NUL characters.\n", content_type="text/plain"
            )
        return self.get_response(request)


class SiteNotFoundMiddleware:
    """With DEBUG on, Django answers an unknown address with its technical 404 page (every URL
    pattern listed); `make run` is what a newcomer sees, so show the site's own 404 page there
    too. DEBUG_TECHNICAL_404=1 keeps Django's. The last middleware, so the page it puts in
    place passes through all the others on its way out."""

    TECHNICAL = b"<code>DEBUG = True</code>"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and not settings.DEBUG_TECHNICAL_404
            and response.status_code == 404
            and not response.streaming
            and self.TECHNICAL in response.content
        ):
            return page_not_found(request, Http404())
        return response
