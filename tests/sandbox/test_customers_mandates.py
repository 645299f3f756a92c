"""Customers, customer payments and mandates."""

from __future__ import annotations

import datetime as dt

import pytest
from mollie.api.error import NotFoundError, UnprocessableEntityError

from mollie_sandbox.errors import ControlError

from .helpers import REDIRECT, amount, payment_data


def test_create_get_list_customers(client):
    created = client.customers.create(
        {"name": "Ada", "email": "ada@example.org", "locale": "en_US", "metadata": {"s": 1}}
    )
    assert created.id.startswith("cst_")
    assert created.mode == "test"
    fetched = client.customers.get(created.id)
    assert (fetched.name, fetched.email, fetched.locale) == ("Ada", "ada@example.org", "en_US")
    assert fetched.metadata == {"s": 1}
    other = client.customers.create({})
    assert other.name is None
    assert other.email is None
    listed = client.customers.list()
    assert [c.id for c in listed] == [other.id, created.id]


def test_customer_rules(client):
    with pytest.raises(UnprocessableEntityError) as caught:
        client.customers.create({"email": "not-an-address"})
    assert caught.value.field == "email"
    with pytest.raises(UnprocessableEntityError) as caught:
        client.customers.create({"locale": "nl"})
    assert caught.value.field == "locale"
    with pytest.raises(NotFoundError):
        client.customers.get("cst_unknown12345")


def test_update_and_delete_customer(client, mandated_customer):
    sub = mandated_customer.subscriptions.create(
        {"amount": amount("5.00"), "interval": "1 month", "description": "Monthly"}
    )
    updated = client.customers.update(mandated_customer.id, {"name": "Ada L."})
    assert updated.name == "Ada L."
    client.customers.delete(mandated_customer.id)
    with pytest.raises(NotFoundError):
        client.customers.get(mandated_customer.id)
    # Mollie: deleting a customer cancels its subscriptions too.
    assert client.subscriptions.list()[0]["id"] == sub.id
    assert client.subscriptions.list()[0]["status"] == "canceled"


def test_customer_payments_create_and_list(client):
    customer = client.customers.create({"name": "Bo"})
    first = customer.payments.create(
        {
            "amount": amount("5.00"),
            "description": "First",
            "sequenceType": "first",
            "redirectUrl": REDIRECT,
        }
    )
    assert first.customer_id == customer.id
    assert first.sequence_type == "first"
    assert first.checkout_url
    also = client.payments.create(payment_data(customerId=customer.id))
    client.payments.create(payment_data())  # someone else's
    listed = customer.payments.list()
    assert [p.id for p in listed] == [also.id, first.id]
    with pytest.raises(NotFoundError):
        client.customers.get("cst_unknown12345").payments.list()


def test_payment_for_unknown_customer_route_is_404(client):
    from mollie.api.objects.customer import Customer

    ghost = Customer({"id": "cst_unknown12345"}, client)
    with pytest.raises(NotFoundError):
        ghost.payments.create(payment_data(sequenceType="first"))


@pytest.mark.parametrize(
    ("method", "mandate_method"),
    [
        ("ideal", "directdebit"),
        ("creditcard", "creditcard"),
        ("paypal", "paypal"),
        ("bancontact", "directdebit"),
        ("banktransfer", "directdebit"),
    ],
)
def test_paid_first_payment_creates_valid_mandate(client, sandbox, method, mandate_method):
    customer = client.customers.create({"name": "Cy"})
    first = customer.payments.create(
        {
            "amount": amount("5.00"),
            "description": "First",
            "sequenceType": "first",
            "redirectUrl": REDIRECT,
        }
    )
    assert len(customer.mandates.list()) == 0
    sandbox.checkout(first.id, "paid", method=method)
    mandates = customer.mandates.list()
    assert len(mandates) == 1
    mandate = mandates[0]
    assert mandate.is_valid()
    assert mandate.method == mandate_method
    assert mandate["customerId"] == customer.id
    assert mandate["signatureDate"]
    assert customer.mandates.get(mandate.id).id == mandate.id
    paid = client.payments.get(first.id)
    assert paid.mandate_id == mandate.id
    assert paid.get_mandate().id == mandate.id


@pytest.mark.parametrize("outcome", ["failed", "canceled", "expired"])
def test_unpaid_first_payment_creates_no_mandate(client, sandbox, outcome):
    customer = client.customers.create({"name": "Di"})
    first = customer.payments.create(
        {
            "amount": amount("5.00"),
            "description": "First",
            "sequenceType": "first",
            "redirectUrl": REDIRECT,
        }
    )
    sandbox.checkout(first.id, outcome)
    assert len(customer.mandates.list()) == 0


def test_mandate_not_found_and_revoke(client, mandated_customer):
    with pytest.raises(NotFoundError):
        mandated_customer.mandates.get("mdt_unknown12345")
    mandate = mandated_customer.mandates.list()[0]
    sub = mandated_customer.subscriptions.create(
        {"amount": amount("5.00"), "interval": "1 month", "description": "Monthly"}
    )
    assert mandated_customer.mandates.delete(mandate.id) == {}
    assert mandated_customer.mandates.get(mandate.id).is_invalid()
    assert mandated_customer.subscriptions.get(sub.id).is_canceled()


