"""The `Sandbox`: HTTP server, store and webhook worker wired together, plus test helpers.

The helpers (`checkout`, `set_payment_status`, `charge_subscription`, `advance_clock`,
`chargeback`, `reset`) are the single code path for these actions: the `/_sandbox/...` control
endpoints and the checkout pages call the same methods.
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer

from . import payments as pay
from . import recurring as rec
from . import render
from .errors import ControlError
from .faults import Faults, rule_from
from .handler import Handler
from .state import Store
from .webhooks import DEFAULT_SCHEDULE, TIMEOUT, WebhookDispatcher


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many clients connect at once in the concurrency tests
    sandbox: Sandbox


class Sandbox:
    """A running local stand-in for Mollie's v2 API.

    `state_file`: JSON file loaded at start and rewritten after every change (None: memory).
    `webhook_schedule`: seconds after an event at which attempt 1, 2, ... is made.
    `webhook_timeout`: seconds to wait for the site's webhook answer.
    `webhook_workers`: webhook calls made at once.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: str | None = None,
        webhook_schedule=DEFAULT_SCHEDULE,
        webhook_timeout: float = TIMEOUT,
        webhook_workers: int = 4,
    ):
        self.store = Store(state_file)
        self.faults = Faults()
        self.webhooks = WebhookDispatcher(
            self._record_delivery, webhook_schedule, webhook_timeout, webhook_workers, self.faults
        )
        self.store.webhook_sink = self.webhooks.enqueue
        self.httpd = _Server((host, port), Handler)
        self.httpd.sandbox = self
        shown_host = host if ":" not in host else f"[{host}]"
        self.base_url = f"http://{shown_host}:{self.httpd.server_address[1]}"
        self._thread: threading.Thread | None = None
        self.verbose = False

    # -- life cycle --------------------------------------------------------------------------

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> Sandbox:
        self._thread = threading.Thread(target=self.serve_forever, name="sandbox-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and stop the webhook worker (queued calls are lost)."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.webhooks.stop()
        if self._thread:
            self._thread.join(timeout=5)

    # -- webhooks ----------------------------------------------------------------------------

    def _record_delivery(self, delivery: dict) -> None:
        with self.store.lock:
            self.store.deliveries.append(delivery)
            self.store.changed()

    @property
    def deliveries(self) -> list[dict]:
        """Copies of the recorded webhook attempts, oldest first."""
        with self.store.lock:
            return [dict(d) for d in self.store.deliveries]

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Wait until no webhook attempt is queued or running; False on timeout."""
        return self.webhooks.wait_idle(timeout)

    # -- actions shared with the control endpoints -------------------------------------------

    def _payment(self, record: dict) -> dict:
        return render.payment(self.store, self.base_url, record)

    def checkout(self, payment_id: str, status: str = "paid", method: str | None = None) -> str:
        """Act as the person on the test checkout; returns the URL they are sent back to."""
        with self.store.lock:
            return pay.checkout(self.store, payment_id, status, method)

    def set_payment_status(
        self,
        payment_id: str,
        status: str,
        method: str | None = None,
        reason: str | None = None,
    ) -> dict:
        """Change any payment's status as Mollie's test tools can (e.g. pending -> paid); a
        direct debit that fails gets the bank's `reason` (payments.BANK_REASONS)."""
        with self.store.lock:
            record = self.store.payments.get(payment_id)
            if record is None:
                raise ControlError(404, f"No payment {payment_id}.")
            reason = pay.check_reason(reason)
            return self._payment(pay.transition(self.store, record, status, method, reason))

    def chargeback(
        self, payment_id: str, amount: str | None = None, reason: str | None = None
    ) -> dict:
        """Receive a chargeback on a paid payment; `amount` ("5.00") defaults to all of it, a
        direct debit's `reason` to MD06 (the account holder asked for it back)."""
        with self.store.lock:
            found = pay.create_chargeback(self.store, payment_id, amount, reason)
            return render.chargeback(self.store, self.base_url, found)

    def charge_subscription(
        self,
        subscription_id: str,
        outcome: str = "paid",
        settle: str | None = None,
        settle_days: int = rec.SETTLE_DAYS,
        reason: str | None = None,
    ) -> dict:
        """Make the subscription's next charge now; returns the new payment. With `settle`, a
        pending charge becomes paid or failed `settle_days` sandbox days later; a failed
        direct debit has the bank's `reason`."""
        with self.store.lock:
            made = rec.charge_subscription(
                self.store, subscription_id, outcome, settle, settle_days, reason
            )
            return self._payment(made)

    def advance_clock(
        self,
        days: int = 0,
        months: int = 0,
        to=None,
        outcome="paid",
        settle: str | None = None,
        settle_days: int = rec.SETTLE_DAYS,
        reason: str | None = None,
    ) -> dict:
        """Move the sandbox's today forward and run due settlements, charges, expiries and
        refunds."""
        with self.store.lock:
            return rec.advance_clock(
                self.store,
                days=days,
                months=months,
                to=to,
                outcome=outcome,
                settle=settle,
                settle_days=settle_days,
                reason=reason,
            )

    def invalidate_mandate(self, mandate_id: str) -> dict:
        """The mandate stops working (a card expires); due charges then find no mandate."""
        with self.store.lock:
            return dict(rec.invalidate_mandate(self.store, mandate_id))

    def today(self):
        return self.store.today()

    # -- faults ------------------------------------------------------------------------------

    def set_faults(self, rules: list[dict], seed: int | None = None) -> None:
        """Replace the fault rules (see `mollie_sandbox.faults`); ControlError(400) when a rule
        is wrong, and then nothing changes."""
        self.faults.configure([rule_from(rule) for rule in rules], seed=seed)

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Forget every object, delivery, queued webhook and fault rule; reset the clock."""
        self.faults.clear()
        self.webhooks.clear()
        self.store.reset()


def start_in_thread(host: str = "127.0.0.1", port: int = 0, **options) -> Sandbox:
    """Start a sandbox serving from a daemon thread; `port=0` picks a free port.

    Options: state_file, webhook_schedule, webhook_timeout, webhook_workers (see `Sandbox`).
    Call `.stop()` when done.
    """
    return Sandbox(host, port, **options).start()
