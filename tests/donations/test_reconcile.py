"""`manage.py sync_payments`: a lost webhook never loses a gift."""

import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from donations.models import Payment, Subscription

from .conftest import start

pytestmark = pytest.mark.django_db(transaction=True)


def sync(*args) -> str:
    out = io.StringIO()
    call_command("sync_payments", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_unfinished_payments_are_synced_and_reported(client, mollie):
    _, paid_id = start(client)
    _, open_id = start(client)
    _, monthly_id = start(client, frequency="monthly")
    mollie.checkout(paid_id, "paid")
    mollie.checkout(monthly_id, "paid")
    assert "Checked 0 payment(s)" in sync()  # younger than five minutes: left for webhooks
    report = sync("--older-than", "0")
    assert "Checked 3 payment(s)" in report and "2 changed" in report
    assert "1 monthly gift(s) started" in report
    assert Payment.objects.get(mollie_id=paid_id).status == "paid"
    assert Payment.objects.get(mollie_id=open_id).status == "open"
    assert Subscription.objects.count() == 1
    assert sorted(m.subject for m in mail.outbox) == [
        "Thank you for your gift",
        "Welcome as a monthly supporter",
    ]
    assert "0 changed" in sync("--older-than", "0")


def test_lost_subscription_charges_are_adopted(client, mollie):
    _, first_id = start(client, frequency="monthly")
    mollie.checkout(first_id, "paid")
    sync("--older-than", "0")
    subscription = Subscription.objects.get()
    charged = [
        mollie.charge_subscription(subscription.mollie_id, outcome)["id"]
        for outcome in ("paid", "failed")
    ]
    report = sync("--older-than", "0")
    assert "2 new" in report
    rows = Payment.objects.filter(subscription=subscription, sequence_type="recurring")
    assert sorted(rows.values_list("mollie_id", flat=True)) == sorted(charged)
    assert "0 new" in sync("--older-than", "0")


def test_a_subscription_changed_at_mollie_is_updated(client, mollie):
    _, first_id = start(client, frequency="monthly")
    mollie.checkout(first_id, "paid")
    sync("--older-than", "0")
    subscription = Subscription.objects.get()
    mollie.store.subscriptions[subscription.mollie_id]["status"] = "canceled"
    assert "1 monthly gift(s) updated" in sync("--older-than", "0")
    subscription.refresh_from_db()
    assert subscription.status == "canceled"


def test_mollie_down_is_reported_and_the_command_fails(client, mollie, settings, closed_url):
    """Every payment is still tried; the exit status then tells the timer something was left."""
    _, mollie_id = start(client)
    settings.MOLLIE_API_ENDPOINT = closed_url
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("sync_payments", "--older-than", "0", stdout=io.StringIO(), stderr=err)
    assert mollie_id in err.getvalue()
