"""After a gift: the email's code, and the limited session the success page's button opens.

The adversary: someone who knows a donor's address. They can give €2 with it from their own
browser; nothing they do that way may show or change anything of the real owner's.
"""

import pytest
from django.core import mail
from django.test import Client

from donations.models import Payment
from supporters.models import Supporter

from ..donations.conftest import mollie, pay, start  # noqa: F401 (fixture used by these tests)
from .conftest import enter_code, last_code, log_in, make_supporter, url

pytestmark = pytest.mark.django_db(transaction=True)

CLOSED_TO_LIMITED = [
    ("monthly", {}),
    ("monthly_stop", {}),
    ("profile", {}),
    ("privacy", {}),
    ("export", {}),
    ("erase", {}),
    ("email_confirm", {}),
    ("statement", {"year": 2026}),
    ("monthly_pause", {}),
    ("monthly_resume", {}),
    ("payment_method", {}),
    ("payment_method_return", {"token": "x" * 32}),
    ("agreement_new", {}),
    ("agreement", {"number": "PG-2026-00001"}),
]


def give_and_enter(browser, sandbox, **fields):
    """Give from `browser`, pay, and press the success page's button there."""
    donation, mollie_id = start(browser, **fields)
    pay(browser, sandbox, donation, mollie_id)
    response = browser.post(url("enter_after_gift", token=donation.public_token))
    return donation, response


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


@pytest.mark.parametrize("known", [False, True])
def test_the_browser_that_gave_sees_its_gift_and_a_way_to_unlock_the_rest(
    client,
    mollie,  # noqa: F811
    known,
):
    if known:
        make_supporter("ann@example.org", "Ann Stored Name")
    _, response = give_and_enter(client, mollie, email="ann@example.org", amount="25")
    # Known address or new, the same answer: straight into the area.
    assert response.status_code == 303 and response["Location"] == url("home")
    page = client.get(url("home")).content.decode()
    assert "€\u00a025.00" in page
    assert "Email me a login code" in page
    assert "Ann Stored Name" not in page
    for name, kwargs in CLOSED_TO_LIMITED:
        answer = client.get(url(name, **kwargs))
        assert answer.status_code == 302 and answer["Location"].startswith(url("login")), name


def test_pre_registration_gives_the_attacker_nothing_of_the_owner(client, mollie):  # noqa: F811
    """Finding 1: €2 with someone else's address, then the owner's own monthly gift."""
    attacker = Client()
    give_and_enter(attacker, mollie, email="owner@example.org", amount="other", other_amount="2")
    owner = Supporter.objects.get(email="owner@example.org")
    # The owner gives €50 a month from their own browser.
    donation, mollie_id = start(client, email="owner@example.org", frequency="monthly", amount="50")
    pay(client, mollie, donation, mollie_id)
    page = attacker.get(url("home")).content.decode()
    assert "€\u00a050.00" not in page and "€\u00a02.00" in page
    for name, kwargs in CLOSED_TO_LIMITED:
        assert attacker.get(url(name, **kwargs)).status_code == 302, name
    assert attacker.post(url("monthly"), {"amount": "5000", "confirm": "1"}).status_code == 302
    assert attacker.post(url("monthly_stop")).status_code == 302
    assert attacker.post(url("erase")).status_code == 302
    assert attacker.post(url("profile"), {"name": "X", "language": "en"}).status_code == 302
    assert attacker.post(url("email_change"), {"new_email": "evil@example.org"}).status_code == 302
    owner.refresh_from_db()
    assert owner.email == "owner@example.org"
    subscription = mollie.store.subscriptions[owner.subscriptions.get().mollie_id]
    assert subscription["amount"]["value"] == "50.00" and subscription["status"] == "active"


def test_a_code_login_ends_every_limited_session(client, mollie):  # noqa: F811
    attacker = Client()
    give_and_enter(attacker, mollie, email="owner@example.org")
    assert attacker.get(url("home")).status_code == 200
    owner = Supporter.objects.get(email="owner@example.org")
    proven = Client()
    log_in(proven, owner)
    assert attacker.get(url("home")).status_code == 302
    assert proven.get(url("home")).status_code == 200
    # A second code login (another device) leaves the proven sessions alone.
    log_in(Client(), owner)
    assert proven.get(url("home")).status_code == 200


def test_a_limited_session_is_short_and_a_code_login_upgrades_it(client, mollie, settings):  # noqa: F811
    give_and_enter(client, mollie, email="ann@example.org")
    assert client.session.get_expiry_age() <= settings.SUPPORTER_LIMITED_SESSION_SECONDS
    old_key = client.session.session_key
    page = client.get(url("home")).content.decode()
    assert 'value="ann@example.org"' in page  # typed in this browser, so it may be shown here
    assert client.post(url("login"), {"email": "ann@example.org"}).status_code == 303
    assert enter_code(client, "ann@example.org", last_code()).status_code == 303
    assert client.session.session_key != old_key
    assert client.session.get_expiry_age() > settings.SUPPORTER_LIMITED_SESSION_SECONDS
    assert client.get(url("profile")).status_code == 200


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


def test_unpaid_donation_opens_nothing(client, mollie):  # noqa: F811
    donation, _ = start(client, email="fresh@example.org")
    response = client.post(url("enter_after_gift", token=donation.public_token))
    assert response["Location"] == url("login")
    assert client.get(url("home")).status_code == 302


def test_unknown_token_is_404(client):
    assert client.post(url("enter_after_gift", token="nope")).status_code == 404


def test_the_success_page_offers_the_button(client, mollie):  # noqa: F811
    donation, mollie_id = start(client)
    redirect = mollie.checkout(mollie_id, "paid")
    html = client.get(redirect.removeprefix("http://testserver")).content.decode()
    assert url("enter_after_gift", token=donation.public_token) in html
    assert "To the supporter area" in html


def test_a_limited_session_shows_only_this_browsers_gifts_of_that_supporter(client, mollie):  # noqa: F811
    owner = make_supporter("owner@example.org", "Owner")
    log_in(Client(), owner)
    give_and_enter(client, mollie, email="owner@example.org", amount="other", other_amount="3")
    assert Payment.objects.filter(supporter=owner).count() == 1
    other_browser = Client()
    give_and_enter(
        other_browser, mollie, email="owner@example.org", amount="other", other_amount="4"
    )
    mine = client.get(url("home")).content.decode()
    assert "€\u00a03.00" in mine and "€\u00a04.00" not in mine
