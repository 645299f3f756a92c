"""The security tests, one file per attacker (docs/security.md lists each class of attack,
its rule and these tests). They drive the site as the attacker would: over HTTP against the
site, with the Mollie sandbox behind it over real HTTP."""

import pytest
from django.core import mail
from django.test import Client

from donations.models import Subscription

from ..donations.conftest import mollie, pay, start  # noqa: F401 (mollie: a fixture)


def regular_gift(sandbox, *, email: str, name: str, amount: str, method: str = "ideal"):
    """Give `amount` a month from a browser of its own, paid with `method` at the checkout:
    (that browser, the gift)."""
    browser = Client()
    donation, mollie_id = start(
        browser,
        frequency="monthly",
        amount="other",
        other_amount=amount,
        email=email,
        name=name,
    )
    redirect = sandbox.checkout(mollie_id, "paid", method)
    browser.get(redirect.removeprefix("http://testserver"))
    return browser, Subscription.objects.get(donation=donation)


@pytest.fixture
def donor_and_stranger(mollie):  # noqa: F811
    """Ann gives €10 a month by iDEAL (Mollie holds a direct-debit mandate of hers); then
    someone who knows her address gives €2 a month with it from another browser, by card."""
    ann_browser, ann_gift = regular_gift(
        mollie, email="ann@example.org", name="Ann Donor", amount="10"
    )
    _stranger_browser, strangers_gift = regular_gift(
        mollie, email="ann@example.org", name="Mallory", amount="2", method="creditcard"
    )
    mail.outbox.clear()
    return ann_browser, ann_gift, strangers_gift
