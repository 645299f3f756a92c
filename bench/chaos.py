"""Chaos: monthly gifts charged at once while Mollie, a site worker, PostgreSQL and SMTP fail;
then every charge, subscription and email is counted.

Everything is real and runs on this machine: a PostgreSQL server of its own (so it can be
restarted), the Mollie sandbox in its own process with fault rules, the site under gunicorn,
the email worker (`db_worker`), and an SMTP server that refuses connections for part of the run.

1. Donors start monthly gifts through the site while Mollie fails some calls (the first
   payment's answer lost, a subscription's creation answered 5xx or dropped after it was made).
2. Mollie charges every monthly gift at once (some charges fail, which emails the donor) while
   its payment fetch answers 5xx, times out or is slow for a share of calls and some webhook
   calls are dropped; meanwhile one site worker is killed with SIGKILL (gunicorn starts a new
   one), PostgreSQL is restarted once, and the SMTP server is down for the first 30 seconds.
3. The faults stop; Mollie's webhook retries run out, `sync_payments` runs, the email worker
   catches up. Then: every charge stored exactly once with Mollie's final status, every email due
   sent exactly once, no subscription made twice, and no webhook answered other than 200 or 503.

`python -m bench.chaos --subscriptions 300 --json` runs it and prints the counts (the test in
tests/test_chaos.py does, small); `make bench` runs it at full size. Needs PostgreSQL's
`initdb`/`pg_ctl` (Debian: postgresql); run as root, the server runs as the `postgres` user.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import email.parser
import glob
import json
import os
import random
import secrets
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .common import children, free_port, sandbox_control, wait_for
from .site import NO_REDIRECTS

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "test_" + "chaos" * 6  # the shape of a Mollie key


class Unavailable(RuntimeError):
    """What the chaos run needs is not on this machine (the reason is the message)."""


# --- A PostgreSQL server of our own ---------------------------------------------------------


def _pg_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class Postgres:
    """A throw-away PostgreSQL server in a temporary folder, on a free port."""

    def __init__(self) -> None:
        self.initdb, self.pg_ctl = _pg_tool("initdb"), _pg_tool("pg_ctl")
        if not self.initdb or not self.pg_ctl:
            raise Unavailable("PostgreSQL's initdb and pg_ctl are not installed")
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            if not shutil.which("runuser"):
                raise Unavailable("running as root needs runuser to start PostgreSQL")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.folder = tempfile.mkdtemp(prefix="chaos-pg-")
        if self.as_user:
            shutil.chown(self.folder, "postgres", "postgres")
        self.data = os.path.join(self.folder, "data")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/chaos"

    def _run(self, *args: str) -> None:
        # No pipes: a server started by pg_ctl would keep them open (its output goes to the log).
        subprocess.run(
            [*self.as_user, *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    def start(self) -> Postgres:
        try:
            self._run(self.initdb, "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync")
        except (subprocess.CalledProcessError, OSError) as error:
            raise Unavailable(f"initdb failed: {error}") from None
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c max_connections=200"
        )
        self._run(self.pg_ctl, "-D", self.data, "-o", options, "-l", f"{self.folder}/log", "-w",
                  "start")  # fmt: skip
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres") as db:
            db.autocommit = True
            db.execute("CREATE DATABASE chaos")
        return self

    def restart(self) -> float:
        """Stop (fast: connections are cut) and start again; returns the seconds it was away."""
        started = time.monotonic()
        self._run(self.pg_ctl, "-D", self.data, "-l", f"{self.folder}/log", "-m", "fast", "-w",
                  "restart")  # fmt: skip
        return time.monotonic() - started

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            self._run(self.pg_ctl, "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


# --- An SMTP server that can be down --------------------------------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    def _say(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self._say("220 chaos SMTP ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip().split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 chaos")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 go on")
                lines = []
                while (part := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(part[1:] if part.startswith(b"..") else part)
                self.server.sink.received(b"".join(lines))
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not here")


class SmtpSink:
    """Records every message it accepts; `down()` closes the port (connections are refused)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[dict] = []
        self._lock = threading.Lock()
        self._server: socketserver.ThreadingTCPServer | None = None

    def received(self, raw: bytes) -> None:
        message = email.parser.BytesParser().parsebytes(raw, headersonly=True)
        with self._lock:
            self.messages.append({"id": message["Message-ID"], "to": message["To"]})

    def up(self) -> None:
        if self._server:
            return
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), _SmtpHandler)
        server.daemon_threads = True
        server.sink = self
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def down(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# --- The site, its worker and the sandbox ---------------------------------------------------


def site_environment(database_url: str, sandbox_url: str, site_port: int, smtp_port: int):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "DEBUG": "0",
        "HTTPS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{site_port}",
        "MOLLIE_API_KEY": API_KEY,
        "MOLLIE_API_ENDPOINT": sandbox_url,
        "MOLLIE_WEBHOOK_BASE_URL": f"http://127.0.0.1:{site_port}",
        "MOLLIE_READ_TIMEOUT": "1.5",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        # Mollie's minutes, read as seconds (5 minutes in all): longer than the SMTP outage.
        "EMAIL_RETRY_DELAYS": "1,2,3,5,8,10,15,20,30,60,120",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DONATION_START_LIMIT_PER_HOUR": "1000000",
        "CONN_MAX_AGE": "60",
    }


