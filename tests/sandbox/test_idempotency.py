"""Idempotency-Key: replay, conflicts, and keys ignored where Mollie ignores them."""

from __future__ import annotations

import pytest
from mollie.api.error import BadRequestError, ConflictError

from mollie_sandbox import idempotency

from .helpers import amount, payment_data, raw

AUTH = {
    "Authorization": "Bearer test_idempotency0123456789012345678",
    "Content-Type": "application/json",
}


def test_same_key_replays_first_response(client):
    first = client.payments.create(payment_data(), idempotency_key="gift-1")
    again = client.payments.create(payment_data(), idempotency_key="gift-1")
    assert again.id == first.id
    assert len(client.payments.list()) == 1


def test_replay_header_and_identical_body(sandbox):
    url = f"{sandbox.base_url}/v2/payments"
    headers = dict(AUTH, **{"Idempotency-Key": "raw-1"})
    status1, headers1, body1 = raw("POST", url, json_body=payment_data(), headers=headers)
    status2, headers2, body2 = raw("POST", url, json_body=payment_data(), headers=headers)
    assert status1 == status2 == 201
    assert headers1.get("Idempotent-Replayed") is None
    assert headers2["Idempotent-Replayed"] == "true"
    assert body1 == body2


def test_errors_are_replayed_too(sandbox):
    url = f"{sandbox.base_url}/v2/payments"
    headers = dict(AUTH, **{"Idempotency-Key": "raw-2"})
    bad = payment_data(amount=amount("1"))
    first = raw("POST", url, json_body=bad, headers=headers)
    second = raw("POST", url, json_body=bad, headers=headers)
    assert first[0] == second[0] == 422
    assert second[1]["Idempotent-Replayed"] == "true"


def test_same_key_other_body_or_path_is_400(client, mandated_customer):
    client.payments.create(payment_data(), idempotency_key="gift-2")
    with pytest.raises(BadRequestError) as caught:
        client.payments.create(payment_data(description="Other"), idempotency_key="gift-2")
    assert "Idempotency-Key has already been used" in str(caught.value)
    with pytest.raises(BadRequestError):
        client.customers.create({"name": "X"}, idempotency_key="gift-2")


def test_key_in_progress_is_409(client, sandbox):
    # Reserve the key the way a slow first request does, then send the duplicate.
    slot = f"{client.api_key} busy-1"
    print_ = idempotency.fingerprint("POST", "/v2/payments", "", payment_data())
    assert idempotency.begin(sandbox.store, slot, print_) == (idempotency.RUN, None)
    with pytest.raises(ConflictError) as caught:
        client.payments.create(payment_data(), idempotency_key="busy-1")
    assert "already being processed" in str(caught.value)
    with pytest.raises(BadRequestError):
        client.payments.create(payment_data(description="other"), idempotency_key="busy-1")
    idempotency.finish(sandbox.store, slot, 500, None)  # a failed first try frees the key
    assert client.payments.create(payment_data(), idempotency_key="busy-1").status == "open"


def test_keys_expire_after_an_hour(client, sandbox):
    first = client.payments.create(payment_data(), idempotency_key="gift-3")
    sandbox.advance_clock(days=1)
    second = client.payments.create(payment_data(), idempotency_key="gift-3")
    assert second.id != first.id


def test_keys_are_per_api_key(client, sandbox):
    from mollie.api.client import Client

    other = Client(api_endpoint=sandbox.base_url)
    other.set_api_key("test_anotherkey01234567890123456789")
    first = client.payments.create(payment_data(), idempotency_key="shared")
    second = other.payments.create(payment_data(), idempotency_key="shared")
    assert first.id != second.id


def test_key_ignored_on_patch_and_delete(client):
    payment = client.payments.create(payment_data())
    client.payments.update(payment.id, {"description": "A"}, idempotency_key="k")
    updated = client.payments.update(payment.id, {"description": "B"}, idempotency_key="k")
    assert updated.description == "B"


def test_refund_and_subscription_creates_are_idempotent(client, sandbox, mandated_customer):
    data = {"amount": amount("5.00"), "interval": "1 month", "description": "Monthly"}
    one = mandated_customer.subscriptions.create(data, idempotency_key="pledge-1-sub")
    two = mandated_customer.subscriptions.create(data, idempotency_key="pledge-1-sub")
    assert one.id == two.id
    assert len(mandated_customer.subscriptions.list()) == 1
    payment = client.payments.create(payment_data())
    sandbox.checkout(payment.id, "paid")
    refund = {"amount": amount("1.00")}
    r1 = payment.refunds.create(refund, idempotency_key="refund-1")
    r2 = payment.refunds.create(refund, idempotency_key="refund-1")
    assert r1.id == r2.id
    assert len(payment.refunds.list()) == 1
