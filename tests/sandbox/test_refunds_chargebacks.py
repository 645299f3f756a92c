"""Refunds and chargebacks, and how they change the payment's amounts."""

from __future__ import annotations

import pytest
from mollie.api.error import NotFoundError, UnprocessableEntityError

from mollie_sandbox.errors import ControlError

from .helpers import amount, control, payment_data


@pytest.fixture
def paid(client, sandbox):
    payment = client.payments.create(payment_data(amount=amount("20.00")))
    sandbox.checkout(payment.id, "paid")
    return client.payments.get(payment.id)


def test_refunds_change_amounts_and_keep_status_paid(client, paid):
    assert paid.can_be_refunded()
    assert not paid.has_refunds()
    refund = paid.refunds.create({"amount": amount("5.00"), "description": "Part"})
    assert refund.id.startswith("re_")
    assert refund.status == "pending"
    assert refund.payment_id == paid.id
    assert refund.amount == amount("5.00")
    after = client.payments.get(paid.id)
    assert after.status == "paid"
    assert after.is_paid()
    assert after.amount_refunded == amount("5.00")
    assert after.amount_remaining == amount("15.00")
    assert after.has_refunds()
    second = after.refunds.create({"amount": amount("15.00")})
    final = client.payments.get(paid.id)
    assert final.amount_refunded == amount("20.00")
    assert final.amount_remaining == amount("0.00")
    assert [r.id for r in final.refunds.list()] == [second.id, refund.id]
    fetched = final.refunds.get(refund.id)
    assert fetched.description == "Part"
    assert fetched.status == "refunded"
    assert [r.id for r in client.refunds.list()] == [second.id, refund.id]


def test_refund_rules(client, sandbox, paid):
    with pytest.raises(UnprocessableEntityError) as caught:
        paid.refunds.create({"amount": amount("20.01")})
    assert caught.value.field == "amount"
    with pytest.raises(UnprocessableEntityError) as caught:
        paid.refunds.create({"amount": amount("1")})
    assert caught.value.field == "amount.value"
    with pytest.raises(UnprocessableEntityError) as caught:
        paid.refunds.create({})
    assert caught.value.field == "amount"
    open_payment = client.payments.create(payment_data())
    with pytest.raises(UnprocessableEntityError):
        open_payment.refunds.create({"amount": amount("1.00")})
    with pytest.raises(NotFoundError):
        paid.refunds.get("re_unknown12345")
    with pytest.raises(NotFoundError):
        client.payments.get("tr_unknown12345")


def test_settled_refund_cannot_be_canceled(paid):
    refund = paid.refunds.create({"amount": amount("1.00")})
    with pytest.raises(UnprocessableEntityError):
        paid.refunds.delete(refund.id)


def test_chargebacks_change_amounts(client, sandbox, paid):
    assert not paid.has_chargebacks()
    assert "amountChargedBack" not in paid
    chargeback = sandbox.chargeback(paid.id, "8.00")
    assert chargeback["id"].startswith("chb_")
    assert chargeback["amount"] == amount("8.00")
    after = client.payments.get(paid.id)
    assert after.status == "paid"
    assert after.amount_chargedback == amount("8.00")
    assert after.amount_remaining == amount("12.00")
    assert after.has_chargebacks()
    listed = after.chargebacks.list()
    assert [c.id for c in listed] == [chargeback["id"]]
    assert after.chargebacks.get(chargeback["id"])["paymentId"] == paid.id
    status, body = control(sandbox, f"/_sandbox/payments/{paid.id}/chargeback")
    assert status == 200
    assert body["chargeback"]["amount"] == amount("12.00")
    assert client.payments.get(paid.id).amount_chargedback == amount("20.00")
    assert {c.id for c in client.chargebacks.list()} == {chargeback["id"], body["chargeback"]["id"]}
    with pytest.raises(UnprocessableEntityError):
        after.refunds.create({"amount": amount("0.01")})


def test_chargeback_rules(client, sandbox, paid):
    with pytest.raises(ControlError):
        sandbox.chargeback(paid.id, "20.01")
    status, _ = control(sandbox, f"/_sandbox/payments/{paid.id}/chargeback", amount="abc")
    assert status == 400
    open_payment = client.payments.create(payment_data())
    status, _ = control(sandbox, f"/_sandbox/payments/{open_payment.id}/chargeback")
    assert status == 409
    status, _ = control(sandbox, "/_sandbox/payments/tr_unknown12345/chargeback")
    assert status == 404
