"""Nothing lost, nothing doubled when things break: monthly gifts charged at once while Mollie
fails and is slow, a site worker is killed, PostgreSQL restarts and SMTP is down (bench/chaos.py
runs it all for real: its own PostgreSQL server, the sandbox, gunicorn, the email worker)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import chaos

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.real_clock,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="needs PostgreSQL (set DATABASE_URL=postgres://...): the run restarts a server",
    ),
    pytest.mark.skipif(
        chaos._pg_tool("initdb") is None, reason="needs PostgreSQL's initdb and pg_ctl"
    ),
]


def test_a_burst_of_charges_through_every_kind_of_failure_loses_and_doubles_nothing():
    run = subprocess.run(
        [
            *(sys.executable, "-m", "bench.chaos", "--subscriptions", "150", "--donors", "12"),
            *("--smtp-down", "4", "--json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
    )
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert "skipped" not in report, report
    print("\n".join(report["events"]))
    assert report["problems"] == [], report
    # The faults did happen: otherwise this proves nothing.
    fetch = report["faults"]["GET /v2/payments/*"]
    assert fetch["error"] > 0 and fetch["timeout"] > 0
    assert report["faults"]["webhook"]["drop"] > 0
    assert any("SIGKILL" in line for line in report["events"])
    assert any("PostgreSQL restarted" in line for line in report["events"])
    assert report["emails_sent_after_a_failed_attempt"] > 0  # SMTP was down for some
    assert report["webhook_answers"].get("503", 0) > 0  # Mollie was told to come back later
    # Every charge once, with Mollie's status; every email once; every gift once.
    assert report["charges_stored"] == report["charges_at_mollie"] == report["charged"] >= 150
    assert report["messages_received"] == report["emails_stored"] > report["failed_charges"] > 0
    assert report["subscriptions_stored"] == report["subscriptions_at_mollie"]
    assert run.returncode == 0
