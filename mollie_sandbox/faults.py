"""Faults on demand: the sandbox answers slowly, with 5xx, with 429, or not at all, like a bad
day at Mollie; and it can do the same to the webhook calls it makes.

A fault rule applies to the requests whose `METHOD /path` matches its pattern (shell-style:
`GET /v2/payments/*`, `* /v2/customers/*/subscriptions*`, `*`), or to webhook calls (pattern
`webhook`). Every matching request first waits `latency` seconds (a number, or `min-max` for a
random delay in that range), then one of these happens, drawn at random with the given shares:

- `error`: answered `status` (default 503) with a Mollie-style JSON error, and not carried out;
- `throttle`: answered 429 with `Retry-After: retry_after` (seconds, default 1), not carried out;
- `drop`: carried out, then the connection is closed without an answer, so the caller cannot
  tell whether it happened (the worst case for a POST without an Idempotency-Key);
- `timeout`: not carried out, and no answer for `hang` seconds (default 30), then the connection
  is closed: the caller's read timeout fires first.

For webhook calls, `error` means the call is not made and the attempt is recorded as failed
(retried on the schedule), `drop` means the call is made but the sandbox hangs up without
reading the answer and records a failed attempt (so the site sees the same webhook again), and
`throttle` and `timeout` do not apply (a slow site is the site's own latency). The first rule
that matches a request decides; rules and the random seed are replaced as a whole
(`Faults.configure`), and counted per rule (`Faults.describe`).
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import asdict, dataclass, field

from .errors import ControlError

WEBHOOK = "webhook"
ACTIONS = ("error", "throttle", "drop", "timeout")


@dataclass
class Rule:
    pattern: str = "*"
    latency: tuple[float, float] = (0.0, 0.0)
    error: float = 0.0
    throttle: float = 0.0
    drop: float = 0.0
    timeout: float = 0.0
    hang: float = 30.0
    status: int = 503
    retry_after: int = 1
    seen: dict = field(default_factory=lambda: {"requests": 0, **dict.fromkeys(ACTIONS, 0)})

    def matches(self, method: str, path: str) -> bool:
        if self.pattern == WEBHOOK or method == WEBHOOK:
            return self.pattern == WEBHOOK and method == WEBHOOK
        return fnmatch.fnmatchcase(f"{method} {path}", self.pattern) or fnmatch.fnmatchcase(
            path, self.pattern
        )

    def public(self) -> dict:
        data = asdict(self)
        data["latency"] = list(self.latency)
        return data


@dataclass
class Decision:
    """What happens to one request: wait `delay` seconds, then `action` (None: answer as usual)."""

    delay: float = 0.0
    action: str | None = None
    status: int = 503
    retry_after: int = 1
    hang: float = 30.0


def _share(value, name: str) -> float:
    try:
        share = float(value)
    except (TypeError, ValueError):
        raise ControlError(400, f"{name} must be a share between 0 and 1.") from None
    if not 0 <= share <= 1:
        raise ControlError(400, f"{name} must be a share between 0 and 1.")
    return share


def _latency(value) -> tuple[float, float]:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        low, high = value
    else:
        text = str(value)
        low, _, high = text.partition("-")
        high = high or low
    try:
        span = (float(low), float(high))
    except (TypeError, ValueError):
        raise ControlError(400, "latency must be seconds, or min-max (0.1-2).") from None
    if span[0] < 0 or span[1] < span[0] or span[1] > 120:
        raise ControlError(400, "latency must be between 0 and 120 seconds, min before max.")
    return span


def rule_from(data: dict) -> Rule:
    """A rule from a JSON object or command-line pairs; ControlError(400) names what is wrong."""
    if not isinstance(data, dict):
        raise ControlError(400, "Each fault rule must be an object.")
    unknown = set(data) - {"pattern", "latency", *ACTIONS, "status", "retry_after", "hang"}
    if unknown:
        raise ControlError(400, f"Unknown fault setting(s): {', '.join(sorted(unknown))}.")
    pattern = str(data.get("pattern") or "*")
    rule = Rule(
        pattern=pattern,
        latency=_latency(data.get("latency", 0)),
        **{name: _share(data.get(name, 0), name) for name in ACTIONS},
    )
    if sum(getattr(rule, name) for name in ACTIONS) > 1:
        raise ControlError(400, "error, throttle, drop and timeout together cannot exceed 1.")
    try:
        rule.status = int(data.get("status", 503))
        rule.retry_after = int(data.get("retry_after", 1))
        rule.hang = float(data.get("hang", 30))
    except (TypeError, ValueError):
        raise ControlError(400, "status, retry_after and hang must be numbers.") from None
    if not 0 <= rule.hang <= 300:
        raise ControlError(400, "hang must be between 0 and 300 seconds.")
    if not 500 <= rule.status <= 599:
        raise ControlError(400, "status must be a 5xx code.")
    if pattern == WEBHOOK and (rule.throttle or rule.timeout):
        raise ControlError(400, "Webhook calls cannot be throttled or held; use error or drop.")
    return rule


def parse_option(text: str, pattern: str | None = None) -> Rule:
    """`GET /v2/payments/*:error=0.2,latency=0.1-2` (or, with `pattern`, only the settings)."""
    if pattern is None:
        pattern, sep, settings = text.rpartition(":")
        if not sep:
            pattern, settings = "*", text
    else:
        settings = text
    data: dict = {"pattern": pattern.strip() or "*"}
    for pair in filter(None, (part.strip() for part in settings.split(","))):
        name, sep, value = pair.partition("=")
        if not sep:
            raise ControlError(400, f"Use name=value in {pair!r}.")
        data[name.strip().replace("-", "_")] = value.strip()
    return rule_from(data)


class Faults:
    """The fault rules in force; thread-safe, with its own random numbers (`seed`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._random = random.Random()  # noqa: S311 (fault injection, not secrets)
        self._seed: int | None = None

    def configure(self, rules: list[Rule], seed: int | None = None) -> None:
        with self._lock:
            self._rules = list(rules)
            self._seed = seed
            self._random = random.Random(seed)  # noqa: S311

    def add(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        self.configure([])

    def describe(self) -> dict:
        with self._lock:
            return {"seed": self._seed, "rules": [rule.public() for rule in self._rules]}

    def decide(self, method: str, path: str) -> Decision:
        with self._lock:
            rule = next((r for r in self._rules if r.matches(method, path)), None)
            if rule is None:
                return Decision()
            rule.seen["requests"] += 1
            delay = self._random.uniform(*rule.latency) if rule.latency[1] else 0.0
            draw = self._random.random()
            action = None
            for name in ACTIONS:
                share = getattr(rule, name)
                if draw < share:
                    action = name
                    rule.seen[name] += 1
                    break
                draw -= share
            return Decision(delay, action, rule.status, rule.retry_after, rule.hang)
