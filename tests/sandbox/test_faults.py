"""Faults on demand: slow answers, 5xx, 429 with Retry-After and dropped connections, per
endpoint, from the control endpoint, the Python helper and the command line; and the same for
the webhook calls the sandbox makes."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from mollie.api.client import Client
from mollie.api.error import RequestError, ResponseError

from mollie_sandbox import ControlError

from .helpers import control, payment_data, raw

ROOT = Path(__file__).resolve().parents[2]
KEY = "test_sandboxtestkey1234567890012345"


def api_request(sandbox, method: str, path: str, body: dict | None = None):
    """One API request on its own connection: (status, headers, body) or the error raised."""
    parts = urllib.parse.urlsplit(sandbox.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    try:
        connection.request(method, path, body=json.dumps(body) if body else None, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    except (http.client.HTTPException, OSError) as error:
        return error
    finally:
        connection.close()


def test_a_share_of_5xx_answers_on_one_endpoint_only(client, sandbox):
    payment = client.payments.create(payment_data())
    sandbox.set_faults([{"pattern": "GET /v2/payments/*", "error": 0.5}], seed=7)
    answers = [api_request(sandbox, "GET", f"/v2/payments/{payment.id}") for _ in range(200)]
    failed = [a for a in answers if a[0] == 503]
    assert 70 <= len(failed) <= 130  # half, give or take
    assert {a[0] for a in answers} == {200, 503}
    body = json.loads(failed[0][2])
    assert body["status"] == 503 and body["title"] and body["detail"]
    # Other endpoints are untouched.
    assert all(api_request(sandbox, "GET", "/v2/payments")[0] == 200 for _ in range(20))
    # The official client turns the 5xx into an error the site handles.
    sandbox.set_faults([{"pattern": "GET /v2/payments/*", "error": 1}])
    with pytest.raises(ResponseError):
        client.payments.get(payment.id)


def test_an_error_is_not_carried_out(client, sandbox):
    sandbox.set_faults([{"pattern": "POST /v2/payments", "error": 1, "status": 500}])
    status, _, _ = api_request(sandbox, "POST", "/v2/payments", payment_data())
    assert status == 500
    sandbox.clear_faults()
    assert client.payments.list().count == 0


def test_throttle_answers_429_with_retry_after(sandbox):
    sandbox.set_faults([{"pattern": "*", "throttle": 1, "retry_after": 7}])
    status, headers, body = api_request(sandbox, "GET", "/v2/payments")
    assert status == 429 and headers["Retry-After"] == "7"
    assert json.loads(body)["status"] == 429


def test_a_dropped_connection_is_carried_out_without_an_answer(client, sandbox):
    """The worst case: the payment exists, but the caller never heard so."""
    sandbox.set_faults([{"pattern": "POST /v2/payments", "drop": 1}])
    outcome = api_request(sandbox, "POST", "/v2/payments", payment_data())
    assert isinstance(outcome, (http.client.HTTPException, OSError))
    sandbox.clear_faults()
    assert client.payments.list().count == 1


def test_a_timeout_holds_the_request_unanswered_and_does_not_carry_it_out(client, sandbox):
    sandbox.set_faults([{"pattern": "POST /v2/payments", "timeout": 1, "hang": 3}])
    api = Client(api_endpoint=sandbox.base_url, timeout=(2, 0.5))
    api.set_api_key(KEY)
    started = time.monotonic()
    with pytest.raises(RequestError):
        api.payments.create(payment_data())
    assert time.monotonic() - started < 2.5  # the caller's read timeout, not the hang
    sandbox.clear_faults()
    assert client.payments.list().count == 0


def test_latency_is_added_as_a_fixed_or_random_delay(sandbox):
    sandbox.set_faults([{"pattern": "GET /v2/payments", "latency": "0.2-0.3"}])
    started = time.monotonic()
    assert api_request(sandbox, "GET", "/v2/payments")[0] == 200
    assert 0.2 <= time.monotonic() - started < 2


def test_the_same_seed_gives_the_same_faults(sandbox):
    def run() -> list[int]:
        sandbox.set_faults([{"pattern": "*", "error": 0.3, "throttle": 0.2}], seed=42)
        return [api_request(sandbox, "GET", "/v2/payments")[0] for _ in range(40)]

    assert run() == run()


def test_the_control_endpoint_sets_shows_and_clears_faults(sandbox):
    rules = json.dumps([{"pattern": "GET /v2/payments", "error": 1}])
    status, shown = control(sandbox, "/_sandbox/faults", rules=rules, seed="3")
    assert status == 200 and shown["seed"] == 3
    assert shown["rules"][0]["pattern"] == "GET /v2/payments"
    assert api_request(sandbox, "GET", "/v2/payments")[0] == 503
    status, _, text = raw("GET", f"{sandbox.base_url}/_sandbox/faults")
    assert json.loads(text)["rules"][0]["seen"] == {
        "requests": 1,
        "error": 1,
        "throttle": 0,
        "drop": 0,
        "timeout": 0,
    }
    status, shown = control(sandbox, "/_sandbox/faults", rules="[]")
    assert shown["rules"] == [] and api_request(sandbox, "GET", "/v2/payments")[0] == 200


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"error": 2}, "share between 0 and 1"),
        ({"error": 0.6, "drop": 0.6}, "cannot exceed 1"),
        ({"latency": "3-1"}, "min before max"),
        ({"status": 404, "error": 1}, "5xx"),
        ({"colour": "red"}, "Unknown fault setting"),
        ({"pattern": "webhook", "throttle": 0.5}, "cannot be throttled"),
        ({"pattern": "webhook", "timeout": 0.5}, "cannot be throttled or held"),
        ({"timeout": 1, "hang": 900}, "hang must be between"),
    ],
)
def test_a_wrong_rule_is_refused_with_a_message_and_changes_nothing(sandbox, rule, message):
    sandbox.set_faults([{"pattern": "GET /v2/payments", "error": 1}])
    status, answer = control(sandbox, "/_sandbox/faults", rules=json.dumps([rule]))
    assert status == 400 and message in answer["error"]
    with pytest.raises(ControlError):
        sandbox.set_faults([rule])
    assert api_request(sandbox, "GET", "/v2/payments")[0] == 503  # the old rules stay


def test_reset_clears_the_faults(sandbox):
    sandbox.set_faults([{"pattern": "*", "error": 1}])
    sandbox.reset()
    assert api_request(sandbox, "GET", "/v2/payments")[0] == 200


def test_webhook_errors_are_retried_and_drops_deliver_twice(client, sandbox, receiver):
    """`error`: the call is not made (a failed attempt, retried); `drop`: it is made but the
    answer is not read, so the site sees the same webhook again on the next attempt."""
    sandbox.set_faults([{"pattern": "webhook", "error": 0.5, "drop": 0.5}], seed=1)
    missed = client.payments.create(payment_data(webhookUrl=receiver.url))
    sandbox.checkout(missed.id, "paid")
    assert sandbox.wait_for_webhooks(10)
    attempts = [d for d in sandbox.deliveries if d["paymentId"] == missed.id]
    assert len(attempts) >= 2 and not any(d["ok"] for d in attempts)
    assert any("not made" in (d["error"] or "") for d in attempts)
    assert any("hung up" in (d["error"] or "") for d in attempts)
    # Every dropped attempt reached the receiver; none of the "not made" ones did.
    time.sleep(0.2)  # the receiver may still be writing down the last call
    dropped = sum("hung up" in (d["error"] or "") for d in attempts)
    assert receiver.ids().count(missed.id) == dropped


def test_webhook_latency_delays_the_call(client, sandbox, receiver):
    sandbox.set_faults([{"pattern": "webhook", "latency": 0.4}])
    payment = client.payments.create(payment_data(webhookUrl=receiver.url))
    started = time.monotonic()
    sandbox.checkout(payment.id, "paid")
    assert sandbox.wait_for_webhooks(5)
    assert time.monotonic() - started >= 0.4 and receiver.ids() == [payment.id]


@pytest.mark.real_clock
def test_the_command_line_takes_fault_rules():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mollie_sandbox",
            "--port",
            "0",
            "--quiet",
            "--fault",
            "GET /v2/payments:throttle=1,retry-after=9",
            "--webhook-fault",
            "error=0.5",
            "--fault-seed",
            "1",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base = process.stdout.readline().split()[3]
        status, headers, _ = raw(
            "GET", f"{base}/v2/payments", headers={"Authorization": f"Bearer {KEY}"}
        )
        assert status == 429 and headers["Retry-After"] == "9"
        _, _, text = raw("GET", f"{base}/_sandbox/faults")
        shown = json.loads(text)
        assert shown["seed"] == 1
        assert [r["pattern"] for r in shown["rules"]] == ["GET /v2/payments", "webhook"]
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()


@pytest.mark.parametrize(
    "option, message",
    [
        ("--fault=*:error=lots", "share between 0 and 1"),
        ("--webhook-fault=throttle=0.1", "cannot be throttled"),
    ],
)
def test_the_command_line_refuses_a_wrong_fault(option, message):
    result = subprocess.run(
        [sys.executable, "-m", "mollie_sandbox", option], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2 and message in result.stderr
