"""Someone holding a link a donor received or visited: the return page after Mollie, the retry
link after a failed payment, the success page's button (from a browser history, a shared
screen, a proxy's log).

A link alone tells nobody who gave (no name, no address) and opens nothing of the donor's:
only the browser that started the gift sees what it typed, and only a login code opens the
supporter area.
"""

import pytest
from django.test import Client

from ..donations.conftest import mollie, return_path, start  # noqa: F401 (mollie: a fixture)
from ..supporters.conftest import make_supporter, url

pytestmark = pytest.mark.django_db


def test_the_return_page_names_nobody(client, mollie):  # noqa: F811
    donation, mollie_id = start(client, email="fresh@example.org", name="Fresh Donor")
    mollie.checkout(mollie_id, "paid")
    for browser in (client, Client()):
        page = browser.get(return_path(donation)).content.decode()
        assert "Thank you" in page
        assert "fresh@example.org" not in page and "Fresh Donor" not in page


def test_another_browser_goes_to_the_login_page_with_nothing_filled_in(client, mollie):  # noqa: F811
    """Finding 7: the token alone fills in no address."""
    donation, mollie_id = start(client, email="fresh@example.org")
    mollie.checkout(mollie_id, "paid")
    other = Client()
    response = other.post(url("enter_after_gift", token=donation.public_token))
    assert response["Location"] == url("login")
    assert other.get(url("home")).status_code == 302
    assert "fresh@example.org" not in other.get(url("login_code")).content.decode()
    assert "fresh@example.org" not in other.get(url("login")).content.decode()


def test_the_retry_link_fills_in_name_and_address_only_where_the_gift_started(client, mollie):  # noqa: F811
    make_supporter("old@example.org", "Stored Name")
    donation, mollie_id = start(client, email="new@example.org", name="Typed Name")
    mollie.checkout(mollie_id, "failed")
    retry = f"/en/donate/?retry={donation.public_token}"
    here = client.get(retry).content.decode()
    assert 'value="Typed Name"' in here and 'value="new@example.org"' in here
    elsewhere = Client().get(retry).content.decode()
    assert "Typed Name" not in elsewhere and "new@example.org" not in elsewhere
    # An address that belonged to a supporter already: the stored name is not what was typed.
    donation, mollie_id = start(client, email="old@example.org", name="Someone")
    mollie.checkout(mollie_id, "failed")
    here = client.get(f"/en/donate/?retry={donation.public_token}").content.decode()
    assert "Stored Name" not in here and 'value="old@example.org"' in here
    assert 'value="Someone"' in here


def test_unpaid_donation_opens_nothing(client, mollie):  # noqa: F811
    donation, _ = start(client, email="fresh@example.org")
    response = client.post(url("enter_after_gift", token=donation.public_token))
    assert response["Location"] == url("login")
    assert client.get(url("home")).status_code == 302


def test_unknown_token_is_404(client):
    assert client.post(url("enter_after_gift", token="nope")).status_code == 404