class Site:
    def __init__(self, env: dict, port: int, workers: int) -> None:
        self.env, self.port, self.workers = env, port, workers
        self.url = f"http://127.0.0.1:{port}"
        self.gunicorn: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if check and done.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stderr[-2000:]}")
        return done

    def start(self) -> None:
        self.manage("migrate", "--no-input")
        self.manage("collectstatic", "--no-input")
        self.gunicorn = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi"),
                *("-b", f"127.0.0.1:{self.port}", "--workers", str(self.workers)),
                *("--log-level", "warning", "--timeout", "60"),
            ],
            cwd=ROOT,
            env=self.env,
            stderr=subprocess.DEVNULL,
        )
        wait_for(f"{self.url}/healthz", self.gunicorn, seconds=30)
        self.worker = self._start_worker()
        self.worker_restarts = 0
        self._supervising = True
        threading.Thread(target=self._supervise, daemon=True).start()

    def _start_worker(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.2"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _supervise(self) -> None:
        """Start the email worker again when it stops, as systemd does (Restart=always,
        RestartSec=2 in deploy/campaign-worker.service); it exits when the database goes."""
        while self._supervising:
            if self.worker.poll() is not None and self._supervising:
                time.sleep(2)
                self.worker = self._start_worker()
                self.worker_restarts += 1
            time.sleep(0.2)

    def kill_a_worker(self) -> int:
        victim = children(self.gunicorn.pid)[0]
        os.kill(victim, signal.SIGKILL)
        return victim

    def stop(self) -> None:
        self._supervising = False
        for process in (self.worker, self.gunicorn):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


def start_sandbox() -> tuple[str, subprocess.Popen]:
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "mollie_sandbox", "--port", str(port), "--quiet"),
            *("--webhook-schedule", "0,1,2,4,8,15,30"),  # Mollie's first minutes, as seconds
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/_sandbox/clock", process)
    return url, process


def _json(url: str, data: dict | None = None) -> dict:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"} if body else {}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _api_list(sandbox_url: str, path: str, name: str) -> list[dict]:
    """Every object of a Mollie list endpoint, all pages."""
    found, url = [], f"{sandbox_url}{path}?limit=250"
    while url:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {API_KEY}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            page = json.loads(response.read())
        found.extend(page["_embedded"][name])
        following = page["_links"].get("next")
        url = following["href"] if following else None
    return found


def _webhooks_settle(sandbox_url: str, seconds: float) -> None:
    """Wait until the sandbox has no webhook attempt queued or under way."""
    deadline = time.monotonic() + seconds
    while _json(f"{sandbox_url}/_sandbox/webhooks")["pending"] and time.monotonic() < deadline:
        time.sleep(0.5)


# --- The phases -----------------------------------------------------------------------------


def _letters(n: int) -> str:
    """0 → "A", 25 → "Z", 26 → "BA": a number written in letters."""
    letters = ""
    while True:
        n, rest = divmod(n, 26)
        letters = chr(ord("A") + rest) + letters
        if not n:
            return letters


