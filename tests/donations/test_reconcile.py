"""`manage.py sync_payments`: a lost webhook never loses a gift."""

import io
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from donations import gateway
from donations.models import Payment, Subscription
from donations.services import payments_reconcile
from donations.services.reconcile import RECENT_CHARGES, SUBSCRIPTION_RECHECK

from .conftest import start

# Reconciliation syncs payments in threads (on PostgreSQL), each with its own connection.
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
        "Welcome as a regular supporter",
    ]
    assert "0 changed" in sync("--older-than", "0")


def monthly_gift(client, mollie) -> Subscription:
    _, first_id = start(client, frequency="monthly")
    mollie.checkout(first_id, "paid")
    sync("--older-than", "0")
    return Subscription.objects.get(donation__payments__mollie_id=first_id)


def counting(mollie, *patterns: str) -> Callable[[], list[int]]:
    """Count the sandbox's requests matching each pattern (fault rules that do nothing)."""
    mollie.set_faults([{"pattern": pattern} for pattern in patterns])
    return lambda: [rule["seen"]["requests"] for rule in mollie.faults.describe()["rules"]]


def test_lost_subscription_charges_are_adopted_from_the_list_of_recent_payments(client, mollie):
    subscription = monthly_gift(client, mollie)
    charged = [
        mollie.charge_subscription(subscription.mollie_id, outcome)["id"]
        for outcome in ("paid", "failed")
    ]
    calls = counting(mollie, "GET /v2/payments", "GET /v2/customers/*/subscriptions/*")
    report = sync("--older-than", "0")
    assert "2 new" in report
    rows = Payment.objects.filter(subscription=subscription, sequence_type="recurring")
    assert sorted(rows.values_list("mollie_id", flat=True)) == sorted(charged)
    # One page of Mollie's payment list found them; the gift itself was not asked for.
    assert calls() == [1, 0]
    assert "0 new" in sync("--older-than", "0")


def test_the_list_of_recent_payments_is_read_back_three_days_only(
    client, mollie, fixed_clock, monkeypatch
):
    monkeypatch.setattr(gateway, "LIST_PAGE", 2)
    subscription = monthly_gift(client, mollie)
    for _ in range(3):
        mollie.charge_subscription(subscription.mollie_id, "paid")
    fixed_clock.shift(RECENT_CHARGES + timedelta(minutes=1))
    recent = [mollie.charge_subscription(subscription.mollie_id, "paid")["id"] for _ in range(3)]
    Subscription.objects.update(synced_at=timezone.now())  # compared with Mollie just now
    calls = counting(mollie, "GET /v2/payments", "GET /v2/customers/*/subscriptions/*")
    assert "3 new" in sync("--older-than", "0")
    # Newest first, two a page: the second page reaches the older charges and reading stops.
    assert calls() == [2, 0]
    stored = Payment.objects.filter(subscription=subscription, sequence_type="recurring")
    assert set(stored.values_list("mollie_id", flat=True)) == set(recent)
    # The older ones are left to the gift's daily check, which lists all its payments.
    Subscription.objects.update(synced_at=timezone.now() - SUBSCRIPTION_RECHECK)
    assert "3 new" in sync("--older-than", "0")


def test_a_subscription_changed_at_mollie_is_updated_at_its_daily_check(client, mollie):
    subscription = monthly_gift(client, mollie)
    mollie.store.subscriptions[subscription.mollie_id]["status"] = "canceled"
    calls = counting(mollie, "GET /v2/customers/*/subscriptions/*")
    # Compared with Mollie when it started: not asked again within the day.
    assert "0 monthly gift(s) updated" in sync("--older-than", "0") and calls() == [0]
    Subscription.objects.update(synced_at=timezone.now() - SUBSCRIPTION_RECHECK)
    before = timezone.now()
    assert "1 monthly gift(s) updated" in sync("--older-than", "0")
    subscription.refresh_from_db()
    assert subscription.status == "canceled" and subscription.synced_at >= before


def test_all_subscriptions_compares_every_running_gift_now(client, mollie):
    subscription = monthly_gift(client, mollie)
    mollie.store.subscriptions[subscription.mollie_id]["amount"]["value"] = "9.00"
    assert "1 monthly gift(s) updated" in sync("--older-than", "0", "--all-subscriptions")
    subscription.refresh_from_db()
    assert subscription.amount == Decimal("9.00")


def test_the_daily_checks_go_oldest_first_and_a_run_takes_a_limited_number(client, mollie):
    gifts = [monthly_gift(client, mollie) for _ in range(3)]
    now = timezone.now()
    for hours, gift in zip((30, 50, 40), gifts, strict=True):
        Subscription.objects.filter(pk=gift.pk).update(synced_at=now - timedelta(hours=hours))
    calls = counting(mollie, "GET /v2/customers/*/subscriptions/*/payments")  # one per check
    payments_reconcile(older_than_minutes=0, subscriptions_per_run=2)
    assert calls() == [2]
    checked = {g.pk for g in Subscription.objects.filter(synced_at__gte=now)}
    assert checked == {gifts[1].pk, gifts[2].pk}  # 50 and 40 hours ago; the 30 waits its turn


def test_mollie_down_is_reported_and_the_command_fails(client, mollie, settings, closed_url):
    """Every payment is still tried; the exit status then tells the timer something was left."""
    _, mollie_id = start(client)
    settings.MOLLIE_API_ENDPOINT = closed_url
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 error"):
        call_command("sync_payments", "--older-than", "0", stdout=io.StringIO(), stderr=err)
    assert mollie_id in err.getvalue() and "the list of recent payments" in err.getvalue()
