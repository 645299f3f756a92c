"""Subscriptions: create/get/list/update/cancel, the rules, and charging through the clock."""

from __future__ import annotations

import datetime as dt

import pytest
from mollie.api.error import NotFoundError, UnprocessableEntityError

from mollie_sandbox.errors import ControlError
from mollie_sandbox.validation import add_months

from .helpers import amount, control, unknown_id


def sub_data(**extra) -> dict:
    data = {
        "amount": amount("10.00"),
        "interval": "1 month",
        "description": "Monthly gift #1",
        "metadata": {"pledge": 1},
        "webhookUrl": "http://127.0.0.1:9/hook/",
    }
    data.update(extra)
    return data


def test_create_get_list(client, sandbox, mandated_customer):
    today = sandbox.today()
    sub = mandated_customer.subscriptions.create(sub_data(times=3))
    assert sub.id.startswith("sub_")
    assert sub.is_active()
    assert sub.mode == "test"
    assert sub.customer_id == mandated_customer.id  # parsed from _links.customer
    assert sub.start_date == today.isoformat()
    assert sub.next_payment_date == today.isoformat()
    assert sub.times == 3
    assert sub.times_remaining == 3
    assert sub["_links"]["customer"]["href"].endswith(f"/v2/customers/{mandated_customer.id}")
    assert sub["_links"]["profile"]["href"].startswith(sandbox.base_url)
    assert sub.get_profile()["resource"] == "profile"
    fetched = mandated_customer.subscriptions.get(sub.id)
    assert fetched.description == "Monthly gift #1"
    assert fetched.metadata == {"pledge": 1}
    assert fetched.get_customer().id == mandated_customer.id
    ongoing = mandated_customer.subscriptions.create(sub_data(description="Other"))
    assert ongoing.get("times") is None
    assert ongoing["timesRemaining"] is None
    assert [s.id for s in mandated_customer.subscriptions.list()] == [ongoing.id, sub.id]
    assert len(client.subscriptions.list()) == 2
    with pytest.raises(NotFoundError):
        mandated_customer.subscriptions.get("sub_unknown12345")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"interval": "monthly"}, "interval"),
        ({"interval": "1 year"}, "interval"),
        ({"interval": "13 months"}, "interval"),
        ({"interval": "53 weeks"}, "interval"),
        ({"interval": "366 days"}, "interval"),
        ({"interval": "0 days"}, "interval"),
        ({"amount": amount("5")}, "amount.value"),
        ({"amount": {"currency": "GBP", "value": "5.00"}}, "amount.currency"),
        ({"description": ""}, "description"),
        ({"startDate": "2026-02-30"}, "startDate"),
        ({"startDate": "next month"}, "startDate"),
        ({"times": 0}, "times"),
        ({"method": "ideal"}, "method"),
        ({"mandateId": "mdt_unknown12345"}, "mandateId"),
        ({"webhookUrl": "nope"}, "webhookUrl"),
    ],
)
def test_create_rules(mandated_customer, changes, field):
    with pytest.raises(UnprocessableEntityError) as caught:
        mandated_customer.subscriptions.create(sub_data(**changes))
    assert caught.value.field == field


def test_valid_intervals(mandated_customer):
    for n, interval in enumerate(["1 day", "14 days", "2 weeks", "12 months", "365 days"]):
        sub = mandated_customer.subscriptions.create(
            sub_data(interval=interval, description=f"d{n}")
        )
        assert sub.interval == interval


def test_duplicate_description_and_no_mandate(client, mandated_customer):
    mandated_customer.subscriptions.create(sub_data())
    with pytest.raises(UnprocessableEntityError) as caught:
        mandated_customer.subscriptions.create(sub_data())
    assert caught.value.field == "description"
    bare = client.customers.create({"name": "No mandate"})
    with pytest.raises(UnprocessableEntityError):
        bare.subscriptions.create(sub_data())
    with pytest.raises(NotFoundError):
        client.customers.get(unknown_id("cst_")).subscriptions.list()


def test_description_reusable_after_cancel(mandated_customer):
    first = mandated_customer.subscriptions.create(sub_data())
    mandated_customer.subscriptions.delete(first.id)
    again = mandated_customer.subscriptions.create(sub_data())
    assert again.is_active()


