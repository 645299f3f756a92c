"""A stranger who knows a donor's email address: they can give with it from any browser, as
often as the limits allow, and type anything into the name field.

Nothing they do that way may reuse, change or hide anything the donor set up (the Mollie
customer, mandates and subscriptions, name, language, agreements), and nothing they type may
reach the donor's mailbox as a link or a phone number.
"""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from donations.models import BankMandate, Donation, Payment, PeriodicAgreement, Subscription
from supporters.models import Supporter

from ..donations.conftest import FORM, donate_url, mollie, pay, start  # noqa: F401
from ..donations.test_direct_debit import MANDATE_FORM, payload_of
from ..supporters.conftest import CLOSED_TO_LIMITED, give_and_enter, log_in, make_supporter, url
from .conftest import regular_gift

pytestmark = pytest.mark.django_db


def test_a_strangers_regular_gift_is_never_charged_from_the_donors_mandate(
    mollie,  # noqa: F811
    donor_and_stranger,
):
    """Finding 1 (high): the stranger's subscription went on the donor's Mollie customer
    without a mandateId, so Mollie could collect it from the donor's bank account."""
    _ann, ann_gift, strangers_gift = donor_and_stranger
    store = mollie.store
    # Each gift has a Mollie customer of its own...
    assert strangers_gift.customer_id != ann_gift.customer_id
    assert {m["customerId"] for m in store.mandates.values()} == {
        ann_gift.customer_id,
        strangers_gift.customer_id,
    }
    # ...and each subscription is pinned to the mandate its own first payment left.
    for gift in (ann_gift, strangers_gift):
        first = gift.donation.payments.get(sequence_type="first")
        pinned = store.subscriptions[gift.mollie_id]["mandateId"]
        assert pinned == store.payments[first.mollie_id]["mandateId"] == gift.mandate_id
    assert store.mandates[strangers_gift.mandate_id]["method"] == "creditcard"
    assert store.mandates[ann_gift.mandate_id]["method"] == "directdebit"
    # The stranger's next charge comes from the stranger's card, never from Ann's account.
    charge = mollie.charge_subscription(strangers_gift.mollie_id)
    assert charge["mandateId"] == strangers_gift.mandate_id
    assert charge["method"] == "creditcard"


def test_a_strangers_gift_leaves_everything_the_donor_set_up_as_it_was(mollie):  # noqa: F811
    ann_browser, ann_gift = regular_gift(
        mollie, email="ann@example.org", name="Ann Donor", amount="10"
    )
    ann = ann_gift.supporter
    ann.language = "en"
    ann.save(update_fields=["language"])
    log_in(ann_browser, ann)
    agreement_page = ann_browser.get(url("agreement_new"))
    assert agreement_page.status_code == 200
    store = mollie.store
    before = {
        "customer": dict(store.customers[ann_gift.customer_id]),
        "mandates": {k: dict(v) for k, v in store.mandates.items()},
        "subscription": dict(store.subscriptions[ann_gift.mollie_id]),
    }

    regular_gift(mollie, email="ANN@example.org", name="Mallory", amount="2", method="creditcard")

    ann.refresh_from_db()
    assert (ann.name, ann.language) == ("Ann Donor", "en")
    assert store.customers[ann_gift.customer_id] == before["customer"]
    assert store.subscriptions[ann_gift.mollie_id] == before["subscription"]
    assert {k: v for k, v in store.mandates.items() if k in before["mandates"]} == before[
        "mandates"
    ]
    new = [m for k, m in store.mandates.items() if k not in before["mandates"]]
    assert [m["customerId"] for m in new] != [ann_gift.customer_id]
    ann_gift.refresh_from_db()
    assert (ann_gift.status, ann_gift.amount) == ("active", 10)


def test_the_donor_sees_every_gift_made_in_their_name_and_can_stop_any(
    mollie,  # noqa: F811
    donor_and_stranger,
):
    """Finding 1: the area showed only the newest gift (the stranger's), so the donor's own
    could no longer be paused or stopped there."""
    ann_browser, ann_gift, strangers_gift = donor_and_stranger
    log_in(ann_browser, ann_gift.supporter)
    home = ann_browser.get(url("home")).content.decode()
    assert "10.00 a month" in home and "\u20ac\xa02.00 a month" in home
    assert url("monthly_stop", gift=ann_gift.pk) in home
    assert url("monthly_stop", gift=strangers_gift.pk) in home
    # Without saying which, the area asks which gift is meant.
    choose = ann_browser.get(url("monthly_stop")).content.decode()
    assert "Which gift do you want to stop?" in choose
    # Stopping the stranger's gift leaves the donor's running, and the other way round.
    stopped = ann_browser.post(url("monthly_stop", gift=strangers_gift.pk))
    assert stopped.status_code == 303
    assert mollie.store.subscriptions[strangers_gift.mollie_id]["status"] == "canceled"
    assert mollie.store.subscriptions[ann_gift.mollie_id]["status"] == "active"
    paused = ann_browser.post(url("monthly_pause", gift=ann_gift.pk), {"months": "1"})
    assert paused.status_code == 303
    ann_gift.refresh_from_db()
    assert ann_gift.state == "paused"


