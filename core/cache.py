"""Server-side caching of public pages, shared by every app process through the default cache.

Public pages (campaign, guide, articles, search, donate info) are the same for every reader, so
the rendered HTML is stored under a key that includes a *generation* number. Saving content bumps
the generation, which makes every cached page stale at once without having to know their keys.
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

GENERATION_KEY = "public-pages:generation"


def public_pages_generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = time.time_ns()
        cache.add(GENERATION_KEY, generation, timeout=None)
    return generation


def public_pages_invalidate() -> None:
    """Make every cached public page stale (called when staff save content).

    The generation is counted up, not set from the clock: two saves within one tick of a coarse
    clock must still give two generations.
    """
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not stored yet (or evicted): any new number will do
        cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


def _page_key(request: HttpRequest) -> str:
    # The language is part of the path (/nl/, /en/). The host is part of the key as well: a
    # page is never served to another host than the one it was made for.
    where = f"{request.get_host()}\n{request.path}"
    digest = hashlib.sha256(where.encode()).hexdigest()[:40]
    return f"public-page:{public_pages_generation()}:{digest}"


def _storable(request: HttpRequest) -> bool:
    """Only plain addresses are stored: with a query string (search terms, `?flood=N`) every
    variant would be a new entry, and a flood of them would push the real pages out. Such
    pages are still marked public, for the proxy cache in front."""
    return request.method in ("GET", "HEAD") and not request.META.get("QUERY_STRING")


def public_page(view):
    """Mark a GET view's page as the same for every reader: cacheable by shared caches, and
    stored whole by PublicPageCacheMiddleware.

    The view must not touch the session, the user or the CSRF token, so the response carries no
    `Vary: Cookie` and sets no cookie.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
            response.public_page = True
        return response

    return wrapped


class PublicPageCacheMiddleware:
    """Serve stored public pages before the rest of the middleware runs.

    Sits right after the security and static-file middleware. A page is stored once the whole
    stack has produced it (headers included: CSP, frame options, cache control), and served
    from the shared cache until its time runs out or staff change content.
    """

    STORED_HEADERS_SKIP = {"set-cookie", "x-page-cache"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _storable(request):
            return self.get_response(request)
        key = _page_key(request)
        stored = cache.get(key)
        if stored is not None:
            headers, content = stored
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            response["X-Page-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if (
            getattr(response, "public_page", False)
            and request.method == "GET"
            and response.status_code == 200
            and not response.cookies
            and not response.streaming
        ):
            headers = [
                (name, value)
                for name, value in response.items()
                if name.lower() not in self.STORED_HEADERS_SKIP
            ]
            cache.set(key, (headers, response.content), timeout=settings.PUBLIC_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        return response
