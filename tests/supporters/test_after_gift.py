"""After a gift: the email's code, and when the success page may log a browser in directly."""

import pytest
from django.core import mail
from django.test import Client

from ..donations.conftest import mollie, start  # noqa: F401 (fixture used by these tests)
from .conftest import enter_code, last_code, make_supporter, url

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_thank_you_email_carries_a_code_that_logs_in(client, mollie):  # noqa: F811
    _, mollie_id = start(client, email="new@example.org")
    mollie.checkout(mollie_id, "paid")
    client.post("/mollie/webhook/", {"id": mollie_id})
    message = mail.outbox[-1]
    assert message.subject == "Thank you for your gift"
    assert url("login_code") in message.body
    browser = Client()
    assert enter_code(browser, "new@example.org", last_code()).status_code == 303
    assert "new@example.org" in browser.get(url("home")).content.decode()


def test_new_supporter_in_the_same_browser_goes_straight_in(client, mollie):  # noqa: F811
    donation, mollie_id = start(client, email="fresh@example.org")
    success = client.get(mollie.checkout(mollie_id, "paid").removeprefix("http://testserver"))
    assert "Thank you!" in success.content.decode()
    response = client.post(url("enter_after_gift", token=donation.public_token))
    assert response["Location"] == url("home")
    assert client.get(url("home")).status_code == 200


def test_existing_supporter_needs_the_code(client, mollie):  # noqa: F811
    make_supporter("old@example.org", "Old")
    donation, mollie_id = start(client, email="old@example.org")
    mollie.checkout(mollie_id, "paid")
    response = client.post(url("enter_after_gift", token=donation.public_token))
    assert response["Location"] == url("login_code")
    assert client.get(url("home")).status_code == 302
    page = client.get(url("login_code")).content.decode()
    assert 'value="old@example.org"' in page


def test_another_browser_needs_the_code(client, mollie):  # noqa: F811
    donation, mollie_id = start(client, email="fresh@example.org")
    mollie.checkout(mollie_id, "paid")
    other = Client()
    response = other.post(url("enter_after_gift", token=donation.public_token))
    assert response["Location"] == url("login_code")
    assert other.get(url("home")).status_code == 302


def test_unpaid_donation_does_not_log_in(client, mollie):  # noqa: F811
    donation, _ = start(client, email="fresh@example.org")
    response = client.post(url("enter_after_gift", token=donation.public_token))
    assert response["Location"] == url("login_code")


def test_unknown_token_is_404(client):
    assert client.post(url("enter_after_gift", token="nope")).status_code == 404


def test_the_success_page_offers_the_button(client, mollie):  # noqa: F811
    donation, mollie_id = start(client)
    redirect = mollie.checkout(mollie_id, "paid")
    html = client.get(redirect.removeprefix("http://testserver")).content.decode()
    assert url("enter_after_gift", token=donation.public_token) in html
    assert "To the supporter area" in html