def test_an_agreement_is_made_for_the_gift_the_donor_chose(mollie, donor_and_stranger):  # noqa: F811
    ann_browser, ann_gift, strangers_gift = donor_and_stranger
    log_in(ann_browser, ann_gift.supporter)
    assert "Which gift becomes a periodic gift?" in ann_browser.get(url("agreement_new")).text
    form = {
        "years": "5",
        "ends_on_income_loss": "on",
        "donor_first_names": "Ann",
        "donor_surname": "Donor",
        "donor_birth_date": "1980-05-31",
        "donor_birth_place": "Utrecht",
        "donor_street": "Dorpsstraat 1",
        "donor_postcode": "1234 AB",
        "donor_city": "Utrecht",
        "donor_country": "Nederland",
        "signed_place": "Utrecht",
        "signed_name": "Ann Donor",
        "agree": "on",
    }
    signed = ann_browser.post(url("agreement_new", gift=ann_gift.pk), form)
    assert signed.status_code == 303
    assert PeriodicAgreement.objects.get().subscription_id == ann_gift.pk
    assert ann_browser.get(url("agreement_new", gift=strangers_gift.pk)).status_code == 200


def test_another_supporters_gift_is_not_found_by_its_number(mollie, donor_and_stranger):  # noqa: F811
    ann_browser, ann_gift, _strangers_gift = donor_and_stranger
    _bob, bobs_gift = regular_gift(mollie, email="bob@example.org", name="Bob", amount="5")
    log_in(ann_browser, ann_gift.supporter)
    for name in ("monthly", "monthly_stop", "monthly_pause", "payment_method", "agreement_new"):
        assert ann_browser.get(url(name, gift=bobs_gift.pk)).status_code == 404, name
        assert ann_browser.post(url(name, gift=bobs_gift.pk)).status_code == 404, name
    bobs_gift.refresh_from_db()
    assert bobs_gift.status == "active"


def test_the_retry_form_tells_nobody_whether_an_address_is_known(mollie):  # noqa: F811
    """The retry form filled in the typed name only for an address that was new, so a stranger
    learnt which addresses belong to supporters."""
    make_supporter("known@example.org", "Stored Name")
    pages = {}
    for email in ("known@example.org", "unknown@example.org"):
        browser = Client()
        donation, mollie_id = start(browser, email=email, name="Mallory Stranger")
        mollie.checkout(mollie_id, "canceled")
        page = browser.get(f"/en/donate/?retry={donation.public_token}").content.decode()
        pages[email] = page.replace(email, "EMAIL").replace(donation.public_token, "TOKEN")
    assert 'value="Mallory Stranger"' in pages["known@example.org"]
    assert pages["known@example.org"] == pages["unknown@example.org"]


# --- The limited session the success page's button opens ---------------------------------------


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


# --- What a stranger types ---------------------------------------------------------------------

LINKS_AND_NUMBERS = [
    '<a href="http://evil.example">CLICK</a> Urgent: call 0800 1234',
    "Urgent call +31 20 123 4567",
    "visit evil.example now",
    "www.evil.example",
    "ann@evil.example",
    "http//evil",
    "Ann 2",
    "Ann_Donor",
    "...",
    "x" * 101,
    "Bel \u24ea\u2465\u2460\u2461\u2462\u2463\u2464\u2465 Urgent",  # circled digits
    "Bel \u2070\u2076\u00b9\u00b2 Urgent",  # superscript digits
    "Henry \u2167",  # a Roman numeral
    "evil\ua4f8example",  # a letter that looks like a dot
    "evil\uff0eexample",  # a fullwidth dot
    "Visit evil\ua78fcom now",  # LATIN LETTER SINOLOGICAL DOT
    "evil\u1427com",  # CANADIAN SYLLABICS FINAL MIDDLE DOT
    "evil\u318dcom",  # HANGUL LETTER ARAEA
    "evil\u02d1com",  # MODIFIER LETTER HALF TRIANGULAR COLON
    "Jan evil.c\u0300om",  # a dot before a letter with a loose accent
]


