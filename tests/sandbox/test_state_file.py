"""`--state FILE`: everything survives a restart, including the clock and idempotency keys."""

from __future__ import annotations

import json

from mollie.api.client import Client

from mollie_sandbox import start_in_thread

from .helpers import amount, payment_data


def _client(running) -> Client:
    api = Client(api_endpoint=running.base_url)
    api.set_api_key("test_statefile012345678901234567890")
    return api


def test_state_survives_restart(tmp_path):
    path = tmp_path / "sandbox.json"
    first = start_in_thread(state_file=str(path), webhook_schedule=(0,))
    try:
        api = _client(first)
        customer = api.customers.create({"name": "Kept"})
        one = customer.payments.create(
            payment_data(sequenceType="first", description="First month")
        )
        first.checkout(one.id, "paid")
        sub = customer.subscriptions.create(
            {"amount": amount("4.00"), "interval": "1 month", "description": "Monthly"}
        )
        first.advance_clock(days=3)
        today = first.today()
        payment = api.payments.create(payment_data(), idempotency_key="keep-me")
    finally:
        first.stop()
    saved = json.loads(path.read_text())
    assert payment.id in saved["payments"]
    assert sub.id in saved["subscriptions"]

    second = start_in_thread(state_file=str(path), webhook_schedule=(0,))
    try:
        api = _client(second)
        assert api.payments.get(payment.id).status == "open"
        again = api.customers.get(customer.id)
        assert again.subscriptions.get(sub.id).is_active()
        assert len(again.mandates.list()) == 1
        assert second.today() == today
        replay = api.payments.create(payment_data(), idempotency_key="keep-me")
        assert replay.id == payment.id
        assert api.payments.get(payment.id)["_links"]["self"]["href"].startswith(second.base_url)
    finally:
        second.stop()


def test_memory_only_by_default(sandbox, client):
    assert sandbox.store.path is None
    client.payments.create(payment_data())
    sandbox.reset()
    assert len(client.payments.list()) == 0
