"""Direct debits that settle days later, and mandates that stop working."""

import pytest

from mollie_sandbox import ControlError

from .helpers import amount


@pytest.fixture
def sub(mandated_customer):
    return mandated_customer.subscriptions.create(
        {"amount": amount("10.00"), "interval": "1 month", "description": "Monthly gift #1"}
    )


def test_a_pending_charge_fails_when_its_settle_day_passes(sandbox, client, sub):
    charge = sandbox.charge_subscription(sub.id, "pending", settle="failed", settle_days=3)
    assert charge["status"] == "pending"
    assert sandbox.advance_clock(days=2)["settled"] == []
    assert client.payments.get(charge["id"]).status == "pending"
    assert sandbox.advance_clock(days=1)["settled"] == [charge["id"]]
    assert client.payments.get(charge["id"]).status == "failed"


def test_charges_made_by_the_clock_can_settle_later_as_paid(sandbox, client, sub):
    first = sandbox.advance_clock(to=sub.next_payment_date, outcome="pending", settle="paid")
    [charge] = first["charged"]
    assert client.payments.get(charge).status == "pending"
    assert sandbox.advance_clock(days=3)["settled"] == [charge]
    assert client.payments.get(charge).status == "paid"


def test_settle_only_goes_with_pending(sandbox, client, sub):
    with pytest.raises(ControlError):
        sandbox.charge_subscription(sub.id, "paid", settle="failed")


def test_an_invalid_mandate_suspends_the_subscription_when_a_charge_falls_due(sandbox, client, sub):
    [mandate] = [m for m in sandbox.store.mandates.values() if m["status"] == "valid"]
    assert sandbox.invalidate_mandate(mandate["id"])["status"] == "invalid"
    assert sandbox.store.subscriptions[sub.id]["status"] == "active"
    assert sandbox.advance_clock(to=sub.next_payment_date)["charged"] == []
    assert sandbox.store.subscriptions[sub.id]["status"] == "suspended"
