"""The donate form: pre-filling, every bad amount and email, honeypot, limits, other sites."""

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings, strategies

from core.money import parse_amount
from donations.models import Donation

from .conftest import FORM, donate_url

pytestmark = pytest.mark.django_db


def test_form_is_prefilled_from_the_campaign_page(client):
    response = client.get(donate_url() + "?frequency=oneoff&amount=25")
    form = response.context["form"]
    assert form.initial["frequency"] == "oneoff" and form.initial["amount"] == "25"
    assert not response.cookies
    custom = client.get(donate_url() + "?frequency=monthly&amount=12,50").context["form"]
    assert custom.initial["amount"] == "other" and custom.initial["other_amount"] == "12,50"


def test_form_has_labelled_radio_groups_in_both_languages(client):
    html = client.get(donate_url("nl")).content.decode()
    assert "<legend>Hoe vaak?</legend>" in html
    assert "<legend>Bedrag</legend>" in html
    assert '<input type="radio" name="frequency" value="monthly"' in html
    html = client.get(donate_url("en")).content.decode()
    assert "<legend>How often?</legend>" in html


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("10", "10.00"),
        ("10.50", "10.50"),
        ("10,50", "10.50"),
        ("€ 7,5", "7.50"),
        (" 3 ", "3.00"),
        ("1.000,00", "1000.00"),  # thousands the Dutch way
        ("1,000.00", "1000.00"),  # and the English way
        ("1\u00a0250,50", "1250.50"),  # in groups with a (non-breaking) space
        ("25,-", "25.00"),  # whole euros, the Dutch way
        ("€ 2.500,-", "2500.00"),  # the comma before the dash is the decimal one
        ("1,000.-", "1000.00"),
        ("25,\u2013", "25.00"),  # with an en dash
    ],
)
def test_amounts_people_type_are_understood(typed, expected):
    assert str(parse_amount(typed)) == expected


BAD_AMOUNTS = [
    ("", "Enter an amount."),
    ("0", "Enter an amount above zero."),
    ("0,00", "Enter an amount above zero."),
    ("-5", "Enter an amount above zero."),
    ("10.555", "We cannot tell whether 10.555 means"),
    ("10.5555", "Use at most two decimals"),
    ("1.000", "We cannot tell whether 1.000 means"),  # a thousand, or one euro?
    ("2,500", "Write it without the separator (2500)"),
    ("1.000.00", "Enter an amount in euros using digits"),
    ("0.500", "Use at most two decimals, for example 12.50."),  # no thousand starts with 0
    ("2.50,-", "Enter an amount in euros using digits, for example 10 or 12.50."),
    ("1,5,-", "Enter an amount in euros using digits"),
    ("2,500,-", "Enter an amount in euros using digits"),  # a comma for both
    (",-", "Enter an amount in euros using digits"),
    ("ten", "Enter an amount in euros using digits"),
    ("1e3", "Enter an amount in euros using digits"),
    ("\u0661\u0660", "Enter an amount in euros using digits"),  # Arabic-Indic digits
    ("NaN", "Enter an amount in euros using digits"),
    ("1,5", None),
    ("1", "The smallest gift we can process is €\u00a02."),  # a limit, written as a price
    ("5000.01", "Online gifts can be at most €\u00a05,000."),
    ("99999999999", "Enter an amount in euros using digits"),
]


@pytest.mark.parametrize(("typed", "message"), BAD_AMOUNTS)
def test_every_bad_amount_gets_a_message_on_its_field(client, typed, message):
    response = client.post(donate_url(), {**FORM, "amount": "other", "other_amount": typed})
    if message is None:  # 1,50 is fine but below the minimum of 2,00
        message = "The smallest gift we can process is"
    assert response.status_code == 400
    errors = response.context["form"].errors["other_amount"]
    assert any(message in error for error in errors), errors
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and 'id="id_other_amount_error"' in html
    assert not Donation.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "", "Enter your email address."),
        ("email", "not-an-address", "Enter an email address like name@example.org."),
        ("email", "a@b", "Enter an email address like name@example.org."),
        ("name", "   ", "Enter your name."),
        ("frequency", "weekly", "Select a valid choice"),
        ("amount", "7", "Choose one of the amounts."),
        ("amount", "", "Choose an amount."),
    ],
)
def test_bad_fields_get_a_message(client, field, value, message):
    response = client.post(donate_url(), {**FORM, field: value})
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert not Donation.objects.exists()