def test_cancel(mandated_customer):
    sub = mandated_customer.subscriptions.create(sub_data())
    canceled = mandated_customer.subscriptions.delete(sub.id)
    assert canceled.is_canceled()
    assert canceled.canceled_at
    assert canceled.next_payment_date is None
    assert "nextPaymentDate" not in canceled
    with pytest.raises(UnprocessableEntityError):
        mandated_customer.subscriptions.delete(sub.id)
    with pytest.raises(UnprocessableEntityError):
        mandated_customer.subscriptions.update(sub.id, {"amount": amount("1.00")})
    with pytest.raises(NotFoundError):
        mandated_customer.subscriptions.delete("sub_unknown12345")


def test_update_rules(sandbox, mandated_customer):
    sub = mandated_customer.subscriptions.create(sub_data(times=4))
    later = (sandbox.today() + dt.timedelta(days=10)).isoformat()
    updated = mandated_customer.subscriptions.update(
        sub.id,
        {"amount": amount("12.50"), "description": "Renamed", "startDate": later, "times": 5},
    )
    assert updated.amount["value"] == "12.50"
    assert updated.description == "Renamed"
    assert updated.start_date == later
    assert updated.next_payment_date == later
    assert updated.times_remaining == 5
    with pytest.raises(UnprocessableEntityError) as caught:
        mandated_customer.subscriptions.update(sub.id, {"startDate": sandbox.today().isoformat()})
    assert caught.value.field == "startDate"
    with pytest.raises(UnprocessableEntityError) as caught:
        mandated_customer.subscriptions.update(sub.id, {"interval": "2 years"})
    assert caught.value.field == "interval"
    sandbox.charge_subscription(sub.id)
    sandbox.charge_subscription(sub.id)
    with pytest.raises(UnprocessableEntityError) as caught:
        mandated_customer.subscriptions.update(sub.id, {"times": 1})
    assert caught.value.field == "times"
    far = (sandbox.today() + dt.timedelta(days=90)).isoformat()
    with pytest.raises(UnprocessableEntityError) as caught:
        mandated_customer.subscriptions.update(sub.id, {"startDate": far})
    assert caught.value.field == "startDate"
    mandate = mandated_customer.mandates.list()[0]
    pinned = mandated_customer.subscriptions.update(sub.id, {"mandateId": mandate.id})
    assert pinned.mandate_id == mandate.id
    assert pinned.method is None
    assert pinned.get_mandate().id == mandate.id


def test_charged_several_times_with_amount_change(client, sandbox, card_customer):
    start = sandbox.today()
    sub = card_customer.subscriptions.create(sub_data(times=4))
    first = sandbox.charge_subscription(sub.id)
    assert first["status"] == "paid"
    assert first["amount"]["value"] == "10.00"
    after_one = card_customer.subscriptions.get(sub.id)
    assert after_one.next_payment_date == add_months(start, 1).isoformat()
    assert after_one.times_remaining == 3
    card_customer.subscriptions.update(sub.id, {"amount": amount("15.00")})
    result = sandbox.advance_clock(months=1)
    assert len(result["charged"]) == 1
    second = client.payments.get(result["charged"][0])
    assert second.amount["value"] == "15.00"
    assert second.subscription_id == sub.id
    assert second.customer_id == card_customer.id
    assert second.sequence_type == "recurring"
    assert second.mandate_id.startswith("mdt_")
    assert second.description == "Monthly gift #1"
    assert second.metadata == {"pledge": 1}
    assert second.webhook_url == "http://127.0.0.1:9/hook/"
    assert second.get_subscription().id == sub.id
    # The last two charges fall on start + 2 and start + 3 months (counted from the start date,
    # not from the day reached above, which a short month may have pulled back).
    sandbox.advance_clock(to=add_months(start, 3).isoformat())
    done = card_customer.subscriptions.get(sub.id)
    assert done.is_completed()
    assert done.times_remaining == 0
    assert "nextPaymentDate" not in done
    payments = done.payments.list()
    assert len(payments) == 4
    assert [p.amount["value"] for p in payments] == ["15.00", "15.00", "15.00", "10.00"]
    sandbox.advance_clock(months=3)
    assert len(done.payments.list()) == 4  # completed subscriptions are never charged


