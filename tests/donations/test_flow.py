"""The donation flows end to end against the sandbox: one-off, monthly, and what can go wrong."""

import datetime
import threading

import pytest
from django.core import mail
from django.db import OperationalError, connection, transaction
from django.db.models.sql.query import Query
from django.utils import timezone

from core.actors import Actor
from donations import gateway, services
from donations.models import Donation, Payment, Subscription
from donations.schedule import add_months
from donations.services import sync
from supporters.models import Supporter

from .conftest import (
    charge_settled,
    charges_settled,
    donate_url,
    pay,
    return_path,
    start,
    subjects,
    webhook,
)

# Real commits, so emails queued with on_commit are sent as in production.
pytestmark = pytest.mark.django_db

SYSTEM = Actor.system()  # the services record who acts; here, nobody in particular


def test_one_off_paid_shows_success_and_thanks_once(client, mollie):
    donation, mollie_id = start(client)
    assert donation.amount == 25 and donation.frequency == "oneoff"
    response = pay(client, mollie, donation, mollie_id, "paid")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Thank you!" in html and "login code" in html
    payment = Payment.objects.get(mollie_id=mollie_id)
    assert payment.status == "paid" and payment.paid_at is not None
    assert subjects() == ["Thank you for your gift"]
    assert mail.outbox[0].to == ["ann@example.org"]
    # The webhook and a second visit change nothing and send nothing more.
    assert webhook(client, mollie_id).status_code == 200
    client.get(return_path(donation))
    assert subjects() == ["Thank you for your gift"]


@pytest.mark.parametrize(
    ("outcome", "text"),
    [
        ("failed", "The payment failed."),
        ("canceled", "The payment was canceled."),
        ("expired", "has expired"),
    ],
)
def test_unsuccessful_payment_shows_failure_with_try_again(client, mollie, outcome, text):
    donation, mollie_id = start(client, frequency="monthly", amount="other", other_amount="7,50")
    response = pay(client, mollie, donation, mollie_id, outcome)
    html = response.content.decode()
    assert "did not go through" in html and text in html
    assert Payment.objects.get(mollie_id=mollie_id).status == outcome
    assert not Subscription.objects.exists()
    assert mail.outbox == []
    retry = client.get(response.context["retry_url"])
    assert retry.context["form"].initial["frequency"] == "monthly"
    assert retry.context["form"].initial["other_amount"] == "7,50"
    html = retry.content.decode()
    assert 'value="7,50"' in html
    assert 'value="Ann Example"' in html and 'value="ann@example.org"' in html


def test_retry_form_is_prefilled_with_everything(client, mollie):
    donation, mollie_id = start(client, frequency="oneoff", amount="50", name="Bo Tester")
    pay(client, mollie, donation, mollie_id, "failed")
    response = client.get(donate_url() + f"?retry={donation.public_token}")
    form = response.context["form"]
    assert form.initial == {
        "frequency": "oneoff",
        "amount": "50",
        "other_amount": "",
        "name": "Bo Tester",
        "email": "ann@example.org",
    }
    assert "private" in response["Cache-Control"]


def test_open_then_paid_shows_processing_then_success(client, mollie):
    donation, mollie_id = start(client)
    response = pay(client, mollie, donation, mollie_id, "open")
    html = response.content.decode()
    assert "being processed" in html
    assert response["Refresh"] == "5; url=?check=1"
    assert 'http-equiv="refresh"' not in html
    stopped = client.get(return_path(donation) + "?check=24")
    assert "Refresh" not in stopped and "still waiting" in stopped.content.decode()
    mollie.set_payment_status(mollie_id, "pending")
    assert "being processed" in client.get(return_path(donation)).content.decode()
    mollie.set_payment_status(mollie_id, "paid")
    assert webhook(client, mollie_id).status_code == 200
    assert Payment.objects.get(mollie_id=mollie_id).status == "paid"
    assert "Thank you!" in client.get(return_path(donation)).content.decode()
    assert subjects() == ["Thank you for your gift"]


def test_return_page_works_in_a_browser_without_the_session(client, mollie, django_user_model):
    from django.test import Client

    donation, mollie_id = start(client)
    mollie.checkout(mollie_id, "paid")
    other_browser = Client()
    response = other_browser.get(return_path(donation))
    assert response.status_code == 200
    assert "Thank you!" in response.content.decode()


def test_monthly_first_paid_creates_exactly_one_subscription_a_month_later(client, mollie):
    donation, mollie_id = start(client, frequency="monthly", amount="10")
    pay(client, mollie, donation, mollie_id, "paid")
    for _ in range(3):
        webhook(client, mollie_id)
        client.get(return_path(donation))
    subscription = Subscription.objects.get()
    first = Payment.objects.get(mollie_id=mollie_id)
    assert first.sequence_type == "first"
    expected_start = timezone.localdate(first.paid_at).replace(day=1) + datetime.timedelta(days=32)
    assert subscription.start_date.month == expected_start.month
    assert subscription.start_date.day == min(
        timezone.localdate(first.paid_at).day, subscription.start_date.day
    )
    assert subscription.start_date > timezone.localdate(first.paid_at)
    assert subscription.amount == 10 and subscription.status == "active"
    assert subscription.customer_id == donation.mollie_customer_id
    assert subscription.customer_id.startswith("cst_")
    # Pinned to the mandate its own first payment left (not any mandate of the customer).
    assert subscription.mandate_id == first.mollie_data["mandateId"]
    at_mollie = mollie.store.subscriptions
    assert len(at_mollie) == 1
    only = next(iter(at_mollie.values()))
    assert only["startDate"] == subscription.start_date.isoformat()
    assert only["mandateId"] == subscription.mandate_id
    assert subjects() == ["Welcome as a regular supporter"]