def test_honeypot_stops_bots_without_creating_anything(client):
    response = client.post(donate_url(), {**FORM, "website": "http://spam.example"})
    assert response.status_code == 400
    assert not Donation.objects.exists()


@override_settings(DONATION_START_LIMIT_PER_HOUR=2)
def test_start_limit_per_client(client, mollie):
    codes = [
        client.post(donate_url(), FORM, REMOTE_ADDR="192.0.2.50").status_code for _ in range(3)
    ]
    assert codes == [303, 303, 429]
    assert Donation.objects.count() == 2
    assert client.post(donate_url(), FORM, REMOTE_ADDR="192.0.2.51").status_code == 303


def test_posts_from_other_sites_are_refused(client):
    response = client.post(donate_url(), FORM, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert not Donation.objects.exists()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=strategies.fixed_dictionaries(
        {
            key: strategies.one_of(strategies.text(max_size=40), strategies.just(value))
            for key, value in FORM.items()
        }
    )
)
def test_no_input_gives_a_server_error(client, data):
    clean = {key: value.replace("\x00", "") for key, value in data.items()}
    response = client.post(donate_url(), clean)
    assert response.status_code in (303, 400, 429), response.status_code


def test_donate_page_query_count(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get(donate_url()).status_code == 200


def test_the_return_address_given_to_mollie_comes_from_the_public_url(client, mollie, settings):
    """Finding 9: the Host header does not decide where Mollie sends the donor back to."""
    settings.PUBLIC_BASE_URL = "https://gifts.example.org"
    response = client.post(donate_url(), FORM, HTTP_HOST="localhost:6666")
    assert response.status_code == 303
    (payment,) = mollie.store.payments.values()
    assert payment["redirectUrl"].startswith("https://gifts.example.org/en/donate/return/")


def test_the_gift_form_names_the_gift_on_its_button_and_says_how_giving_works(client):
    html = client.get(donate_url("nl")).content.decode()
    assert 'data-monthly="Geef %(amount)s per maand"' in html  # site.js fills in the amount
    assert ">Verder</button>" in html  # without JavaScript: never a wrong promise
    assert "Zo geef je" in html and "ANBI" in html and "iDEAL" in html
    assert "€\u00a010</label>" in html  # whole euros as on the campaign page, not "€ 10,00"


def test_the_campaign_box_s_other_amount_reaches_the_gift_form(client):
    response = client.get(
        donate_url("en"), {"frequency": "monthly", "amount": "other", "other_amount": "12,50"}
    )
    initial = response.context["form"].initial
    assert (initial["amount"], initial["other_amount"]) == ("other", "12,50")


def test_an_amount_typed_in_other_amount_is_the_one_given(client):
    """Without the page's script nothing ticks "other amount" as one types in its field: the
    typed amount is still the gift, not the preset left ticked."""
    response = client.post(donate_url(), {**FORM, "amount": "10", "other_amount": "40"})
    assert response.status_code == 303  # to the checkout
    assert Donation.objects.get().amount == 40
    response = client.post(donate_url(), {**FORM, "amount": "10", "other_amount": "ten"})
    assert response.status_code == 400
    assert response.context["form"].errors["other_amount"]


@pytest.mark.parametrize(
    ("query", "amount", "other"),
    [
        ({"amount": "10", "other_amount": "40"}, "other", "40"),  # typed, "other" not ticked
        ({"amount": "other", "other_amount": "1.000,00"}, "other", "1.000,00"),
        ({"amount": "other", "other_amount": "€ 40"}, "other", "€ 40"),
        ({"amount": "other", "other_amount": "lots"}, "other", "lots"),  # explained on sending
        ({"amount": "25", "other_amount": ""}, "25", None),
    ],
)
def test_the_campaign_box_s_amount_reaches_the_gift_form_as_typed(client, query, amount, other):
    response = client.get(donate_url("en"), {"frequency": "monthly", **query})
    initial = response.context["form"].initial
    assert initial["amount"] == amount and initial.get("other_amount") == other
