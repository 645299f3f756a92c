"""Fixtures for the Mollie sandbox tests.

`sandbox` (tests/conftest.py) runs once per session on a free port with webhook retries
shortened to fractions of a second;
`reset_sandbox` (autouse) empties it before each test so tests are independent.
`client` is the official mollie-api-python client pointed at it. None of this needs a database.
"""

from __future__ import annotations

import pytest
from mollie.api.client import Client

from .helpers import REDIRECT, Receiver, amount


@pytest.fixture(autouse=True)
def reset_sandbox(sandbox):
    sandbox.wait_for_webhooks(5)
    sandbox.reset()


@pytest.fixture
def client(sandbox):
    api = Client(api_endpoint=sandbox.base_url, timeout=(2, 10))
    api.set_api_key("test_sandboxtestkey1234567890012345")
    return api


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


@pytest.fixture
def make_receiver():
    made: list[Receiver] = []

    def factory(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield factory
    for item in made:
        item.close()


def _customer_with_mandate(client, sandbox, name: str, method: str):
    customer = client.customers.create({"name": name, "email": f"{name.split()[0]}@example.org"})
    first = customer.payments.create(
        {
            "amount": amount("5.00"),
            "description": "First month",
            "sequenceType": "first",
            "redirectUrl": REDIRECT,
        }
    )
    sandbox.checkout(first.id, "paid", method=method)
    return customer


@pytest.fixture
def mandated_customer(client, sandbox):
    """A customer with a valid directdebit mandate from a paid first payment (iDEAL)."""
    return _customer_with_mandate(client, sandbox, "Ada Tester", "ideal")


@pytest.fixture
def card_customer(client, sandbox):
    """A customer with a valid creditcard mandate: its charges have their outcome at once."""
    return _customer_with_mandate(client, sandbox, "Cas Tester", "creditcard")
