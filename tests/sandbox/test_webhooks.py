"""Webhook calls: when they are sent, what they carry, retries, and the delivery log."""

from __future__ import annotations

import pytest

from .helpers import amount, payment_data, raw


def test_paid_payment_calls_webhook_with_form_id(client, sandbox, receiver):
    payment = client.payments.create(payment_data(webhookUrl=receiver.url))
    client.payments.update(payment.id, {"description": "No webhook for updates"})
    assert sandbox.wait_for_webhooks(5)
    assert receiver.calls == []
    sandbox.checkout(payment.id, "paid")
    assert sandbox.wait_for_webhooks(5)
    assert receiver.ids() == [payment.id]
    call = receiver.calls[0]
    assert call["method"] == "POST"
    assert call["path"] == "/mollie/webhook/"
    assert call["type"] == "application/x-www-form-urlencoded"
    assert call["body"] == f"id={payment.id}"
    [delivery] = sandbox.deliveries
    assert delivery["status"] == 200
    assert delivery["attempt"] == 1
    assert delivery["ok"]
    assert delivery["event"] == "payment.paid"
    assert delivery["url"] == receiver.url


@pytest.mark.parametrize("outcome", ["failed", "canceled", "expired"])
def test_other_final_statuses_call_webhook(client, sandbox, receiver, outcome):
    payment = client.payments.create(payment_data(webhookUrl=receiver.url))
    sandbox.checkout(payment.id, outcome)
    assert sandbox.wait_for_webhooks(5)
    assert receiver.ids() == [payment.id]


def test_api_cancel_refund_and_chargeback_call_webhook(client, sandbox, receiver):
    canceled = client.payments.create(payment_data(webhookUrl=receiver.url, method="banktransfer"))
    client.payments.delete(canceled.id)
    paid = client.payments.create(payment_data(webhookUrl=receiver.url))
    sandbox.checkout(paid.id, "paid")
    paid.refunds.create({"amount": amount("1.00")})
    sandbox.chargeback(paid.id, "2.00")
    assert sandbox.wait_for_webhooks(5)
    # Webhooks are delivered concurrently (as Mollie does), so their order is not fixed.
    assert sorted(receiver.ids()) == sorted([canceled.id, paid.id, paid.id, paid.id])
    events = sorted(d["event"] for d in sandbox.deliveries)
    assert events == sorted(
        ["payment.canceled", "payment.paid", "refund.refunded", "chargeback.received"]
    )


def test_no_webhook_without_url_or_for_pending(client, sandbox, receiver, mandated_customer):
    plain = client.payments.create(payment_data())
    sandbox.checkout(plain.id, "paid")
    sub = mandated_customer.subscriptions.create(
        {
            "amount": amount("3.00"),
            "interval": "1 month",
            "description": "Monthly",
            "webhookUrl": receiver.url,
        }
    )
    pending = sandbox.charge_subscription(sub.id, "pending")
    assert sandbox.wait_for_webhooks(5)
    assert receiver.calls == []
    assert sandbox.deliveries == []
    sandbox.set_payment_status(pending["id"], "paid")
    assert sandbox.wait_for_webhooks(5)
    assert receiver.ids() == [pending["id"]]


def test_failing_webhook_is_retried_until_2xx(client, sandbox, make_receiver):
    flaky = make_receiver(fail_first=2)
    payment = client.payments.create(payment_data(webhookUrl=flaky.url))
    sandbox.checkout(payment.id, "paid")
    assert sandbox.wait_for_webhooks(5)
    assert flaky.ids() == [payment.id] * 3
    attempts = [(d["attempt"], d["status"], d["ok"]) for d in sandbox.deliveries]
    assert attempts == [(1, 500, False), (2, 500, False), (3, 200, True)]


def test_unreachable_webhook_stops_after_schedule(client, sandbox, make_receiver):
    gone = make_receiver()
    url = gone.url
    gone.close()
    payment = client.payments.create(payment_data(webhookUrl=url))
    sandbox.checkout(payment.id, "paid")
    assert sandbox.wait_for_webhooks(10)
    deliveries = sandbox.deliveries
    assert [d["attempt"] for d in deliveries] == [1, 2, 3, 4]  # the test schedule has 4 delays
    assert all(d["status"] is None and d["error"] for d in deliveries)


def test_redirects_are_followed_like_mollie(client, sandbox, receiver):
    keep = client.payments.create(payment_data(webhookUrl=receiver.root + "/moved-307"))
    sandbox.checkout(keep.id, "paid")
    assert sandbox.wait_for_webhooks(5)
    drop = client.payments.create(payment_data(webhookUrl=receiver.root + "/moved-302"))
    sandbox.checkout(drop.id, "paid")
    assert sandbox.wait_for_webhooks(5)
    first, second = receiver.calls
    assert (first["method"], first["form"]) == ("POST", {"id": keep.id})
    assert (second["method"], second["body"]) == ("GET", "")  # 302 turns POST into GET


def test_subscription_charges_use_subscription_webhook(client, sandbox, receiver, card_customer):
    sub = card_customer.subscriptions.create(
        {
            "amount": amount("3.00"),
            "interval": "1 month",
            "description": "Monthly",
            "webhookUrl": receiver.url,
        }
    )
    charged = sandbox.advance_clock(months=1)["charged"]
    assert sandbox.wait_for_webhooks(5)
    assert sorted(receiver.ids()) == sorted(charged)
    assert len(charged) == 2
    for pid in receiver.ids():
        assert client.payments.get(pid).subscription_id == sub.id


def test_overview_lists_deliveries_and_webhooks_endpoint(client, sandbox, make_receiver):
    flaky = make_receiver(fail_first=1, status=503)
    payment = client.payments.create(payment_data(webhookUrl=flaky.url))
    sandbox.checkout(payment.id, "paid")
    assert sandbox.wait_for_webhooks(5)
    status, _, html = raw("GET", sandbox.base_url + "/")
    assert status == 200
    assert "<td>503</td>" in html
    assert "<td>200</td>" in html
    import json

    status, _, body = raw("GET", sandbox.base_url + "/_sandbox/webhooks")
    data = json.loads(body)
    assert status == 200
    assert data["pending"] == 0
    assert [d["status"] for d in data["deliveries"]] == [503, 200]