def test_start_date_is_one_calendar_month_after_the_first_payment():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 12, 15), 1) == datetime.date(2027, 1, 15)
    assert add_months(datetime.date(2028, 1, 30), 1) == datetime.date(2028, 2, 29)


def test_monthly_first_failed_creates_nothing(client, mollie):
    donation, mollie_id = start(client, frequency="monthly")
    pay(client, mollie, donation, mollie_id, "failed")
    webhook(client, mollie_id)
    assert not Subscription.objects.exists()
    assert mollie.store.subscriptions == {}
    assert mail.outbox == []


@pytest.fixture
def monthly(client, mollie):
    donation, mollie_id = start(client, frequency="monthly", amount="10")
    pay(client, mollie, donation, mollie_id, "paid")
    mail.outbox.clear()
    return Subscription.objects.get(donation=donation)


def test_recurring_charges_become_rows_with_the_right_emails(client, mollie, monthly):
    charged = []
    for outcome in ("paid", "failed", "paid"):
        payment = charge_settled(mollie, monthly.mollie_id, outcome)
        charged.append(payment["id"])
        assert webhook(client, payment["id"]).status_code == 200
        webhook(client, payment["id"])  # Mollie may call twice; nothing doubles
    rows = Payment.objects.filter(subscription=monthly, sequence_type="recurring")
    assert sorted(rows.values_list("mollie_id", flat=True)) == sorted(charged)
    assert [p.status for p in rows.order_by("created_at", "pk")] == ["paid", "failed", "paid"]
    assert all(p.supporter_id == monthly.supporter_id for p in rows)
    assert subjects() == ["Your regular gift could not be collected"]


def test_amount_change_applies_to_the_next_charge_and_is_confirmed(client, mollie, monthly):
    from decimal import Decimal

    services.subscription_update_amount(subscription=monthly, amount=Decimal("15.00"), actor=SYSTEM)
    monthly.refresh_from_db()
    assert monthly.amount == Decimal("15.00")
    assert mollie.store.subscriptions[monthly.mollie_id]["amount"]["value"] == "15.00"
    payment = mollie.charge_subscription(monthly.mollie_id, "paid")
    webhook(client, payment["id"])
    assert Payment.objects.get(mollie_id=payment["id"]).amount == Decimal("15.00")
    assert subjects() == ["Your regular gift has changed"]


def test_cancel_stops_the_gift_at_mollie_and_is_confirmed_once(client, mollie, monthly):
    from mollie_sandbox import ControlError

    services.subscription_cancel(subscription=monthly, actor=SYSTEM)
    services.subscription_cancel(subscription=monthly, actor=SYSTEM)
    monthly.refresh_from_db()
    assert monthly.status == "canceled" and monthly.canceled_at is not None
    assert mollie.store.subscriptions[monthly.mollie_id]["status"] == "canceled"
    with pytest.raises(ControlError):
        mollie.charge_subscription(monthly.mollie_id, "paid")
    assert subjects() == ["Your regular gift has stopped"]


def test_refund_and_chargeback_are_recorded_and_status_stays_paid(client, mollie):
    from decimal import Decimal

    donation, mollie_id = start(client, amount="50")
    pay(client, mollie, donation, mollie_id, "paid")
    payment = Payment.objects.get(mollie_id=mollie_id)
    payment = services.payment_refund(payment=payment, amount=Decimal("10.00"), actor=SYSTEM)
    assert payment.amount_refunded == Decimal("10.00") and payment.status == "paid"
    mollie.chargeback(mollie_id, "5.00")
    webhook(client, mollie_id)
    payment.refresh_from_db()
    assert payment.amount_charged_back == Decimal("5.00")
    assert payment.status == "paid"
    assert payment.net_amount == Decimal("35.00")
    with pytest.raises(services.RefundNotPossible):  # a rule, not Mollie, says no
        services.payment_refund(payment=payment, amount=Decimal("40.00"), actor=SYSTEM)


def test_supporter_is_found_by_email_in_any_case_and_never_changed(client, mollie):
    start(client, email="Ann@Example.org", name="Ann")
    start(client, email="ann@example.ORG ", name="Someone Else")
    supporter = Supporter.objects.get()
    assert supporter.email == "ann@example.org" and supporter.name == "Ann"
    assert Donation.objects.filter(supporter=supporter).count() == 2
    assert list(Donation.objects.order_by("pk").values_list("created_supporter", flat=True)) == [
        True,
        False,
    ]


