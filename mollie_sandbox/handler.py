"""HTTP plumbing: routing, API-key check, Idempotency-Key handling, control endpoints, pages.

Paths:
  /v2/...          Mollie's API (Bearer test_/live_ key required, JSON, application/hal+json)
  /checkout/{id}   test checkout page (GET shows it, POST applies the outcome, 303 back)
  /change-state/{id}  test-mode page for recurring and paid payments
  /_sandbox/...    control endpoints (no key; form or JSON in, JSON out)
  /                overview page
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
import traceback
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from . import api, idempotency, pages
from . import recurring as rec
from .errors import DOCS_AUTH, ApiError, ControlError
from .render import HAL

# Mollie's API keys: test_ or live_ and 30 letters and digits. Anything else is refused.
_BEARER = re.compile(r"^Bearer ((?:test|live)_[A-Za-z0-9]{30})$")
_CONTROL = [
    ("POST", re.compile(r"/_sandbox/subscriptions/(\w+)/charge"), "charge"),
    ("POST", re.compile(r"/_sandbox/clock/advance"), "advance"),
    ("POST", re.compile(r"/_sandbox/mandates/(\w+)/invalidate"), "invalidate"),
    ("GET", re.compile(r"/_sandbox/clock"), "clock"),
    ("POST", re.compile(r"/_sandbox/payments/(\w+)/status"), "status"),
    ("POST", re.compile(r"/_sandbox/payments/(\w+)/chargeback"), "chargeback"),
    ("POST", re.compile(r"/_sandbox/reset"), "reset"),
    ("GET", re.compile(r"/_sandbox/webhooks"), "webhooks"),
    ("GET", re.compile(r"/_sandbox/faults"), "faults_show"),
    ("POST", re.compile(r"/_sandbox/faults"), "faults_set"),
]
# Methods the sandbox's own pages and control endpoints answer.
_PAGE_METHODS = ["GET", "POST"]


def _int(params: dict, name: str) -> int:
    try:
        return int(params.get(name) or 0)
    except (TypeError, ValueError):
        raise ControlError(400, f"{name} must be a whole number.") from None


class Handler(BaseHTTPRequestHandler):
    server_version = "MollieSandbox/1.0"

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def sandbox(self):
        return self.server.sandbox

    def log_message(self, format, *args):
        if getattr(self.sandbox, "verbose", False):
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str, headers=None) -> None:
        if getattr(self, "_hang_up", False):  # a `drop` fault: done, but no answer
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        try:
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The client hung up before reading the answer (a load generator stopping, say).
            self.close_connection = True

    def _json(self, status: int, payload, content_type: str = HAL, headers=None) -> None:
        body = b"" if payload is None else json.dumps(payload).encode()
        self._send(status, body, content_type, headers)

    def _html(self, status: int, text: str) -> None:
        self._send(status, text.encode(), "text/html; charset=utf-8")

    def _redirect(self, location: str) -> None:
        self._send(303, b"", "text/plain", {"Location": location})

    def _read(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _route(self) -> None:
        try:
            self._dispatch()
        except Exception:
            # Answer like Mollie's own 5xx (JSON with a status) instead of dropping the line.
            self.log_error("unhandled error for %s %s", self.command, self.path)
            traceback.print_exc()
            error = ApiError(500, "The sandbox failed to handle this request.")
            with contextlib.suppress(OSError):  # the client may be gone already
                self._json(500, error.body())

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        path = url.path
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        raw = self._read()
        self._hang_up = False
        if path.startswith("/v2/") or path == "/v2":
            allowed = api.allowed_methods(path)
            if allowed is not None and self.command not in allowed:
                self._not_allowed(allowed)
                return
            if self._fault(path):
                return
            self._api(path, url.query, query, raw)
        elif path.startswith("/_sandbox/"):
            self._control(path, query, raw)
        elif path.startswith(("/checkout/", "/change-state/")):
            self._test_page(path, raw)
        elif path == "/" and self.command == "GET":
            store = self.sandbox.store
            with store.lock:
                text = pages.overview_page(store, self.sandbox.webhooks.schedule)
            self._html(200, text)
        else:
            self._send(404, b"Not found\n", "text/plain; charset=utf-8")

    def _not_allowed(self, allowed: list[str]) -> None:
        detail = f"The method {self.command} is not allowed on this resource."
        self._json(405, ApiError(405, detail).body(), headers={"Allow": ", ".join(allowed)})

    def _fault(self, path: str) -> bool:
        """Apply the fault rules to this API request; True when it was answered already."""
        decision = self.sandbox.faults.decide(self.command, path)
        if decision.delay:
            time.sleep(decision.delay)
        if decision.action == "error":
            detail = "The sandbox is failing on purpose (a fault rule)."
            self._json(decision.status, ApiError(decision.status, detail).body())
            return True
        if decision.action == "throttle":
            error = ApiError(429, "Too many requests (a fault rule of the sandbox).")
            self._json(429, error.body(), headers={"Retry-After": str(decision.retry_after)})
            return True
        if decision.action == "timeout":
            time.sleep(decision.hang)
            self._hang_up = True
            self._send(504, b"", "text/plain")  # nothing is sent: the connection just closes
            return True
        self._hang_up = decision.action == "drop"
        return False

    def _other_method(self) -> None:
        """PUT, HEAD, OPTIONS and the like: 405 with Allow and a JSON body, as Mollie answers."""
        self._read()
        path = urlsplit(self.path).path
        if path.startswith("/v2"):
            allowed = api.allowed_methods(path)
            if allowed is None:
                error = ApiError(404, "The requested resource does not exist.")
                self._json(404, error.body())
                return
        else:
            allowed = _PAGE_METHODS
        self._not_allowed(allowed)

    do_PUT = do_HEAD = do_OPTIONS = do_TRACE = do_CONNECT = _other_method

    def do_GET(self):
        self._route()

    def do_POST(self):
        self._route()

    def do_PATCH(self):
        self._route()

    def do_DELETE(self):
        self._route()

    # -- Mollie API --------------------------------------------------------------------------

    def _api(self, path: str, raw_query: str, query: dict, raw: bytes) -> None:
        match = _BEARER.match(self.headers.get("Authorization", ""))
        if not match:
            error = ApiError(
                401, "Missing authentication, or failed to authenticate", docs=DOCS_AUTH
            )
            self._json(401, error.body())
            return
        api_key = match.group(1)
        body = {}  # no body means no fields, so the field rules answer (as on Mollie)
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                self._json(400, ApiError(400, "The request body is not valid JSON.").body())
                return
        call = api.Call(self.sandbox.store, self.sandbox.base_url, self.command, path, query, body)
        key = self.headers.get("Idempotency-Key")
        if self.command != "POST" or not key:
            # Mollie ignores Idempotency-Key on GET, PATCH and DELETE.
            status, payload = api.dispatch(call)
            self._json(status, payload)
            return
        print_ = idempotency.fingerprint("POST", path, raw_query, body)
        self._idempotent(f"{api_key} {key}", print_, call)

    def _idempotent(self, slot: str, print_: str, call) -> None:
        """Replay, refuse (400/409) or run-and-remember one idempotent POST."""
        outcome, entry = idempotency.begin(self.sandbox.store, slot, print_)
        if outcome == idempotency.REPLAY:
            headers = {"Idempotent-Replayed": "true"}
            self._send(entry["status"], entry["body"].encode(), HAL, headers)
            return
        if outcome == idempotency.MISMATCH:
            detail = (
                "This Idempotency-Key has already been used with a different endpoint "
                "or different parameters."
            )
            self._json(400, ApiError(400, detail).body())
            return
        if outcome == idempotency.BUSY:
            detail = "A request with this Idempotency-Key is already being processed."
            self._json(409, ApiError(409, detail).body())
            return
        status, payload = 500, None
        try:
            status, payload = api.dispatch(call)
        finally:
            idempotency.finish(self.sandbox.store, slot, status, payload)
        self._json(status, payload)

    # -- control endpoints -------------------------------------------------------------------

    def _params(self, query: dict, raw: bytes) -> dict:
        params = dict(query)
        kind = self.headers.get("Content-Type", "")
        if raw and "json" in kind:
            try:
                loaded = json.loads(raw)
            except ValueError:
                raise ControlError(400, "The body is not valid JSON.") from None
            if not isinstance(loaded, dict):
                raise ControlError(400, "The JSON body must be an object.")
            params.update(loaded)
        elif raw:
            params.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
        return params

    def _control(self, path: str, query: dict, raw: bytes) -> None:
        if path == "/_sandbox/style.css" and self.command == "GET":
            self._send(200, pages.CSS.encode(), "text/css; charset=utf-8")
            return
        try:
            params = self._params(query, raw)
            for method, pattern, name in _CONTROL:
                match = pattern.fullmatch(path)
                if match and method == self.command:
                    result = getattr(self, f"_c_{name}")(params, *match.groups())
                    break
            else:
                raise ControlError(404, f"No control endpoint {self.command} {path}.")
        except ControlError as error:
            self._json(error.status, {"error": error.message}, "application/json")
            return
        target = params.get("next")
        if isinstance(target, str) and target.startswith("/") and not target.startswith("//"):
            self._redirect(target)  # browser forms on the sandbox's own pages
        else:
            self._json(200, result, "application/json")

    def _settling(self, params) -> dict:
        days = _int(params, "settle_days") if params.get("settle_days") else rec.SETTLE_DAYS
        return {
            "outcome": params.get("outcome") or "paid",
            "settle": params.get("settle") or None,
            "settle_days": days,
            "reason": params.get("reason") or None,
        }

    def _c_charge(self, params, sid):
        return {"payment": self.sandbox.charge_subscription(sid, **self._settling(params))}

    def _c_advance(self, params):
        return self.sandbox.advance_clock(
            days=_int(params, "days"),
            months=_int(params, "months"),
            to=params.get("to") or None,
            **self._settling(params),
        )

    def _c_invalidate(self, params, mid):
        return {"mandate": self.sandbox.invalidate_mandate(mid)}

    def _c_clock(self, params):
        store = self.sandbox.store
        return {"today": store.today().isoformat(), "now": store.now_iso()}

    def _c_status(self, params, pid):
        status = params.get("status")
        if not status:
            raise ControlError(400, "status is required.")
        payment = self.sandbox.set_payment_status(
            pid, status, params.get("method") or None, params.get("reason") or None
        )
        return {"payment": payment}

    def _c_chargeback(self, params, pid):
        amount, reason = params.get("amount") or None, params.get("reason") or None
        return {"chargeback": self.sandbox.chargeback(pid, amount, reason)}

    def _c_reset(self, params):
        self.sandbox.reset()
        return {"reset": True}

    def _c_webhooks(self, params):
        webhooks = self.sandbox.webhooks
        return {
            "deliveries": self.sandbox.deliveries,
            "pending": webhooks.pending(),
            "totals": webhooks.totals(),
        }

    def _c_faults_show(self, params):
        return self.sandbox.faults.describe()

    def _c_faults_set(self, params):
        rules = params.get("rules", [])
        if isinstance(rules, str):  # a form field holding JSON
            try:
                rules = json.loads(rules or "[]")
            except ValueError:
                raise ControlError(400, "rules must be a JSON list of rules.") from None
        if not isinstance(rules, list):
            raise ControlError(400, "rules must be a list of rules.")
        seed = params.get("seed")
        try:
            seed = None if seed in (None, "") else int(seed)
        except (TypeError, ValueError):
            raise ControlError(400, "seed must be a whole number.") from None
        self.sandbox.set_faults(rules, seed=seed)
        return self.sandbox.faults.describe()

    # -- test pages --------------------------------------------------------------------------

    def _test_page(self, path: str, raw: bytes) -> None:
        kind, _, pid = path.strip("/").partition("/")
        store = self.sandbox.store
        with store.lock:
            payment = store.payments.get(pid)
            page = None
            if payment is not None and self.command == "GET":
                page = (pages.checkout_page if kind == "checkout" else pages.change_state_page)(
                    payment
                )
        if payment is None:
            self._send(404, b"Unknown payment\n", "text/plain; charset=utf-8")
            return
        if self.command == "GET":
            self._html(200, page)
            return
        if self.command != "POST":
            self._send(405, b"Method not allowed\n", "text/plain; charset=utf-8")
            return
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        try:
            if kind == "checkout":
                target = self.sandbox.checkout(
                    pid, form.get("status", ""), form.get("method") or None
                )
            else:
                self.sandbox.set_payment_status(pid, form.get("status", ""))
                target = f"/change-state/{pid}"
        except ControlError as error:
            self._send(error.status, f"{error.message}\n".encode(), "text/plain; charset=utf-8")
            return
        self._redirect(target)