def test_create_directdebit_mandate(client):
    customer = client.customers.create({"name": "Ed"})
    mandate = customer.mandates.create(
        {"method": "directdebit", "consumerName": "Ed", "consumerAccount": "NL55 INGB 0000 0000 00"}
    )
    assert mandate.is_valid()
    assert mandate.details["consumerAccount"] == "NL55INGB0000000000"
    with pytest.raises(UnprocessableEntityError) as caught:
        customer.mandates.create({"method": "directdebit", "consumerName": "Ed"})
    assert caught.value.field == "consumerAccount"


@pytest.mark.parametrize(
    ("account", "field"),
    [
        ("NL92INGB0000000000", "consumerAccount"),  # check digits
        ("NL55INGB000000000", "consumerAccount"),  # length for NL
        ("XX55INGB0000000000", "consumerAccount"),  # no such country
        ("US12345678901234", "consumerAccount"),  # outside the SEPA area
        ("", "consumerAccount"),
    ],
)
def test_a_mandate_needs_a_valid_iban(client, account, field):
    customer = client.customers.create({"name": "Ed"})
    with pytest.raises(UnprocessableEntityError) as caught:
        customer.mandates.create(
            {"method": "directdebit", "consumerName": "Ed", "consumerAccount": account}
        )
    assert caught.value.field == field
    assert list(customer.mandates.list()) == []


def test_a_mandate_made_by_api_keeps_what_it_was_given(client, sandbox):
    customer = client.customers.create({"name": "Ed"})
    today = sandbox.today()
    mandate = customer.mandates.create(
        {
            "method": "directdebit",
            "consumerName": "E. Example",
            "consumerAccount": "de89 3704 0044 0532 0130 00",
            "signatureDate": today.isoformat(),
            "mandateReference": "ORG-ABC123",
        }
    )
    data = dict(customer.mandates.get(mandate.id))
    assert data["details"]["consumerAccount"] == "DE89370400440532013000"
    assert (data["mandateReference"], data["signatureDate"]) == ("ORG-ABC123", today.isoformat())
    assert {"self", "customer", "documentation"} <= set(data["_links"])
    with pytest.raises(UnprocessableEntityError) as caught:
        customer.mandates.create(
            {
                "method": "directdebit",
                "consumerName": "E",
                "consumerAccount": "DE89370400440532013000",
                "signatureDate": "2999-01-01",
            }
        )
    assert caught.value.field == "signatureDate"


def test_a_failed_direct_debit_carries_the_banks_reason(client, sandbox):
    customer = client.customers.create({"name": "Ed"})
    customer.mandates.create(
        {"method": "directdebit", "consumerName": "Ed", "consumerAccount": "NL91ABNA0417164300"}
    )
    data = {"amount": amount("5.00"), "description": "Charge", "sequenceType": "recurring"}
    payment = customer.payments.create(data)
    assert payment.status == "pending" and payment.details["creditorIdentifier"]
    sandbox.set_payment_status(payment.id, "failed", reason="AC04")
    failed = client.payments.get(payment.id)
    assert failed.details["bankReasonCode"] == "AC04"
    assert failed.details["bankReason"] == "Account closed"
    assert failed.details["consumerAccount"] == "NL91ABNA0417164300"
    # Left alone, a direct debit made on a mandate is paid three days later.
    other = customer.payments.create(data)
    sandbox.advance_clock(days=3)
    assert client.payments.get(other.id).status == "paid"
    # Its chargeback has a reason; an unknown reason is refused.
    back = sandbox.chargeback(other.id)
    assert back["reason"] == {"code": "MD06", "description": "Refund requested by the debtor"}
    with pytest.raises(ControlError):
        sandbox.set_payment_status(customer.payments.create(data).id, "failed", reason="XX99")


def test_recurring_payment_needs_valid_mandate(client, mandated_customer):
    bare = client.customers.create({"name": "No mandate"})
    data = {"amount": amount("5.00"), "description": "Charge", "sequenceType": "recurring"}
    with pytest.raises(UnprocessableEntityError) as caught:
        bare.payments.create(data)
    assert caught.value.field is None
    with pytest.raises(UnprocessableEntityError) as caught:
        mandated_customer.payments.create(dict(data, mandateId="mdt_unknown12345"))
    assert caught.value.field == "mandateId"
    with pytest.raises(UnprocessableEntityError) as caught:
        client.payments.create(data)
    assert caught.value.field == "customerId"
    payment = client.payments.create(dict(data, customerId=mandated_customer.id))
    assert payment.status == "pending"
    assert payment.mandate_id.startswith("mdt_")
    assert payment.redirect_url is None
    assert payment.checkout_url is None
    assert payment.changepaymentstate_url
    assert payment.method == "directdebit"


def test_a_mandate_signed_just_after_midnight_in_amsterdam_is_not_in_the_future(
    client, fixed_clock
):
    """The sandbox dates by the Netherlands' calendar, as the Dutch site does: at 23:30 UTC
    in winter it is already the next day in Amsterdam."""
    fixed_clock.move_to(dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC))
    customer = client.customers.create({"name": "Ed"})
    mandate = customer.mandates.create(
        {
            "method": "directdebit",
            "consumerName": "E. Example",
            "consumerAccount": "NL91ABNA0417164300",
            "signatureDate": "2026-12-06",
        }
    )
    assert dict(customer.mandates.get(mandate.id))["signatureDate"] == "2026-12-06"