def donor_starts_a_monthly_gift(site_url: str, sandbox_url: str, n: int) -> str:
    """One donor through the donate form and the sandbox's checkout; returns the outcome."""
    form = {
        "frequency": "monthly",
        "amount": "10",
        "name": f"Chaos Donor {_letters(n)}",  # a name has no digits
        "email": f"chaos-donor-{n}@example.org",
    }
    # The form is cookie-free: the browser's Origin header is what shows it came from us.
    headers = {"Origin": site_url, "Content-Type": "application/x-www-form-urlencoded"}
    for attempt in range(6):  # the donor tries again when the page says so
        try:
            request = urllib.request.Request(
                f"{site_url}/en/donate/", urllib.parse.urlencode(form).encode(), headers
            )
            NO_REDIRECTS.open(request, timeout=30)
            return "no redirect"
        except urllib.error.HTTPError as answer:
            if answer.code == 303 and "/checkout/" in answer.headers["Location"]:
                payment_id = answer.headers["Location"].rsplit("/", 1)[1]
                _checkout(sandbox_url, payment_id)
                return "paid" if attempt == 0 else "paid after trying again"
            if answer.code != 503:
                return f"answered {answer.code}"
        time.sleep(0.5)
    return "gave up"


def _checkout(sandbox_url: str, payment_id: str) -> None:
    data = urllib.parse.urlencode({"status": "paid", "method": "creditcard"}).encode()
    try:
        NO_REDIRECTS.open(f"{sandbox_url}/checkout/{payment_id}", data=data, timeout=30)
    except urllib.error.HTTPError as answer:
        if answer.code != 303:
            raise


