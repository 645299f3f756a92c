"""After a gift: the email's code, and the limited session the success page's button opens.

What someone who knows a donor's address, or holds a link a donor received, can do with it is
tested in tests/security/.
"""

import pytest
from django.core import mail
from django.test import Client

from donations.services import webhook_path

from ..donations.conftest import mollie, pay, start  # noqa: F401 (fixture used by these tests)
from .conftest import CLOSED_TO_LIMITED, enter_code, give_and_enter, last_code, make_supporter, url

pytestmark = pytest.mark.django_db


def test_the_thank_you_email_carries_a_code_that_logs_in(client, mollie):  # noqa: F811
    _, mollie_id = start(client, email="new@example.org")
    mollie.checkout(mollie_id, "paid")
    client.post(webhook_path(), {"id": mollie_id})
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


def test_the_success_page_offers_the_button(client, mollie):  # noqa: F811
    donation, mollie_id = start(client)
    redirect = mollie.checkout(mollie_id, "paid")
    html = client.get(redirect.removeprefix("http://testserver")).content.decode()
    assert url("enter_after_gift", token=donation.public_token) in html
    assert "To the supporter area" in html
