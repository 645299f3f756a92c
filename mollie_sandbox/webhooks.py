"""Classic Mollie webhooks: POST `id=<payment id>` to the webhookUrl from a background thread.

Each event gets its own chain of attempts. Attempt n is due `schedule[n]` seconds after the
event (Mollie: 0, 1, 3, 7, 15, 31, 60, 120, 240 and 1560 *minutes*; the sandbox default uses
the same numbers as seconds). A 2xx answer ends the chain; anything else, a timeout or an
unreachable host triggers the next attempt until the schedule runs out.

Redirects are handled the way Mollie documents: 301/302/303 turn the POST into a GET without
the payload, 307/308 repeat the POST.
"""

from __future__ import annotations

import collections
import heapq
import http.client
import itertools
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from .faults import WEBHOOK

DEFAULT_SCHEDULE = (0, 1, 3, 7, 15, 31, 60, 120, 240, 1560)
TIMEOUT = 15.0  # Mollie: "Our webhook calls time out after 15 seconds"


class _Redirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if code in (307, 308):
            return urllib.request.Request(
                newurl, data=req.data, headers=dict(req.header_items()), method="POST"
            )
        return urllib.request.Request(newurl, method="GET")


class WebhookDispatcher:
    """Worker threads that deliver queued webhook calls and record every attempt.

    Mollie calls webhooks concurrently; `workers` threads do the same here.

    `record(delivery)` is called for each attempt with a dict: time, url, paymentId, event,
    attempt (1-based), status (HTTP code or None), error (text or None), ok (bool), ms (how
    long the call took).
    """

    def __init__(
        self,
        record,
        schedule=DEFAULT_SCHEDULE,
        timeout: float = TIMEOUT,
        workers: int = 4,
        faults=None,
    ):
        if not schedule:
            raise ValueError("the webhook schedule needs at least one delay")
        self._record = record
        self._faults = faults
        self.schedule = tuple(float(s) for s in schedule)
        self.timeout = timeout
        self._heap: list = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._busy = 0
        # Bumped by clear(): an attempt already under way when the sandbox is reset is neither
        # recorded nor retried, so it cannot leak into what happens after the reset.
        self._generation = 0
        self._answers: collections.Counter = collections.Counter()
        self._errors: collections.Counter = collections.Counter()
        self._durations: list[float] = []
        self._stopped = False
        self._opener = urllib.request.build_opener(_Redirects)
        self._threads = [
            threading.Thread(target=self._run, name=f"sandbox-webhooks-{n}", daemon=True)
            for n in range(max(1, workers))
        ]
        for thread in self._threads:
            thread.start()

    def enqueue(self, url: str, payment_id: str, event: str) -> None:
        """Queue the first attempt for an event; safe to call from any thread, under any lock."""
        start = time.monotonic()
        job = {"url": url, "paymentId": payment_id, "event": event, "attempt": 0, "t0": start}
        with self._cond:
            job["generation"] = self._generation
            heapq.heappush(self._heap, (start + self.schedule[0], next(self._order), job))
            self._cond.notify_all()

    def clear(self) -> None:
        """Drop every attempt not yet started, and disown those under way (used by reset)."""
        with self._cond:
            self._generation += 1
            self._heap.clear()
            self._answers.clear()
            self._errors.clear()
            self._durations.clear()
            self._cond.notify_all()

    def totals(self) -> dict:
        """Every attempt since the start or the last reset (the delivery log keeps only the
        newest): answers by status, attempts without an answer by kind, and how long the site
        took to answer when it did (milliseconds: median, 99th percentile, slowest)."""
        with self._cond:
            durations = sorted(self._durations)
            answers = {str(k): v for k, v in sorted(self._answers.items())}
            errors = dict(self._errors)

        def percentile(share: float) -> float | None:
            if not durations:
                return None
            return durations[min(len(durations) - 1, int(share * len(durations)))]

        return {
            "answered": len(durations),
            "answers": answers,
            "without_answer": errors,
            "ms": {"p50": percentile(0.5), "p99": percentile(0.99), "max": percentile(1.0)},
        }

    def pending(self) -> int:
        with self._cond:
            return len(self._heap) + self._busy

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no attempt is queued or running; False if `timeout` passed first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        break
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, job = heapq.heappop(self._heap)
                self._busy += 1
            try:
                self._attempt(job)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _attempt(self, job: dict) -> None:
        decision = self._faults.decide(WEBHOOK, job["url"]) if self._faults else None
        if decision and decision.delay:
            time.sleep(decision.delay)
        began = time.monotonic()
        if decision and decision.action == "error":
            status, error = None, "sandbox fault: the call was not made"
        elif decision and decision.action == "drop":
            status, error = None, self._post_and_hang_up(job["url"], job["paymentId"])
        else:
            status, error = self._post(job["url"], job["paymentId"])
        with self._cond:
            if job["generation"] != self._generation:
                return
        ok = status is not None and 200 <= status < 300
        attempt = job["attempt"] + 1
        took = round((time.monotonic() - began) * 1000, 2)
        with self._cond:
            if status is not None:
                self._answers[status] += 1
                self._durations.append(took)
            else:
                self._errors[(error or "?").split(":")[0]] += 1
        self._record(
            {
                "time": time.time(),
                "url": job["url"],
                "paymentId": job["paymentId"],
                "event": job["event"],
                "attempt": attempt,
                "status": status,
                "error": error,
                "ok": ok,
                # How long the site took to answer (the call itself, without added latency).
                "ms": took,
            }
        )
        if not ok and attempt < len(self.schedule):
            job = dict(job, attempt=attempt)
            with self._cond:
                if job["generation"] != self._generation:
                    return
                due = job["t0"] + self.schedule[attempt]
                heapq.heappush(self._heap, (due, next(self._order), job))

    def _post_and_hang_up(self, url: str, payment_id: str) -> str:
        """Send the webhook, then close the connection without reading the answer."""
        parts = urllib.parse.urlsplit(url)
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(parts.hostname, parts.port, timeout=self.timeout)
        try:
            connection.request(
                "POST",
                (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                body=urllib.parse.urlencode({"id": payment_id}),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        except OSError as exc:
            return f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        return "sandbox fault: hung up before the answer"

    def _post(self, url: str, payment_id: str) -> tuple[int | None, str | None]:
        data = urllib.parse.urlencode({"id": payment_id}).encode()
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "Mollie sandbox webhook",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(65536)
                return response.status, None
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code, None
        except Exception as exc:  # unreachable, refused, timeout, bad URL: all mean "retry"
            return None, f"{type(exc).__name__}: {exc}"
