"""Mollie's Idempotency-Key rules for POST requests.

Within an hour (on the sandbox clock) the same key and API key with the same method, path and
body replays the first answer; with another path or body it is refused (400); while the first
request is still running a duplicate is refused (409). Only finished answers below 500 are
remembered, so a failed attempt can be retried with the same key.
"""

from __future__ import annotations

import hashlib
import json

TTL = 3600  # seconds: "within one hour"

RUN, REPLAY, MISMATCH, BUSY = "run", "replay", "mismatch", "busy"


def fingerprint(method: str, path: str, raw_query: str, body) -> str:
    """What must match for a replay: method, path with query, and the parsed JSON body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}?{raw_query}\n{canonical}".encode()).hexdigest()


def begin(store, slot: str, print_: str) -> tuple[str, dict | None]:
    """Look up `slot` ("<api key> <idempotency key>") and reserve it when unused.

    Returns (RUN, None) when the caller must process the request and then call `finish`;
    (REPLAY, entry) with the remembered `status` and `body`; MISMATCH or BUSY otherwise.
    """
    with store.lock:
        now = store.now().timestamp()
        for stale in [k for k, e in store.idempotency.items() if now - e["at"] > TTL]:
            del store.idempotency[stale]
        entry = store.idempotency.get(slot)
        if entry is None:
            store.idempotency[slot] = {"state": "busy", "fingerprint": print_, "at": now}
            return RUN, None
        if entry["fingerprint"] != print_:
            return MISMATCH, entry
        if entry["state"] == "busy":
            return BUSY, entry
        return REPLAY, entry


def finish(store, slot: str, status: int, payload) -> None:
    """Remember the answer for replays, or free the key after a server error."""
    with store.lock:
        if status < 500:
            store.idempotency[slot].update(state="done", status=status, body=json.dumps(payload))
            store.changed()
        else:
            store.idempotency.pop(slot, None)