def _query(site_env: dict, sql: str) -> list[tuple]:
    import psycopg

    url = site_env["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, connect_timeout=5) as db:
        return db.execute(sql).fetchall()


def _progress(site_env: dict) -> int:
    """Charges the site has stored (0 while the database is away)."""
    import psycopg

    try:
        return _query(
            site_env, "SELECT count(*) FROM donations_payment WHERE sequence_type = 'recurring'"
        )[0][0]
    except psycopg.Error:
        return 0


def run(
    subscriptions: int = 300,
    donors: int = 20,
    failed_share: float = 0.25,
    site_workers: int = 3,
    seed: int = 11,
    smtp_down_seconds: float = 30,
) -> dict:
    report: dict = {"subscriptions": subscriptions, "donors": donors, "events": []}
    pg = Postgres()
    smtp = SmtpSink()
    sandbox_url, sandbox = None, None
    site = None
    started = time.monotonic()

    def event(what: str) -> None:
        report["events"].append(f"{time.monotonic() - started:6.1f} s  {what}")

    try:
        pg.start()
        sandbox_url, sandbox = start_sandbox()
        port = free_port()
        env = site_environment(pg.url, sandbox_url, port, smtp.port)
        site = Site(env, port, site_workers)
        site.start()
        smtp.up()
        event("site, worker, sandbox, PostgreSQL and SMTP running")

        # The monthly gifts to charge: made directly (quick), each with a card mandate.
        made = site.manage(
            "shell", "-v", "0", "-c", _MAKE_SUBSCRIPTIONS.format(count=subscriptions)
        )
        event(f"{subscriptions} monthly gifts made ({made.stdout.strip()})")

        # Phase 1: donors start monthly gifts through the site while Mollie fails some calls.
        _json(
            f"{sandbox_url}/_sandbox/faults",
            {
                "seed": seed,
                "rules": [
                    {"pattern": "POST /v2/payments", "error": 0.2, "drop": 0.1},
                    {"pattern": "POST /v2/customers", "error": 0.1},
                    {"pattern": "POST /v2/customers/*/subscriptions", "error": 0.2, "drop": 0.3},
                    {"pattern": "GET /v2/payments/*", "error": 0.2, "latency": "0-0.1"},
                ],
            },
        )
        with ThreadPoolExecutor(max_workers=4) as pool:
            outcomes = collections.Counter(
                pool.map(
                    lambda n: donor_starts_a_monthly_gift(site.url, sandbox_url, n),
                    range(donors),
                )
            )
        report["donor_outcomes"] = dict(outcomes)
        _webhooks_settle(sandbox_url, 120)  # the first payments' retries, Mollie-style
        event(f"{donors} donors through the donate form: {dict(outcomes)}")

        # Phase 2: the burst, with faults and the three breakdowns on the way.
        smtp.down()
        _json(
            f"{sandbox_url}/_sandbox/faults",
            {
                "seed": seed,
                "rules": [
                    {
                        "pattern": "GET /v2/payments/*",
                        "error": 0.1,
                        "timeout": 0.03,
                        "hang": 3,
                        "latency": "0-0.15",
                    },
                    {"pattern": "webhook", "drop": 0.05},
                ],
            },
        )
        event(
            f"SMTP down for {smtp_down_seconds} s; Mollie's payment fetch fails 10 %, "
            "times out 3 %, is slow for all"
        )
        ids = [
            row[0]
            for row in _query(
                env, "SELECT mollie_id FROM donations_subscription WHERE status = 'active'"
            )
        ]
        report["charged"] = len(ids)
        rng = random.Random(seed)  # noqa: S311 (which charges fail, not a secret)
        outcome_of = {sid: ("failed" if rng.random() < failed_share else "paid") for sid in ids}

        def charge(sid: str) -> None:
            sandbox_control(sandbox_url, f"/_sandbox/subscriptions/{sid}/charge",
                            outcome=outcome_of[sid])  # fmt: skip

        burst_started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(charge, sid) for sid in ids]
            done = {"kill": False, "restart": False, "smtp": False}
            while True:
                stored = _progress(env)
                share = stored / max(len(ids), 1)
                if not done["kill"] and share >= 0.2:
                    done["kill"] = True
                    event(f"SIGKILL to site worker {site.kill_a_worker()} at {stored} charges")
                if not done["restart"] and share >= 0.4:
                    done["restart"] = True
                    event(f"PostgreSQL restarted at {stored} charges ({pg.restart():.1f} s away)")
                if not done["smtp"] and time.monotonic() - burst_started >= smtp_down_seconds:
                    done["smtp"] = True
                    smtp.up()
                    event(f"SMTP back after {smtp_down_seconds} s, at {stored} charges")
                if all(f.done() for f in futures) and stored >= len(ids):
                    break
                if time.monotonic() - burst_started > 900:
                    event("the burst did not finish in 15 minutes")
                    break
                if all(f.done() for f in futures) and all(done.values()):
                    # Every charge is made; what the site lacks comes with Mollie's retries.
                    pending = _json(f"{sandbox_url}/_sandbox/webhooks")["pending"]
                    if pending == 0:
                        break
                time.sleep(0.2)
            for future in futures:
                future.result()
        for name, happened in done.items():  # a burst too quick for a step still gets it
            if not happened:
                {"kill": site.kill_a_worker, "restart": pg.restart, "smtp": smtp.up}[name]()
                event(f"{name} after the burst (it was quicker than the step)")
        report["burst_seconds"] = round(time.monotonic() - burst_started, 1)
        event(f"burst over: {_progress(env)} of {len(ids)} charges stored")

        # Phase 3: faults stop; retries, reconciliation and the email worker catch up.
        faults_seen = _json(f"{sandbox_url}/_sandbox/faults")
        report["faults"] = {r["pattern"]: r["seen"] for r in faults_seen["rules"]}
        _json(f"{sandbox_url}/_sandbox/faults", {"rules": []})
        smtp.up()
        _webhooks_settle(sandbox_url, 120)
        sync = site.manage("sync_payments", "--older-than", "0", check=False)
        event(f"sync_payments: {sync.stdout.strip() or sync.stderr.strip()[-300:]}")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            waiting = _query(
                env, "SELECT count(*) FROM core_emaillog WHERE status IN ('queued', 'sending')"
            )[0][0]
            if not waiting:
                break
            time.sleep(0.5)
        time.sleep(1)  # the last SMTP session may still be closing
        event("emails caught up")

        report["email_worker_restarts"] = site.worker_restarts
        report.update(_count(env, sandbox_url, smtp, outcome_of))
    finally:
        if site:
            site.stop()
        if sandbox:
            sandbox.terminate()
        smtp.down()
        pg.stop()
    report["seconds"] = round(time.monotonic() - started, 1)
    return report


