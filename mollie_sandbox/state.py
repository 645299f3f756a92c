"""The sandbox's state: every object, the sandbox clock, and optional persistence.

One re-entrant lock (`Store.lock`) guards everything; callers hold it for a whole operation so
concurrent requests never see or write half-made objects. Objects are stored as plain dicts in
Mollie's own camelCase shape (links are added when rendering, because the base URL can change
between runs); keys starting with "_" are internal bookkeeping and never rendered.

With a state file every change is written atomically (temp file + rename) before the lock is
released, so a restart resumes exactly where the last answered request left off.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import string
import tempfile
import threading
from zoneinfo import ZoneInfo

COLLECTIONS = (
    "payments",
    "customers",
    "mandates",
    "subscriptions",
    "refunds",
    "chargebacks",
)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_ALNUM = string.ascii_letters + string.digits
MAX_DELIVERIES = 500  # the overview shows recent webhook calls; older ones are dropped


def timestamp(moment: dt.datetime) -> str:
    """Mollie's timestamp format: ISO 8601, seconds precision, explicit +00:00."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def parse_timestamp(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


class Store:
    """All sandbox data plus the clock. Mutate only while holding `lock`, then call `changed()`."""

    def __init__(self, path: str | None = None):
        self.lock = threading.RLock()
        self.path = path
        # Called as sink(url, payment_id, event) for each webhook to send; set by the server.
        self.webhook_sink = None
        self._fresh()
        if path and os.path.exists(path):
            self._load(path)

    def _fresh(self) -> None:
        for name in COLLECTIONS:
            setattr(self, name, {})
        self.deliveries: list[dict] = []
        # Finished idempotent responses: {"<api key> <idempotency key>": entry}.
        self.idempotency: dict[str, dict] = {}
        self.clock_offset = dt.timedelta(0)
        self.profile_id = "pfl_" + "".join(secrets.choice(_ALNUM) for _ in range(10))

    # -- clock -------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The sandbox's notion of now: real UTC time plus however far the clock was advanced."""
        return dt.datetime.now(dt.UTC).replace(microsecond=0) + self.clock_offset

    def now_iso(self) -> str:
        return timestamp(self.now())

    def today(self) -> dt.date:
        """The date in the Netherlands: the calendar Mollie and the Dutch sites it serves date
        mandates, subscriptions and charges by (Mollie's dates carry no zone). With UTC's
        date, a signature dated today by a Dutch site was "in the future" after midnight in
        Amsterdam, for an hour or two each night."""
        return self.now().astimezone(AMSTERDAM).date()

    # -- ids ---------------------------------------------------------------------------------

    def new_id(self, prefix: str, collection: dict) -> str:
        """A Mollie-looking id (`tr_` + 10 letters/digits) not used yet in `collection`."""
        while True:
            ident = prefix + "".join(secrets.choice(_ALNUM) for _ in range(10))
            if ident not in collection:
                return ident

    # -- persistence -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything, including the clock offset (the profile id stays)."""
        with self.lock:
            profile = self.profile_id
            self._fresh()
            self.profile_id = profile
            self.changed()

    def snapshot(self) -> dict:
        data = {name: getattr(self, name) for name in COLLECTIONS}
        data["deliveries"] = self.deliveries
        data["idempotency"] = {
            k: v for k, v in self.idempotency.items() if v.get("state") == "done"
        }
        data["clockOffsetSeconds"] = int(self.clock_offset.total_seconds())
        data["profileId"] = self.profile_id
        return data

    def changed(self) -> None:
        """Record that state changed: trims the delivery log and saves when a file is set."""
        if len(self.deliveries) > MAX_DELIVERIES:
            del self.deliveries[: len(self.deliveries) - MAX_DELIVERIES]
        if not self.path:
            return
        folder = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".sandbox-", suffix=".json", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.snapshot(), handle, indent=1, sort_keys=True)
        os.replace(tmp, self.path)

    def _load(self, path: str) -> None:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        for name in COLLECTIONS:
            setattr(self, name, data.get(name, {}))
        self.deliveries = data.get("deliveries", [])
        self.idempotency = data.get("idempotency", {})
        self.clock_offset = dt.timedelta(seconds=data.get("clockOffsetSeconds", 0))
        self.profile_id = data.get("profileId", self.profile_id)