def test_canceled_subscription_is_never_charged(sandbox, mandated_customer):
    sub = mandated_customer.subscriptions.create(sub_data())
    mandated_customer.subscriptions.delete(sub.id)
    assert sandbox.advance_clock(months=3)["charged"] == []
    with pytest.raises(ControlError):
        sandbox.charge_subscription(sub.id)
    status, body = control(sandbox, f"/_sandbox/subscriptions/{sub.id}/charge")
    assert status == 409
    assert "canceled" in body["error"]


def test_future_start_date_waits_for_clock(sandbox, mandated_customer):
    start = sandbox.today() + dt.timedelta(days=30)
    sub = mandated_customer.subscriptions.create(sub_data(startDate=start.isoformat()))
    assert sandbox.advance_clock(days=29)["charged"] == []
    assert len(sandbox.advance_clock(days=1)["charged"]) == 1
    assert (
        mandated_customer.subscriptions.get(sub.id).next_payment_date
        == add_months(start, 1).isoformat()
    )


def test_month_end_dates_do_not_drift(sandbox, mandated_customer):
    sandbox.advance_clock(to=f"{sandbox.today().year + 1}-01-01")
    start = dt.date(sandbox.today().year, 1, 31)
    sub = mandated_customer.subscriptions.create(sub_data(startDate=start.isoformat()))
    sandbox.advance_clock(to=start.isoformat())
    sandbox.advance_clock(to=add_months(start, 1).isoformat())
    fetched = mandated_customer.subscriptions.get(sub.id)
    assert fetched.next_payment_date == dt.date(start.year, 3, 31).isoformat()


def test_interval_change_counts_from_last_charge(sandbox, mandated_customer):
    today = sandbox.today()
    sub = mandated_customer.subscriptions.create(sub_data())
    sandbox.charge_subscription(sub.id)
    updated = mandated_customer.subscriptions.update(sub.id, {"interval": "2 weeks"})
    assert updated.next_payment_date == (today + dt.timedelta(weeks=2)).isoformat()


def test_pending_charge_then_paid(client, sandbox, mandated_customer):
    sub = mandated_customer.subscriptions.create(sub_data())
    payment = sandbox.charge_subscription(sub.id, "pending")
    assert payment["status"] == "pending"
    assert payment["_links"]["changePaymentState"]
    status, body = control(sandbox, f"/_sandbox/payments/{payment['id']}/status", status="paid")
    assert status == 200
    assert body["payment"]["status"] == "paid"
    assert client.payments.get(payment["id"]).is_paid()


def test_failed_charge_still_counts(client, sandbox, card_customer):
    sub = card_customer.subscriptions.create(sub_data(times=2))
    payment = sandbox.charge_subscription(sub.id, "failed")
    assert client.payments.get(payment["id"]).is_failed()
    assert card_customer.subscriptions.get(sub.id).times_remaining == 1


def test_test_mode_cancels_after_ten_charges(sandbox, mandated_customer):
    sub = mandated_customer.subscriptions.create(sub_data(interval="1 day"))
    sandbox.advance_clock(days=20)
    fetched = mandated_customer.subscriptions.get(sub.id)
    assert len(fetched.payments.list()) == 10
    assert fetched.is_canceled()
    assert fetched.canceled_at


def test_charge_and_advance_over_http(client, sandbox, card_customer):
    sub = card_customer.subscriptions.create(sub_data())
    status, body = control(sandbox, f"/_sandbox/subscriptions/{sub.id}/charge", outcome="paid")
    assert status == 200
    assert body["payment"]["subscriptionId"] == sub.id
    status, body = control(sandbox, "/_sandbox/clock/advance", days="31", outcome="failed")
    assert status == 200
    assert len(body["charged"]) == 1
    assert client.payments.get(body["charged"][0]).is_failed()
    target = (sandbox.today() + dt.timedelta(days=40)).isoformat()
    status, body = control(sandbox, "/_sandbox/clock/advance", to=target)
    assert status == 200
    assert body["today"] == target
    status, body = control(sandbox, "/_sandbox/clock/advance", days="-1")
    assert status == 400
    status, body = control(sandbox, "/_sandbox/clock/advance", days="many")
    assert status == 400
    status, body = control(sandbox, "/_sandbox/subscriptions/sub_unknown12345/charge")
    assert status == 404