def _count(env: dict, sandbox_url: str, smtp: SmtpSink, outcome_of: dict) -> dict:
    mollie_payments = _api_list(sandbox_url, "/v2/payments", "payments")
    at_mollie = {p["id"]: p["status"] for p in mollie_payments if p["sequenceType"] == "recurring"}
    rows = _query(
        env, "SELECT mollie_id, status FROM donations_payment WHERE sequence_type = 'recurring'"
    )
    stored = collections.Counter(mollie_id for mollie_id, _ in rows)
    statuses = dict(rows)
    subscriptions_at_mollie = _api_list(sandbox_url, "/v2/subscriptions", "subscriptions")
    per_customer = collections.Counter(s["customerId"] for s in subscriptions_at_mollie)
    our_subscriptions = _query(
        env, "SELECT count(*), count(DISTINCT donation_id) FROM donations_subscription"
    )[0]
    first_paid = _query(
        env,
        "SELECT count(DISTINCT donation_id) FROM donations_payment "
        "WHERE sequence_type = 'first' AND status = 'paid'",
    )[0][0]
    failed_charges = {pid for pid, status in at_mollie.items() if status == "failed"}
    email_rows = _query(env, "SELECT event_key, status, kind, attempts FROM core_emaillog")
    all_ours = {row[0] for row in _query(env, "SELECT mollie_id FROM donations_payment")}
    at_mollie_all = {p["id"] for p in mollie_payments}
    kept_starts = _query(
        env,
        "SELECT count(*) FROM donations_donation d WHERE d.start_error <> '' AND NOT EXISTS "
        "(SELECT 1 FROM donations_payment p WHERE p.donation_id = d.id)",
    )[0][0]
    failed_emails = [row for row in email_rows if row[2] == "donations/charge_failed"]
    received = collections.Counter(m["id"] for m in smtp.messages)
    webhooks = _json(f"{sandbox_url}/_sandbox/webhooks")["totals"]
    return {
        "charges_at_mollie": len(at_mollie),
        "charges_stored": len(stored),
        "charges_lost": len(set(at_mollie) - set(stored)),
        "charges_doubled": sum(n - 1 for n in stored.values() if n > 1),
        "charges_with_another_status": sum(
            1 for pid, status in at_mollie.items() if pid in statuses and statuses[pid] != status
        ),
        "failed_charges": len(failed_charges),
        "subscriptions_at_mollie": len(subscriptions_at_mollie),
        "customers_with_two_subscriptions": sum(1 for n in per_customer.values() if n > 1),
        "subscriptions_stored": our_subscriptions[0],
        "subscriptions_doubled": our_subscriptions[0] - our_subscriptions[1],
        "monthly_first_payments_paid": first_paid,
        "payments_stored_but_not_at_mollie": len(all_ours - at_mollie_all),
        "donation_starts_refused_and_kept_for_a_retry": kept_starts,
        "emails_stored": len(email_rows),
        "emails_sent_after_a_failed_attempt": sum(1 for row in email_rows if row[3] > 1),
        "emails_not_sent": sum(1 for row in email_rows if row[1] != "sent"),
        "failed_charge_emails": len(failed_emails),
        "messages_received": sum(received.values()),
        "messages_received_twice": sum(n - 1 for n in received.values() if n > 1),
        "messages_without_a_stored_email": len(received) - len(email_rows),
        "webhook_answers": webhooks["answers"],
        "webhook_attempts_without_answer": webhooks["without_answer"],
        "webhook_answer_ms": webhooks["ms"],
    }


