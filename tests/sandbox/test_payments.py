"""Payments API: create, get, list with pagination, update, cancel, and the 4xx rules."""

from __future__ import annotations

import json
import re

import pytest
from mollie.api.client import Client
from mollie.api.error import NotFoundError, UnauthorizedError, UnprocessableEntityError

from .helpers import REDIRECT, amount, payment_data, raw

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")


def test_create_returns_open_payment_with_links_under_base(client, sandbox):
    payment = client.payments.create(
        payment_data(metadata={"donation_id": 7}, locale="nl_NL", webhookUrl=REDIRECT)
    )
    assert re.fullmatch(r"tr_[A-Za-z0-9]{10}", payment.id)
    assert payment.status == "open"
    assert payment.mode == "test"
    assert payment.amount == {"currency": "EUR", "value": "10.00"}
    assert payment.sequence_type == "oneoff"
    assert payment.metadata == {"donation_id": 7}
    assert payment.locale == "nl_NL"
    assert payment.is_cancelable is False  # an open payment without a method to cancel it
    assert TIMESTAMP.match(payment.created_at)
    assert TIMESTAMP.match(payment.expires_at)
    assert payment.checkout_url == f"{sandbox.base_url}/checkout/{payment.id}"
    assert payment["_links"]["self"]["href"] == f"{sandbox.base_url}/v2/payments/{payment.id}"
    for name, entry in payment["_links"].items():
        if name != "documentation":
            assert entry["href"].startswith(sandbox.base_url), name
    assert not payment.is_paid()
    assert payment.amount_remaining is None


def test_get_returns_same_payment(client):
    created = client.payments.create(payment_data())
    fetched = client.payments.get(created.id)
    assert fetched.id == created.id
    assert fetched.description == "Gift #1"


def test_response_is_hal_json(client, sandbox):
    created = client.payments.create(payment_data())
    status, headers, body = raw(
        "GET",
        f"{sandbox.base_url}/v2/payments/{created.id}",
        headers={"Authorization": "Bearer test_abc012345678901234567890123456"},
    )
    assert status == 200
    assert headers["Content-Type"] == "application/hal+json"
    assert json.loads(body)["id"] == created.id


def test_unknown_payment_is_404(client):
    with pytest.raises(NotFoundError):
        client.payments.get("tr_doesnotexist")


def test_missing_or_bad_authorization_is_401(sandbox):
    for headers in ({}, {"Authorization": "Bearer nope_123"}, {"Authorization": "test_abc"}):
        status, resp_headers, body = raw("GET", f"{sandbox.base_url}/v2/payments", headers=headers)
        assert status == 401
        assert resp_headers["Content-Type"] == "application/hal+json"
        assert json.loads(body)["status"] == 401


def test_unaccepted_token_raises_unauthorized_error_in_client(sandbox):
    # The client refuses malformed API keys before sending; an OAuth token does reach the
    # sandbox, which accepts API keys only, so the client's 401 handling is exercised.
    api = Client(api_endpoint=sandbox.base_url)
    api.set_access_token("access_notsupported")
    with pytest.raises(UnauthorizedError) as caught:
        api.payments.list()
    assert caught.value.status == 401


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": None}, "amount"),
        ({"amount": {"currency": "EUR", "value": 10}}, "amount.value"),
        ({"amount": amount("10")}, "amount.value"),
        ({"amount": amount("10.5")}, "amount.value"),
        ({"amount": amount("10.001")}, "amount.value"),
        ({"amount": amount("1,00")}, "amount.value"),
        ({"amount": {"currency": "USD", "value": "10.00"}}, "amount.currency"),
        ({"amount": amount("0.00")}, "amount"),
        ({"amount": amount("50000.01")}, "amount"),
        ({"description": ""}, "description"),
        ({"description": None}, "description"),
        ({"redirectUrl": None}, "redirectUrl"),
        ({"redirectUrl": "not a url"}, "redirectUrl"),
        ({"webhookUrl": "ftp://x"}, "webhookUrl"),
        ({"locale": "xx_XX"}, "locale"),
        ({"method": "cash"}, "method"),
        ({"sequenceType": "sometimes"}, "sequenceType"),
        ({"sequenceType": "first"}, "customerId"),
        ({"customerId": "cst_unknown1234"}, "customerId"),
        ({"metadata": {"blob": "x" * 2000}}, "metadata"),
    ],
)
def test_create_rules_answer_422_with_field(client, changes, field):
    data = payment_data(**changes)
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(UnprocessableEntityError) as caught:
        client.payments.create(data)
    assert caught.value.field == field
    assert caught.value.status == 422


