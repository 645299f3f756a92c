"""Server-side caching of public pages, shared by every app process through the default cache.

Public pages (campaign, guide, articles, search, donate info) are the same for every reader, so
the rendered HTML is stored under a key that includes a *generation* number. Saving content bumps
the generation, which makes every cached page stale at once without having to know their keys.

A page is compressed when it is stored, not when it is served: the entry holds the plain page
and its gzip and brotli forms, and each reader gets the one their `Accept-Encoding` asks for
(with `Vary: Accept-Encoding`). A hit then costs no compression at all. These pages hold no
secret (no CSRF token, no session data: `public_page` views must not touch either), so
compressing them cannot leak one (BREACH needs a secret and the reader's input in one body).

When a stored page is out of date (its time ran out, or staff saved content since), one request
makes it again while the others are served the old copy, marked "stale" and not to be kept by
any cache in front. Without that, every request that arrived during the render (dozens a second
on a busy campaign page, whose goal bar keeps it only 20 seconds) would render and compress the
same page at once.
"""

import gzip
import hashlib
import re
import time
from functools import wraps

import brotli
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

# Smaller bodies gain nothing from compression (and the header costs bytes).
COMPRESS_MIN_BYTES = 512
_CODING = re.compile(r"^\s*([a-z*]+)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$", re.IGNORECASE)

GENERATION_KEY = "public-pages:generation"
# A stored page is kept this long after it is out of date, to be served while one request makes
# it again; a page nobody asked for in that time is made afresh by whoever asks next.
STALE_KEEP_SECONDS = 300
# How long the request making a page again holds the right to: should it never finish (a
# crashed worker), another request takes over after this.
REMAKE_LOCK_SECONDS = 10


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
    # page is never served to another host than the one it was made for. The generation is in
    # the entry, not the key, so an out-of-date page can still be served while it is made again.
    where = f"{request.get_host()}\n{request.path}"
    digest = hashlib.sha256(where.encode()).hexdigest()[:40]
    # "v3": entries hold (generation, fresh until, headers, forms).
    return f"public-page:v3:{digest}"


def _storable(request: HttpRequest) -> bool:
    """Only plain addresses are stored: with a query string (search terms, `?flood=N`) every
    variant would be a new entry, and a flood of them would push the real pages out. Such
    pages are still marked public, for the proxy cache in front."""
    return request.method in ("GET", "HEAD") and not request.META.get("QUERY_STRING")


def page_seconds(response: HttpResponse) -> int:
    """How long each cache may keep this page: the site's setting, or less when the view says
    its page must be fresher (`response.public_seconds`, for a figure that moves)."""
    return min(settings.PUBLIC_CACHE_SECONDS, getattr(response, "public_seconds", 10**9))


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
            patch_cache_control(response, public=True, max_age=page_seconds(response))
            response.public_page = True
        return response

    return wrapped


def compressed_forms(content: bytes) -> dict[str, bytes]:
    """The page as it is stored: plain, and gzip and brotli when it is worth it."""
    forms = {"identity": content}
    if len(content) >= COMPRESS_MIN_BYTES:
        forms["gzip"] = gzip.compress(content, compresslevel=9, mtime=0)
        forms["br"] = brotli.compress(content, mode=brotli.MODE_TEXT, quality=11)
    return forms


def encoding_for(request: HttpRequest, available) -> str:
    """The best of `available` codings the request accepts: brotli, then gzip, else plain."""
    accepted: dict[str, float] = {}
    for part in request.META.get("HTTP_ACCEPT_ENCODING", "").split(","):
        match = _CODING.match(part)
        if match:
            name = match.group(1).lower()
            try:
                accepted[name] = float(match.group(2)) if match.group(2) else 1.0
            except ValueError:
                accepted[name] = 0.0
    for coding in ("br", "gzip"):
        if coding in available and accepted.get(coding, accepted.get("*", 0.0)) > 0:
            return coding
    return "identity"


def _respond(request: HttpRequest, headers, forms: dict[str, bytes], state: str) -> HttpResponse:
    coding = encoding_for(request, forms)
    response = HttpResponse(forms[coding])
    for name, value in headers:
        response[name] = value
    if state == "stale":  # out of date already: no cache in front may keep it
        patch_cache_control(response, max_age=0)
    if len(forms) > 1:
        patch_vary_headers(response, ["Accept-Encoding"])
    if coding != "identity":
        response["Content-Encoding"] = coding
    response["Content-Length"] = str(len(forms[coding]))
    response["X-Page-Cache"] = state
    return response


class PublicPageCacheMiddleware:
    """Serve stored public pages before the rest of the middleware runs.

    Sits right after the security and static-file middleware. A page is stored once the whole
    stack has produced it (headers included: CSP, frame options, cache control), and served
    from the shared cache until its time runs out or staff change content; then one request
    makes it again while the others get the old copy (see the module's docstring).
    """

    STORED_HEADERS_SKIP = {"set-cookie", "x-page-cache", "content-length", "content-encoding"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _storable(request):
            return self.get_response(request)
        key = _page_key(request)
        found = cache.get_many([GENERATION_KEY, key])  # one round trip to the cache for a hit
        generation = found.get(GENERATION_KEY) or public_pages_generation()
        stored = found.get(key)
        if stored is not None:
            made_in, fresh_until, headers, forms = stored
            if made_in == generation and time.time() < fresh_until:
                return _respond(request, headers, forms, "hit")
            # A HEAD never remakes a page (it could neither store the page nor drop it).
            if request.method != "GET" or not cache.add(
                f"{key}:remaking", 1, timeout=REMAKE_LOCK_SECONDS
            ):
                return _respond(request, headers, forms, "stale")
        try:
            response = self.get_response(request)
            return self._stored(request, response, key, generation, replaces=stored is not None)
        finally:
            if stored is not None:
                cache.delete(f"{key}:remaking")

    def _stored(self, request, response: HttpResponse, key: str, generation, *, replaces: bool):
        """`response` as served and stored, when it is a public page; otherwise `response`.

        When the page is no longer public (taken down: a 404, a redirect), the older copy it
        `replaces` is dropped. When only this request's answer cannot be stored (it sets a
        cookie, because the request came with a stale one), the older copy stays for the next
        request to remake: a made-up cookie must not be a way to empty the cache.
        """
        public = getattr(response, "public_page", False) and response.status_code == 200
        if not (
            public
            and request.method == "GET"
            and not response.cookies
            and not response.streaming
            and not response.has_header("Content-Encoding")
        ):
            if replaces and not public:
                cache.delete(key)
            return response
        headers = [
            (name, value)
            for name, value in response.items()
            if name.lower() not in self.STORED_HEADERS_SKIP
        ]
        forms = compressed_forms(response.content)
        seconds = page_seconds(response)
        entry = (generation, time.time() + seconds, headers, forms)
        cache.set(key, entry, timeout=seconds + STALE_KEEP_SECONDS)
        return _respond(request, headers, forms, "miss")