# Run inside the site's own settings (`manage.py shell -c`): N supporters, each with a paid
# first payment (a card) and a monthly subscription at Mollie starting next month.
_MAKE_SUBSCRIPTIONS = """
import datetime
from decimal import Decimal
from concurrent.futures import ThreadPoolExecutor
from django.db import connection
from django.conf import settings
from donations import gateway
from donations.models import Donation, Subscription
from donations.schedule import add_months
from donations.services.common import webhook_url
from supporters.models import Supporter
from bench.common import sandbox_control
count = {count}
supporters = Supporter.objects.bulk_create(
    Supporter(email=f"chaos-{{n}}@example.org", name=f"Chaos {{n}}") for n in range(count))
donations = Donation.objects.bulk_create(
    Donation(supporter=s, amount=Decimal("5.00"), frequency="monthly", language="nl")
    for s in supporters)
today = datetime.date.today()
start = add_months(today.replace(day=1), 1)
base = settings.MOLLIE_API_ENDPOINT
hook = webhook_url()
def one(pair):
    supporter, donation = pair
    customer = gateway.customer_create(
        name=supporter.name, email=supporter.email, language="nl", idempotency_key="")
    first = gateway.payment_create(
        amount=Decimal("5.00"), description="first", redirect_url="http://127.0.0.1/return",
        webhook_url=None, metadata={{"donation_id": donation.pk}}, language="nl",
        idempotency_key=f"chaos-first-{{donation.pk}}", customer_id=customer.id,
        first_of_subscription=True)
    sandbox_control(base, f"/_sandbox/payments/{{first.id}}/status", status="paid",
                    method="creditcard")
    data = gateway.subscription_create(
        customer_id=customer.id, amount=Decimal("5.00"), interval="1 month",
        start_date=start, description=f"chaos {{donation.pk}}", webhook_url=hook,
        metadata={{"donation_id": donation.pk}}, idempotency_key=f"chaos-sub-{{donation.pk}}")
    return Subscription(
        mollie_id=data.id, donation=donation, supporter=supporter,
        customer_id=customer.id, amount=Decimal("5.00"), status="active",
        start_date=start, next_payment_date=start)
with ThreadPoolExecutor(max_workers=8) as pool:
    rows = list(pool.map(one, zip(supporters, donations)))
Subscription.objects.bulk_create(rows, batch_size=2000)
print(len(rows), "subscriptions")
"""


def verdict(report: dict) -> list[str]:
    """What went wrong, in words (an empty list: nothing lost, nothing doubled)."""
    problems = []
    for name in (
        "payments_stored_but_not_at_mollie",
        "charges_lost",
        "charges_doubled",
        "charges_with_another_status",
        "customers_with_two_subscriptions",
        "subscriptions_doubled",
        "emails_not_sent",
        "messages_received_twice",
        "messages_without_a_stored_email",
    ):
        if report.get(name):
            problems.append(f"{name}: {report[name]}")
    if report.get("charges_at_mollie") != report.get("charged"):
        problems.append(
            f"Mollie made {report.get('charges_at_mollie')} charges "
            f"for {report.get('charged')} gifts"
        )
    if report.get("failed_charge_emails") != report.get("failed_charges"):
        problems.append(
            f"{report.get('failed_charges')} failed charges but "
            f"{report.get('failed_charge_emails')} emails about them"
        )
    if report.get("messages_received") != report.get("emails_stored"):
        problems.append(
            f"{report.get('emails_stored')} emails stored, "
            f"{report.get('messages_received')} received"
        )
    other = set(report.get("webhook_answers", {})) - {"200", "503"}
    if other:
        problems.append(f"webhooks answered {sorted(other)}")
    expected_gifts = report.get("subscriptions", 0) + report.get("monthly_first_payments_paid", 0)
    if report.get("subscriptions_stored") != expected_gifts:
        problems.append(
            f"{report.get('subscriptions_stored')} monthly gifts stored, {expected_gifts} paid for"
        )
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    parser.add_argument("--subscriptions", type=int, default=300)
    parser.add_argument("--donors", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--smtp-down", type=float, default=30, help="seconds SMTP is down")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        report = run(
            args.subscriptions,
            args.donors,
            site_workers=args.workers,
            smtp_down_seconds=args.smtp_down,
        )
    except Unavailable as missing:
        print(json.dumps({"skipped": str(missing)}) if args.json else f"skipped: {missing}")
        return 0
    report["problems"] = verdict(report)
    if args.json:
        print(json.dumps(report))
    else:
        for line in report["events"]:
            print(line)
        print(json.dumps({k: v for k, v in report.items() if k != "events"}, indent=2))
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
