"""Donation tests talk to the Mollie sandbox over real HTTP through the official client."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.translation import override

from donations.models import Donation, Payment
from donations.services import webhook_path
from mollie_sandbox.recurring import SETTLE_DAYS

FORM = {
    "frequency": "oneoff",
    "amount": "25",
    "other_amount": "",
    "name": "Ann Example",
    "email": "ann@example.org",
    "website": "",
}


@pytest.fixture(autouse=True)
def mollie(settings, sandbox):
    """Point the site at an empty sandbox; no webhook URL unless a test sets one."""
    settings.MOLLIE_API_KEY = "test_sitetestsuite01234567890123456"
    settings.MOLLIE_API_ENDPOINT = sandbox.base_url
    settings.MOLLIE_WEBHOOK_BASE_URL = ""
    sandbox.wait_for_webhooks(5)
    sandbox.reset()
    return sandbox


def donate_url(language: str = "en") -> str:
    with override(language):
        return reverse("donations:donate")


def start(client, language: str = "en", **fields) -> tuple[Donation, str]:
    """Submit the donate form; return the new donation and its Mollie payment id."""
    response = client.post(donate_url(language), {**FORM, **fields})
    assert response.status_code == 303, response.content.decode()[:3000]
    match = re.search(r"/checkout/(tr_\w+)$", response["Location"])
    assert match, response["Location"]
    payment = Payment.objects.get(mollie_id=match.group(1))
    return payment.donation, payment.mollie_id


def return_path(donation: Donation) -> str:
    with override(donation.language):
        return reverse("donations:return", kwargs={"token": donation.public_token})


def pay(client, sandbox, donation: Donation, mollie_id: str, outcome: str = "paid"):
    """Pick `outcome` on the sandbox checkout and follow the redirect back to the site."""
    redirect = sandbox.checkout(mollie_id, outcome)
    assert redirect.startswith("http://testserver/")
    return client.get(redirect.removeprefix("http://testserver"))


def charge_settled(sandbox, subscription_id: str, outcome: str = "paid") -> dict:
    """Charge a subscription now and let the sandbox's clock pass the days a direct debit
    is pending (an iDEAL first payment leaves a direct-debit mandate): the charge's final JSON."""
    made = sandbox.charge_subscription(subscription_id, outcome)
    sandbox.advance_clock(days=SETTLE_DAYS)
    with sandbox.store.lock:
        return dict(sandbox.store.payments[made["id"]])


def charges_settled(sandbox, *, to, outcome: str = "paid") -> list[str]:
    """Move the sandbox's clock to `to` (Mollie charges what is due) and on past the days the
    direct debits are pending, so they have their outcome: the ids of the charges made."""
    charged = sandbox.advance_clock(to=to, outcome=outcome)["charged"]
    sandbox.advance_clock(days=SETTLE_DAYS)
    return charged


def webhook(client, mollie_id: str):
    return client.post(webhook_path(), {"id": mollie_id})


def subjects() -> list[str]:
    return [message.subject for message in mail.outbox]
