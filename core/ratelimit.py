"""Rate limits, counted in a store that every app process shares and page traffic cannot evict.

The store is `RATELIMIT_STORE`:

- `database` (the default): `core.RateLimitCounter` rows, one atomic UPDATE per hit. Every
  process and machine that uses the site's database counts together, with nothing else to run.
- `cache:<alias>`: a cache of `CACHES` (the `ratelimit` alias on Redis, which settings set up
  when `CACHE_URL` points at Redis). It must be a store all processes share; `check --deploy`
  warns about one that is not, or that is the page cache's own.

The raw address never leaves this module: keys are keyed hashes (`salted_hmac`), so neither the
store nor its logs reveal who asked.
"""

import collections
import datetime
import ipaddress
import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import RateLimitCounter

CACHE_PREFIX = "cache:"


def client_address(request: HttpRequest) -> str:
    """Return the client's address, trusting only `TRUSTED_PROXY_COUNT` forwarding proxies."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def hash_key(value: str) -> str:
    """A keyed hash for any identifier used in a rate-limit key (an address, an email)."""
    return salted_hmac("core.ratelimit", value, algorithm="sha256").hexdigest()[:32]


def client_network(address: str, v6_prefix: int = 64) -> str:
    """The part of `address` that names one client: an IPv4 address as it is, an IPv6 address
    by its /64 (one subscriber line or host is given a whole /64, so counting single IPv6
    addresses would let one client count as millions), or by a shorter `v6_prefix` for what
    must count a whole subscriber (a home line is often given a /56, a site a /48)."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, v6_prefix), strict=False))
    return str(parsed)


def client_key(request: HttpRequest, v6_prefix: int = 64) -> str:
    """A stable, non-reversible key for the client (never the address itself); an IPv6 client
    is counted by its /64 (or `v6_prefix`)."""
    network = client_network(client_address(request), v6_prefix)
    return hash_key(f"client:{network}" if v6_prefix == 64 else f"client/{v6_prefix}:{network}")


def _cache():
    store = settings.RATELIMIT_STORE
    return caches[store.removeprefix(CACHE_PREFIX)] if store.startswith(CACHE_PREFIX) else None


def hit(*, scope: str, key: str, limit: int, window: int) -> bool:
    """Count one attempt for `key`; the window opens at the first attempt and lasts `window` s.

    Returns True while the count stays within `limit`, False once it is exceeded.
    """
    return count_hit(scope=scope, key=key, window=window) <= limit


def count_hit(*, scope: str, key: str, window: int) -> int:
    """Count one attempt for `key` and return the count in the current window, this one included."""
    name = f"rl:{scope}:{key}"
    cache = _cache()
    if cache is not None:
        if cache.add(name, 1, timeout=window):
            return 1
        try:
            return cache.incr(name)
        except ValueError:  # expired between add and incr: this attempt opens a new window
            cache.add(name, 1, timeout=window)
            return 1
    return _database_hit(name, window)


def _database_hit(name: str, window: int) -> int:
    now = timezone.now()
    with transaction.atomic():
        live = RateLimitCounter.objects.filter(key=name, expires_at__gt=now)
        if live.update(count=F("count") + 1):
            # The UPDATE holds the row until commit, so this reads our own count.
            return live.values_list("count", flat=True).first() or 1
        RateLimitCounter.objects.filter(key=name, expires_at__lte=now).delete()
        try:
            with transaction.atomic():
                RateLimitCounter.objects.create(
                    key=name, count=1, expires_at=now + datetime.timedelta(seconds=window)
                )
            return 1
        except IntegrityError:
            pass  # another process opened the window a moment ago: count in theirs
    with transaction.atomic():
        RateLimitCounter.objects.filter(key=name).update(count=F("count") + 1)
        return RateLimitCounter.objects.values_list("count", flat=True).get(key=name)


def count(*, scope: str, key: str) -> int:
    """The count in `key`'s current window (0 when none is open), without counting."""
    name = f"rl:{scope}:{key}"
    cache = _cache()
    if cache is not None:
        return cache.get(name, 0)
    found = RateLimitCounter.objects.filter(key=name, expires_at__gt=timezone.now())
    return found.values_list("count", flat=True).first() or 0


def reset(*, scope: str, key: str) -> None:
    """Forget the count for `key` (after a success that should clear earlier failures)."""
    name = f"rl:{scope}:{key}"
    cache = _cache()
    if cache is not None:
        cache.delete(name)
    else:
        RateLimitCounter.objects.filter(key=name).delete()


def purge_expired() -> int:
    """Delete the database counters whose window has closed; returns how many."""
    deleted, _ = RateLimitCounter.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


class LocalBudget:
    """A budget counted in this process's memory, per key, in windows of `window` seconds.

    For a bound that may hold per process (with N workers, each allows `limit`) on a hot path,
    where the shared store would cost a query on every request (Mollie's webhook: thousands on
    the first of the month). A unit is taken before the work whose outcome decides whether it
    counts, and given back when it does not, so requests at the same moment cannot take more
    than the budget between them. Keys are `client_key`s; the least recently used are forgotten
    beyond MAX_KEYS, so many clients cannot make the table grow without end.
    """

    MAX_KEYS = 10_000

    def __init__(self, window: int) -> None:
        self.window = window
        self._counts: collections.OrderedDict[str, tuple[float, int]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, limit: int) -> bool:
        """Take one unit of `key`'s budget; False (and nothing taken) once `limit` are used."""
        now = time.monotonic()
        with self._lock:
            opened, used = self._counts.pop(key, (now, 0))
            if now - opened >= self.window:
                opened, used = now, 0
            taken = used < limit
            self._counts[key] = (opened, used + taken)
            while len(self._counts) > self.MAX_KEYS:
                self._counts.popitem(last=False)
            return taken

    def give_back(self, key: str) -> None:
        """Return a unit taken for work that turned out not to count."""
        with self._lock:
            opened, used = self._counts.get(key, (0.0, 0))
            if used:
                self._counts[key] = (opened, used - 1)
