"""Control endpoints over HTTP, the overview page, expiry, reset and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from mollie.api.client import Client

from .helpers import amount, control, payment_data, raw

ROOT = Path(__file__).resolve().parents[2]


class _Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.lang, self.forms, self.external = [], None, [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "form":
            self.forms.append(attrs.get("action"))
        for name in ("src", "href"):
            if (attrs.get(name) or "").startswith(("http:", "https:", "//")):
                self.external.append(attrs[name])


def test_overview_page(client, sandbox, mandated_customer):
    sub = mandated_customer.subscriptions.create(
        {"amount": amount("7.00"), "interval": "1 month", "description": "<b>Monthly</b>"}
    )
    status, headers, html = raw("GET", sandbox.base_url + "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    outline = _Outline()
    outline.feed(html)
    assert outline.lang == "en"
    assert "h1" in outline.tags
    assert "h2" in outline.tags
    assert "table" in outline.tags
    assert "caption" in outline.tags
    assert outline.external == []
    assert f"/_sandbox/subscriptions/{sub.id}/charge" in outline.forms
    assert "/_sandbox/clock/advance" in outline.forms
    assert "&lt;b&gt;Monthly&lt;/b&gt;" in html
    assert "<b>Monthly</b>" not in html
    status, headers, _ = raw("GET", sandbox.base_url + "/_sandbox/style.css")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")


def test_overview_buttons_redirect_back(client, sandbox, mandated_customer):
    sub = mandated_customer.subscriptions.create(
        {"amount": amount("7.00"), "interval": "1 month", "description": "Monthly"}
    )
    status, headers, _ = raw(
        "POST",
        f"{sandbox.base_url}/_sandbox/subscriptions/{sub.id}/charge",
        form={"outcome": "paid", "next": "/"},
    )
    assert status == 303
    assert headers["Location"] == "/"
    before = sandbox.today()
    status, headers, _ = raw(
        "POST", f"{sandbox.base_url}/_sandbox/clock/advance", form={"months": "1", "next": "/"}
    )
    assert status == 303
    assert sandbox.today() > before
    assert len(sub.payments.list()) == 2


def test_set_status_endpoint(client, sandbox):
    payment = client.payments.create(payment_data())
    status, body = control(sandbox, f"/_sandbox/payments/{payment.id}/status", status="pending")
    assert status == 200
    assert body["payment"]["status"] == "pending"
    status, _, text = raw(
        "POST",
        f"{sandbox.base_url}/_sandbox/payments/{payment.id}/status",
        json_body={"status": "paid", "method": "creditcard"},
    )
    assert status == 200
    assert json.loads(text)["payment"]["method"] == "creditcard"
    status, body = control(sandbox, f"/_sandbox/payments/{payment.id}/status", status="open")
    assert status == 409
    assert "cannot go from paid" in body["error"]
    status, body = control(sandbox, f"/_sandbox/payments/{payment.id}/status")
    assert status == 400
    status, body = control(sandbox, "/_sandbox/payments/tr_unknown12345/status", status="paid")
    assert status == 404
    status, body = control(sandbox, "/_sandbox/nothing")
    assert status == 404


def test_clock_and_expiry(client, sandbox, receiver):
    status, _, body = raw("GET", f"{sandbox.base_url}/_sandbox/clock")
    assert status == 200
    assert json.loads(body)["today"] == sandbox.today().isoformat()
    payment = client.payments.create(payment_data(webhookUrl=receiver.url))
    sandbox.advance_clock(days=1)
    expired = client.payments.get(payment.id)
    assert expired.is_expired()
    assert expired.expired_at
    assert "expiresAt" not in expired
    assert sandbox.wait_for_webhooks(5)
    assert receiver.ids() == [payment.id]


def test_reset_endpoint(client, sandbox):
    client.payments.create(payment_data())
    real_today = sandbox.today()
    sandbox.advance_clock(days=5)
    status, body = control(sandbox, "/_sandbox/reset")
    assert status == 200
    assert body == {"reset": True}
    assert len(client.payments.list()) == 0
    status, _, text = raw("GET", f"{sandbox.base_url}/_sandbox/clock")
    assert json.loads(text)["today"] == real_today.isoformat()  # the clock is reset too


@pytest.mark.real_clock  # the sandbox runs in another process, on the real clock
def test_command_line_serves_api(tmp_path):
    state = tmp_path / "state.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mollie_sandbox",
            "--port",
            "0",
            "--quiet",
            "--state",
            str(state),
            "--webhook-schedule",
            "0,1,2",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        base = line.split()[3]
        assert base.startswith("http://127.0.0.1:")
        api = Client(api_endpoint=base)
        api.set_api_key("test_cli012345678901234567890123456")
        payment = api.payments.create(payment_data())
        assert api.payments.get(payment.id).status == "open"
        assert payment.id in json.loads(state.read_text())["payments"]
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()


def test_command_line_rejects_bad_schedule():
    result = subprocess.run(
        [sys.executable, "-m", "mollie_sandbox", "--webhook-schedule", "5,1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert result.returncode == 2
    assert "ascending" in result.stderr