def test_return_page_query_count(client, mollie, django_assert_num_queries):
    donation, mollie_id = start(client)
    pay(client, mollie, donation, mollie_id, "paid")
    with django_assert_num_queries(2):  # the donation with its supporter, its latest payment
        assert client.get(return_path(donation)).status_code == 200


def _charge_when_due(mollie, monthly, outcome: str) -> str:
    """Move the sandbox's clock to the due date: Mollie charges the subscription that day."""
    charged = charges_settled(mollie, to=monthly.next_payment_date, outcome=outcome)
    assert len(charged) == 1
    return charged[0]


def test_a_monthly_charge_is_stored_with_one_insert(
    client, mollie, monthly, django_assert_num_queries
):
    charge = _charge_when_due(mollie, monthly, "paid")
    # BEGIN, the subscription, one INSERT with Mollie's status already applied, the next charge
    # date, COMMIT: no lookup first (a charge is new when its webhook comes), and no statement
    # for the lock timeout (the connection has it). Thousands arrive on the first of the month.
    with django_assert_num_queries(5) as queries:
        assert webhook(client, charge).status_code == 200
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert (statements.count("INSERT"), statements.count("UPDATE")) == (1, 1), statements
    stored = Payment.objects.get(mollie_id=charge)
    assert (stored.status, stored.subscription_id) == ("paid", monthly.pk)
    due = monthly.next_payment_date
    monthly.refresh_from_db()
    assert monthly.next_payment_date == add_months(due, 1)


def test_a_monthly_charge_compiles_only_its_insert(client, mollie, monthly, monkeypatch):
    """The gift's lookup and its date move are built once per process (core.db): on the first
    of the month the ORM's compile of those two would cost more than the database does."""
    assert webhook(client, _charge_when_due(mollie, monthly, "paid")).status_code == 200
    monthly.refresh_from_db()
    compiled = []
    real = Query.get_compiler

    def get_compiler(query, *args, **kwargs):  # every ORM statement is compiled through here
        compiled.append((type(query).__name__, query.model))
        return real(query, *args, **kwargs)

    monkeypatch.setattr(Query, "get_compiler", get_compiler)
    charge = _charge_when_due(mollie, monthly, "paid")
    compiled.clear()
    assert webhook(client, charge).status_code == 200
    assert [kind for kind, model in compiled if model is Subscription] == []
    assert ("InsertQuery", Payment) in compiled
    due = monthly.next_payment_date
    monthly.refresh_from_db()
    assert monthly.next_payment_date == add_months(due, 1)


@pytest.mark.django_db(transaction=True)  # the other call runs in a thread
def test_a_charge_adopted_by_a_concurrent_call_is_applied_once(mollie, monthly, on_postgres):
    """Two webhooks for a new charge: ours misses the row, and the other inserts it first."""
    charge = _charge_when_due(mollie, monthly, "failed")
    data = gateway.payment_get(charge)
    real_adopt = sync._payment_adopt
    raced = []

    def other_call_adopts_first(data: dict):
        raced.append(data.id)
        sync._payment_adopt = real_adopt

        def other() -> None:
            try:
                services.payment_sync(mollie_id=data.id, data=data)
            finally:
                connection.close()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)
        return real_adopt(data)  # our INSERT now meets the other call's committed row

    sync._payment_adopt = other_call_adopts_first
    try:
        result = services.payment_sync(mollie_id=charge, data=data)
    finally:
        sync._payment_adopt = real_adopt
    assert raced == [charge]
    assert (result.payment.status, result.adopted) == ("failed", False)
    assert Payment.objects.filter(mollie_id=charge).count() == 1
    assert subjects() == ["Your regular gift could not be collected"]
    due = monthly.next_payment_date
    monthly.refresh_from_db()
    assert monthly.next_payment_date == add_months(due, 1)


def test_no_row_is_locked_while_mollie_creates_the_subscription(client, mollie, monkeypatch):
    """A slow Mollie must not hold our rows: while the subscription is being created at Mollie,
    another connection can lock the donation and its first payment at once (NOWAIT)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks; SQLite locks the whole file)")
    donation, mollie_id = start(client, frequency="monthly", amount="10")
    real_create = gateway.subscription_create
    seen = []

    def create_and_look(**kwargs):
        def other() -> None:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT 1 FROM donations_donation WHERE id = %s FOR UPDATE NOWAIT",
                        [donation.pk],
                    )
                    cursor.execute(
                        "SELECT 1 FROM donations_payment WHERE mollie_id = %s FOR UPDATE NOWAIT",
                        [mollie_id],
                    )
                seen.append("free")
            except OperationalError as error:
                seen.append(f"locked: {error}")
            finally:
                connection.close()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)
        return real_create(**kwargs)

    monkeypatch.setattr(gateway, "subscription_create", create_and_look)
    pay(client, mollie, donation, mollie_id)
    assert seen == ["free"]
    assert Subscription.objects.filter(donation=donation).count() == 1
