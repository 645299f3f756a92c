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
from django.utils.translation import get_language

GENERATION_KEY = "public-pages:generation"


def public_pages_generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = time.time_ns()
        cache.add(GENERATION_KEY, generation, timeout=None)
    return generation


def public_pages_invalidate() -> None:
    """Make every cached public page stale (called when staff save content)."""
    cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


def _page_key(request: HttpRequest) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:40]
    return f"public-page:{public_pages_generation()}:{get_language()}:{path}"


def public_page(view):
    """Serve a GET view from the page cache and mark it cacheable by shared caches.

    Only 200 responses without cookies are stored. The view must not touch the session, the user
    or the CSRF token, so the response carries no `Vary: Cookie` and sets no cookie.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        key = _page_key(request)
        stored = cache.get(key)
        if stored is not None:
            content_type, content = stored
            response = HttpResponse(content, content_type=content_type)
            response["X-Page-Cache"] = "hit"
        else:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response = response.render()
            if response.status_code == 200 and not response.cookies:
                stored = (response["Content-Type"], response.content)
                cache.set(key, stored, timeout=settings.PUBLIC_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
        return response

    return wrapped