def test_maximum_amount_and_long_description_are_accepted(client):
    payment = client.payments.create(payment_data(amount=amount("50000.00"), description="d" * 300))
    assert payment.amount["value"] == "50000.00"
    assert len(payment.description) == 255  # Mollie truncates instead of rejecting


def test_localhost_webhook_is_accepted(client):
    payment = client.payments.create(payment_data(webhookUrl="http://localhost:8000/hook/"))
    assert payment.webhook_url == "http://localhost:8000/hook/"


def test_update_while_open(client):
    payment = client.payments.create(payment_data())
    updated = client.payments.update(
        payment.id,
        {"description": "Gift #2", "metadata": {"a": 1}, "redirectUrl": REDIRECT + "?x=1"},
    )
    assert updated.description == "Gift #2"
    assert updated.metadata == {"a": 1}
    assert client.payments.get(payment.id).redirect_url == REDIRECT + "?x=1"


def test_update_rules(client, sandbox):
    payment = client.payments.create(payment_data())
    with pytest.raises(UnprocessableEntityError) as caught:
        client.payments.update(payment.id, {"description": ""})
    assert caught.value.field == "description"
    sandbox.checkout(payment.id, "paid")
    with pytest.raises(UnprocessableEntityError):
        client.payments.update(payment.id, {"description": "too late"})
    with pytest.raises(NotFoundError):
        client.payments.update("tr_unknown12345", {"description": "x"})


def test_delete_cancels_open_payment(client):
    payment = client.payments.create(
        payment_data(cancelUrl=REDIRECT + "/cancel", method="banktransfer")
    )
    canceled = client.payments.delete(payment.id)
    assert canceled.status == "canceled"
    assert canceled.is_canceled()
    assert canceled.canceled_at
    assert canceled.is_cancelable is None
    assert canceled.checkout_url is None


def test_delete_of_final_payment_is_422(client, sandbox):
    payment = client.payments.create(payment_data())
    sandbox.checkout(payment.id, "paid")
    with pytest.raises(UnprocessableEntityError):
        client.payments.delete(payment.id)
    with pytest.raises(NotFoundError):
        client.payments.delete("tr_unknown12345")


def test_list_newest_first_and_paginate(client):
    ids = [client.payments.create(payment_data(description=f"Gift {n}")).id for n in range(7)]
    first = client.payments.list(limit=3)
    assert len(first) == 3
    assert [p.id for p in first] == ids[::-1][:3]
    assert first.has_next()
    assert not first.has_previous()
    second = first.get_next()
    assert [p.id for p in second] == ids[::-1][3:6]
    assert second.has_previous()
    assert [p.id for p in second.get_previous()] == ids[::-1][:3]
    third = second.get_next()
    assert [p.id for p in third] == ids[:1]
    assert not third.has_next()
    assert third.get_next() is None


def test_list_from_cursor_and_limit_validation(client, sandbox):
    ids = [client.payments.create(payment_data()).id for _ in range(3)]
    page = client.payments.list(**{"from": ids[1], "limit": 5})
    assert [p.id for p in page] == [ids[1], ids[0]]
    status, _, body = raw(
        "GET",
        f"{sandbox.base_url}/v2/payments?limit=251",
        headers={"Authorization": "Bearer test_x01234567890123456789012345678"},
    )
    assert status == 400
    assert json.loads(body)["field"] == "limit"


def test_empty_list(client):
    page = client.payments.list()
    assert len(page) == 0
    assert list(page) == []


def test_unknown_route_and_method(sandbox):
    headers = {"Authorization": "Bearer test_x01234567890123456789012345678"}
    status, _, body = raw("GET", f"{sandbox.base_url}/v2/nothing", headers=headers)
    assert status == 404
    assert json.loads(body)["status"] == 404
    status, _, body = raw("PATCH", f"{sandbox.base_url}/v2/refunds", headers=headers)
    assert status == 405


def test_empty_body_is_422_and_invalid_json_is_400(sandbox):
    url = f"{sandbox.base_url}/v2/payments"
    headers = {"Authorization": "Bearer test_x01234567890123456789012345678"}
    status, _, body = raw("POST", url, headers=headers, data=b"")
    assert status == 422
    assert json.loads(body)["field"] == "amount"
    status, _, body = raw("POST", url, headers=headers, data=b"{not json")
    assert status == 400
    assert json.loads(body)["status"] == 400