@pytest.mark.parametrize("name", LINKS_AND_NUMBERS)
def test_a_name_with_a_link_or_a_number_is_refused_and_nothing_is_sent(client, mollie, name):  # noqa: F811
    """Finding 8: the thank-you to someone else's address said "Dear <a link and a phone
    number>"."""
    response = client.post(donate_url(), {**FORM, "name": name, "email": "ann@example.org"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "as in a name" in page or "at most 100 characters" in page
    assert not Donation.objects.exists() and not Supporter.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "name",
    [
        "Zoë van der Berg-Smit",
        "J.R.R. Tolkien",
        "O\u2019Brien",
        "D'Arcy St. John",
        "Åsa Öberg",
        "Иван Петров",
        "李小龍",
        "Nguyễn Văn An",
        "Zoe\u0308 Decomposed",
        "\u017baneta Kowalska",  # a letter WITH a dot is a letter
        "\u0130lker \u00d6zt\u00fcrk",
    ],
)
def test_names_in_any_script_are_welcome(client, mollie, name):  # noqa: F811
    donation, _ = start(client, name=name)
    assert donation.supporter.name.startswith(name.split()[0][:2])


def test_a_name_stored_before_the_rules_never_reaches_an_email(client, mollie):  # noqa: F811
    make_supporter("ann@example.org", "Call 0800 1234 at evil.example")
    donation, mollie_id = start(Client(), email="ann@example.org", name="Ann")
    pay(client, mollie, donation, mollie_id)
    [thanks] = mail.outbox
    assert "0800" not in thanks.body and "evil" not in thanks.body
    assert thanks.body.startswith("Hello,")


def test_the_profile_takes_only_a_name(client):
    ann = make_supporter()
    log_in(client, ann)
    refused = client.post(url("profile"), {"name": "Call 0800 1234", "language": "en"})
    assert refused.status_code == 400
    ann.refresh_from_db()
    assert ann.name == "Ann"


def test_every_gift_in_the_donors_name_has_its_own_customer(mollie):  # noqa: F811
    """The same address giving twice (the donor, or a stranger) never shares a customer."""
    _a, first = regular_gift(mollie, email="ann@example.org", name="Ann", amount="10")
    _b, second = regular_gift(mollie, email="ann@example.org", name="Ann", amount="15")
    assert first.customer_id != second.customer_id
    assert Subscription.objects.filter(supporter=first.supporter).count() == 2


def test_a_supporter_cannot_mail_a_stranger_again_and_again_through_an_address_change(client):
    """Attacked again: a supporter asked to move to victim+CALL-0900-...-{i}@ again and again;
    each email reached the victim's mailbox and said the typed address in its text."""
    mallory = make_supporter("mallory@example.org", "Mallory")
    log_in(client, mallory)
    mail.outbox.clear()
    answers = [
        client.post(
            url("email_change"), {"new_email": f"victim+CALL-0900-1234567-now-{n}@example.org"}
        ).status_code
        for n in range(8)
    ]
    assert answers[:3] == [303, 303, 303] and set(answers[3:]) == {429}
    assert len(mail.outbox) == 3
    assert all("0900" not in m.body and "0900" not in m.alternatives[0][0] for m in mail.outbox)


def test_every_spelling_of_one_mailbox_counts_as_that_mailbox():
    from supporters.models import mailbox_of

    assert mailbox_of("Victim+CALL-0900@Example.org") == "victim@example.org"
    assert mailbox_of("v.i.c.tim+x@gmail.com") == mailbox_of("victim@googlemail.com").replace(
        "googlemail", "gmail"
    )
    assert mailbox_of("jan.de.vries@example.org") == "jan.de.vries@example.org"


def test_mandates_by_iban_are_budgeted_per_client_address_and_account(mollie):  # noqa: F811
    """Someone trying accounts or addresses from one place, or one account from many places,
    runs out of budget: per client three a day, per mailbox two a day (however it is spelt),
    per account two in thirty days."""

    def attempt(client, **fields) -> int:
        page = client.post(reverse("donations:donate"), {**MANDATE_FORM, **fields})
        assert page.status_code == 200, page.content.decode()[:500]
        signed = client.post(
            reverse("donations:mandate_sign"), {"payload": payload_of(page), "agree": "on"}
        )
        return signed.status_code

    ibans = ["NL91ABNA0417164300", "DE89370400440532013000", "NL02ABNA0123456789",
             "BE68539007547034", "FR1420041010050500013M02606"]  # fmt: skip
    one_place = Client(REMOTE_ADDR="203.0.113.7")
    assert [attempt(one_place, email=f"p{n}@example.org", iban=i) for n, i in
            enumerate(ibans[:4])] == [303, 303, 303, 429]  # fmt: skip
    one_mailbox = ["a.nn@gmail.com", "ann+x@gmail.com", "ANN@gmail.com"]
    assert [
        attempt(Client(REMOTE_ADDR=f"198.51.100.{n}"), email=email, iban=ibans[n])
        for n, email in enumerate(one_mailbox)
    ] == [303, 303, 429]
    assert [
        attempt(Client(REMOTE_ADDR=f"192.0.2.{n}"), email=f"q{n}@example.org", iban=ibans[4])
        for n in range(3)
    ] == [303, 303, 429]
    # What the refused attempts would have made, was not made.
    assert BankMandate.objects.filter(status="active").count() == 3 + 2 + 2
