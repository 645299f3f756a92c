"""Per-client rate limits counted in the default cache, keyed by a hash of the client address.

The cache is the store all app processes share in production (Redis via `CACHE_URL`); with the
local-memory default each process counts on its own, which is fine for development. The raw
address never leaves this module: keys hold a keyed hash (HMAC with the secret key), so neither
the cache nor its logs reveal who asked.
"""

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """Return the client's address, trusting only `TRUSTED_PROXY_COUNT` forwarding proxies."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def client_key(request: HttpRequest) -> str:
    """A stable, non-reversible key for the client address (never the address itself)."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), client_address(request).encode(), hashlib.sha256
    )
    return digest.hexdigest()[:32]


def hash_key(value: str) -> str:
    """A keyed hash for any identifier used in a rate-limit key (an email address, say)."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def hit(*, scope: str, key: str, limit: int, window: int) -> bool:
    """Count one attempt for `key`; the window opens at the first attempt and lasts `window` s.

    Returns True while the count stays within `limit`, False once it is exceeded. Counting is
    atomic in Redis and in the local-memory cache (`add`, then `incr`, which keeps the expiry).
    """
    cache_key = f"rl:{scope}:{key}"
    if cache.add(cache_key, 1, timeout=window):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # The entry expired between add and incr: this attempt opens a new window.
        cache.add(cache_key, 1, timeout=window)
        count = 1
    return count <= limit


def reset(*, scope: str, key: str) -> None:
    """Forget the count for `key` (after a success that should clear earlier failures)."""
    cache.delete(f"rl:{scope}:{key}")
