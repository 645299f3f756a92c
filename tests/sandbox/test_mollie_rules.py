"""Where the sandbox used to differ from Mollie: past start dates, direct debits that settle days
later, API keys of the wrong shape, methods the API does not have, `details: null` and
`isCancelable` per method."""

from __future__ import annotations

import datetime
import json

import pytest
from mollie.api.error import UnprocessableEntityError

from .helpers import amount, payment_data, raw

KEY = "test_sandboxtestkey1234567890012345"


def subscription(customer, **extra):
    data = {"amount": amount("10.00"), "interval": "1 month", "description": "Monthly gift"}
    return customer.subscriptions.create({**data, **extra})


def test_a_start_date_in_the_past_is_refused(sandbox, mandated_customer):
    yesterday = sandbox.today() - datetime.timedelta(days=1)
    with pytest.raises(UnprocessableEntityError) as refused:
        subscription(mandated_customer, startDate=yesterday.isoformat())
    assert refused.value.field == "startDate"
    assert mandated_customer.subscriptions.list().count == 0  # nothing fires ten charges
    made = subscription(mandated_customer, startDate=sandbox.today().isoformat())
    assert made.next_payment_date == sandbox.today().isoformat()


def test_a_direct_debit_charge_is_pending_for_days_then_paid(sandbox, client, mandated_customer):
    made = subscription(mandated_customer)
    [charge] = sandbox.advance_clock(days=0)["charged"]
    assert client.payments.get(charge).status == "pending"
    assert sandbox.advance_clock(days=2)["settled"] == []
    assert sandbox.advance_clock(days=1)["settled"] == [charge]
    assert client.payments.get(charge).status == "paid"
    assert mandated_customer.subscriptions.get(made.id).next_payment_date is not None


def test_a_direct_debit_can_fail_when_it_settles(sandbox, client, mandated_customer):
    subscription(mandated_customer)
    [charge] = sandbox.advance_clock(days=0, outcome="failed")["charged"]
    assert client.payments.get(charge).status == "pending"
    sandbox.advance_clock(days=3)
    assert client.payments.get(charge).status == "failed"


def test_months_of_debits_at_once_settle_within_the_same_move(sandbox, client, mandated_customer):
    subscription(mandated_customer)
    moved = sandbox.advance_clock(months=2)
    assert len(moved["charged"]) == 3  # today, in one month, in two months
    statuses = [client.payments.get(charge).status for charge in moved["charged"]]
    assert statuses == ["paid", "paid", "pending"]  # the last one was charged today


def test_a_card_charge_is_paid_at_once(sandbox, client, card_customer):
    subscription(card_customer)
    [charge] = sandbox.advance_clock(days=0)["charged"]
    assert client.payments.get(charge).status == "paid"


@pytest.mark.parametrize(
    "key",
    [
        "test_short",
        "test_" + "a" * 29,
        "test_" + "a" * 31,
        "live_" + "a" * 29 + "-",
        "test_" + "a" * 15 + "_" + "a" * 14,
        "prod_" + "a" * 30,
    ],
)
def test_a_key_of_the_wrong_shape_gets_401(sandbox, key):
    status, _, body = raw(
        "GET", f"{sandbox.base_url}/v2/payments", headers={"Authorization": f"Bearer {key}"}
    )
    assert status == 401 and json.loads(body)["title"] == "Unauthorized Request"


def test_a_key_of_the_right_shape_is_accepted(sandbox):
    for key in ("test_" + "A1" * 15, "live_" + "z9" * 15):
        status, _, _ = raw(
            "GET", f"{sandbox.base_url}/v2/payments", headers={"Authorization": f"Bearer {key}"}
        )
        assert status == 200


@pytest.mark.parametrize("method", ["PUT", "HEAD", "OPTIONS"])
def test_methods_the_api_does_not_have_get_405_with_allow(client, sandbox, method):
    payment = client.payments.create(payment_data())
    status, headers, body = raw(
        method,
        f"{sandbox.base_url}/v2/payments/{payment.id}",
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert status == 405
    assert headers["Allow"] == "DELETE, GET, PATCH"
    assert headers["Content-Type"] == "application/hal+json"
    if method != "HEAD":  # a HEAD answer has no body
        assert json.loads(body)["status"] == 405


def test_a_known_method_on_the_wrong_resource_names_the_allowed_ones(sandbox):
    status, headers, body = raw(
        "DELETE", f"{sandbox.base_url}/v2/payments", headers={"Authorization": f"Bearer {KEY}"}
    )
    assert status == 405 and headers["Allow"] == "GET, POST"
    assert json.loads(body)["title"] == "Method Not Allowed"


def test_an_unpaid_payment_has_details_null(client, sandbox):
    payment = client.payments.create(payment_data())
    _status, _, body = raw(
        "GET",
        f"{sandbox.base_url}/v2/payments/{payment.id}",
        headers={"Authorization": f"Bearer {KEY}"},
    )
    data = json.loads(body)
    assert "details" in data and data["details"] is None
    sandbox.checkout(payment.id, "paid")
    assert client.payments.get(payment.id).details["consumerName"]


@pytest.mark.parametrize(
    "method, cancelable", [("ideal", False), ("creditcard", False), ("banktransfer", True)]
)
def test_an_open_payment_is_cancelable_only_when_its_method_allows(client, method, cancelable):
    payment = client.payments.create(payment_data(method=method))
    assert payment.is_cancelable is cancelable
    if cancelable:
        client.payments.delete(payment.id)
        assert client.payments.get(payment.id).status == "canceled"
    else:
        with pytest.raises(UnprocessableEntityError):
            client.payments.delete(payment.id)
