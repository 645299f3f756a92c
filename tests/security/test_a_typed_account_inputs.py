"""Odd input to every view of the direct-debit feature: never a 500 (these hold at this
commit; kept as regression tests)."""

import pytest
from django.test import Client
from django.urls import reverse

from ..donations.test_direct_debit import MANDATE_FORM, give, payload_of
from ..supporters.conftest import log_in, url

pytestmark = pytest.mark.django_db

ODD = [
    "",
    " ",
    "\x00",
    "NL91ABNA0417164300\x00",
    "N" * 5000,
    "\uff2e\uff2c\uff19\uff11ABNA0417164300",  # full-width letters and digits
    "NL\u0669\u0661ABNA0417164300",  # Arabic-Indic digits
    "NL91\u00a0ABNA\u00a00417\u00a01643\u00a000",
    "<script>alert(1)</script>",
    "GP1120041010050500013M02606",
    "BR1500000000000010932840814P2",
    "%s%n{0}",
]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize("field", ["iban", "holder", "frequency", "route", "other_amount"])
def test_the_donate_form_by_mandate(value, field):
    browser = Client(raise_request_exception=False)
    response = browser.post(reverse("donations:donate"), {**MANDATE_FORM, field: value})
    assert response.status_code in (200, 303, 400, 429), (field, value, response.status_code)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"payload": ""},
        {"payload": "x" * 10000},
        {"payload": "a:b:c", "agree": "on"},
        {"payload": ["a", "b"], "agree": ["on", "off"]},
        {"payload": "\x00", "change": "1"},
    ],
)
def test_the_mandate_page(data):
    browser = Client(raise_request_exception=False)
    response = browser.post(reverse("donations:mandate_sign"), data)
    assert response.status_code == 400


def test_the_mandate_page_with_a_real_payload_and_odd_fields():
    browser = Client(raise_request_exception=False)
    page = browser.post(reverse("donations:donate"), MANDATE_FORM)
    payload = payload_of(page)
    for data in (
        {"payload": payload, "agree": "\x00"},
        {"payload": payload, "agree": "x" * 10000},
        {"payload": payload, "change": ""},
        {"payload": payload + "\x00", "agree": "on"},
    ):
        response = browser.post(reverse("donations:mandate_sign"), data)
        assert response.status_code in (200, 303, 400), (data, response.status_code)


@pytest.mark.parametrize(
    "token", ["x", "x" * 101, "x" * 5000, "%00", "..", "a b", "é", "\u202e", "stop"]
)
def test_the_stop_link_and_landing_page(token):
    browser = Client(raise_request_exception=False)
    for method in ("get", "post", "head"):
        stop = getattr(browser, method)(f"/en/donate/mandate/stop/{token}/")
        assert stop.status_code in (400, 404), (method, token, stop.status_code)
    assert browser.get(f"/en/donate/mandate/{token}/").status_code in (400, 404)


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize("field", ["iban", "holder", "reference", "agree"])
def test_a_new_account_in_the_area(client, value, field):
    mandate = give(client)
    gift = mandate.donation.subscription
    log_in(client, gift.supporter)
    page = client.get(url("bank_account", gift=gift.pk))
    data = {
        "holder": "A. Example",
        "iban": "DE89 3704 0044 0532 0130 00",
        "agree": "on",
        "reference": page.context["signed_reference"],
        field: value,
    }
    client.raise_request_exception = False
    response = client.post(url("bank_account", gift=gift.pk), data)
    assert response.status_code in (303, 400, 409, 429), (field, value, response.status_code)


def test_the_returned_debits_page_with_odd_periods(staff):
    for query in (
        {"start": "0001-01-01", "end": "9999-12-31"},
        {"start": "2026-02-30", "end": "2026-03-01"},
        {"start": "x", "end": "y"},
        {"start": ["2026-01-01", "x"]},
        {"start": "2026-06-01", "end": "2026-01-01"},
    ):
        response = staff.get(reverse("staff:returned_debits"), query)
        assert response.status_code in (200, 400), (query, response.status_code)


def test_a_stranger_with_a_limited_session_cannot_give_a_donors_gift_a_new_account(client, mollie):
    """(Holds.) Mallory gives with Ann's address and presses the success page's button: a
    limited session for Ann's supporter. Ann's gift's new-account page sends it to the login."""
    from ..supporters.conftest import give_and_enter

    ann = give(client)
    gift = ann.donation.subscription
    mallory = Client()
    give_and_enter(mallory, mollie, email=ann.donation.supporter.email)
    for method in ("get", "post"):
        page = getattr(mallory, method)(url("bank_account", gift=gift.pk))
        assert page.status_code == 302 and "/login/" in page["Location"], page.status_code
        page = getattr(mallory, method)(url("bank_account"))
        assert page.status_code == 302 and "/login/" in page["Location"], page.status_code


def test_staff_with_little_power_see_no_mandate(django_user_model):
    """(Holds.) A campaign editor, and a colleague who may only look at payments without a
    second factor, reach neither the mandates by IBAN nor the returned debits."""
    from django.contrib.auth.models import Permission

    for username, perms in (
        ("editor", ["change_article"]),
        ("payments", ["view_payment"]),
    ):
        user = django_user_model.objects.create_user(username, is_staff=True)
        user.user_permissions.add(*Permission.objects.filter(codename__in=perms))
        browser = Client(HTTP_ACCEPT_LANGUAGE="en")
        browser.force_login(user)
        for path in (
            reverse("admin:donations_bankmandate_changelist"),
            reverse("staff:returned_debits"),
        ):
            page = browser.get(path)
            assert page.status_code in (302, 403), (username, path, page.status_code)
