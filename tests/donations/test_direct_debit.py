"""Giving by direct-debit mandate (machtiging), end to end over real HTTP against the sandbox:
the form and its mandate page, the notice, the first collection no earlier than the notice
allows, "this was not me", and the answers to a bad IBAN."""

import base64
import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from core.models import AuditEvent
from donations import services
from donations.models import BankMandate, Donor, Payment, Subscription

from .conftest import FORM, donate_url, subjects, webhook

pytestmark = pytest.mark.django_db

IBAN = "NL91ABNA0417164300"
TYPED = "nl91 abna 0417 1643 00"  # as a donor may type it
TODAY = datetime.date(2026, 6, 15)  # the tests' fixed clock
FIRST = TODAY + datetime.timedelta(days=14)
MANDATE_FORM = {
    **FORM,
    "frequency": "monthly",
    "amount": "10",
    "route": "mandate",
    "holder": "A. Example",
    "iban": TYPED,
}


def mandate_page(client, **fields):
    """The donate form sent with "direct debit": the page with the mandate to agree to."""
    return client.post(donate_url(), {**MANDATE_FORM, **fields})


def payload_of(page) -> str:
    return re.search(r'name="payload" value="([^"]+)"', page.content.decode()).group(1)


def give(client, **fields) -> BankMandate:
    """Fill in the form, agree to the mandate: the mandate the gift was given with."""
    page = mandate_page(client, **fields)
    assert page.status_code == 200, page.content.decode()[:2000]
    response = client.post(
        reverse("donations:mandate_sign"), {"payload": payload_of(page), "agree": "on"}
    )
    assert response.status_code == 303, response.content.decode()[:2000]
    token = response["Location"].rstrip("/").rsplit("/", 1)[1]
    return BankMandate.objects.get(donation__public_token=token)


def stop_link() -> str:
    [body] = [m.body for m in mail.outbox if "direct debit" in m.subject]
    return re.search(r"http://\S+/donate/mandate/stop/\S+/", body).group(0)


def test_the_mandate_page_shows_what_is_agreed_to_before_anything_happens(client, mollie):
    page = mandate_page(client)
    text = page.content.decode()
    assert page.status_code == 200
    for shown in (
        "Stichting Mollie Payments",
        "NL08ZZZ502057730000",
        "NL** **** **** 4300",
        "A. Example",
        "not before 29 June 2026",
        "within eight weeks",
    ):
        assert shown in text
    reference = re.search(r"<dt>Mandate reference</dt><dd>([A-Z0-9-]+)</dd>", text).group(1)
    assert reference.startswith("DRN-") and len(reference) <= 35
    assert IBAN not in text and "0417 1643" not in text  # only the masked account is shown
    sealed = payload_of(page)  # what travels back is sealed, not only signed
    assert b"NL91" not in base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
    # Nothing exists yet, here or at Mollie.
    assert BankMandate.objects.count() == 0 and mollie.store.mandates == {}
    # Without the tick, nothing either.
    refused = client.post(reverse("donations:mandate_sign"), {"payload": payload_of(page)})
    assert refused.status_code == 400 and "Tick the box" in refused.content.decode()
    assert mollie.store.customers == {}


def test_a_monthly_gift_by_mandate_is_collected_no_earlier_than_the_notice_allows(client, mollie):
    mandate = give(client)
    assert (mandate.status, mandate.iban_masked) == ("active", "NL** **** **** 4300")
    at_mollie = mollie.store.mandates[mandate.mollie_id]
    assert at_mollie["details"]["consumerAccount"] == IBAN
    assert at_mollie["mandateReference"] == mandate.reference
    assert at_mollie["signatureDate"] == TODAY.isoformat()
    # Its own customer, never another gift's.
    assert at_mollie["customerId"] == mandate.donation.mollie_customer_id
    # The notice went out, and only then was the gift made, pinned to the mandate.
    assert subjects() == ["Your direct debit: what we will collect, and when"]
    body = mail.outbox[0].body
    assert mandate.reference in body and "NL** **** **** 4300" in body
    assert "29 June 2026" in body and "/donate/mandate/stop/" in body
    mandate.refresh_from_db()
    assert mandate.notice_sent_at is not None and mandate.first_collection_on == FIRST
    gift = Subscription.objects.get(donation=mandate.donation)
    assert gift.mandate_id == mandate.mollie_id and gift.start_date == FIRST
    assert mollie.store.subscriptions[gift.mollie_id]["mandateId"] == mandate.mollie_id
    # The page the donor lands on says what and when.
    done = client.get(reverse("donations:mandate_done", args=[mandate.donation.public_token]))
    assert "29 June 2026" in done.content.decode() and mandate.reference in done.content.decode()
    # Nothing is collected before that day; then it is, pending for days, then paid.
    assert (
        mollie.advance_clock(to=(FIRST - datetime.timedelta(days=1)).isoformat())["charged"] == []
    )
    [charge] = mollie.advance_clock(to=FIRST.isoformat())["charged"]
    assert mollie.store.payments[charge]["status"] == "pending"
    assert mollie.advance_clock(days=3)["settled"] == [charge]
    assert webhook(client, charge).status_code == 200
    paid = Payment.objects.get(mollie_id=charge)
    assert paid.is_paid and paid.subscription == gift and paid.amount == Decimal("10.00")
    # The first paid collection is the donor's first gift.
    assert Donor.objects.get(supporter=mandate.donation.supporter).first_gift_at is not None


def test_this_was_not_me_stops_everything_once_without_a_login(client, mollie):
    mandate = give(client)
    gift = Subscription.objects.get(donation=mandate.donation)
    link = stop_link().removeprefix("http://testserver")
    page = client.get(link)  # opening the link changes nothing (mail scanners open links)
    assert page.status_code == 200 and "Yes, stop the direct debit" in page.content.decode()
    assert "Example" not in page.content.decode() and "4300" not in page.content.decode()
    mandate.refresh_from_db()
    assert mandate.is_active
    stopped = client.post(link)
    assert stopped.status_code == 200 and "Nothing will be collected" in stopped.content.decode()
    mandate.refresh_from_db()
    gift.refresh_from_db()
    assert (mandate.status, mandate.end, mandate.holder_name) == ("ended", "not-me", "")
    assert mandate.revoked_at is not None
    assert mollie.store.mandates[mandate.mollie_id]["status"] == "invalid"
    assert gift.state == "stopped" and mollie.store.subscriptions[gift.mollie_id]["status"] == (
        "canceled"
    )
    assert (
        mollie.advance_clock(to=(FIRST + datetime.timedelta(days=40)).isoformat())["charged"] == []
    )
    assert AuditEvent.objects.filter(action="mandate.stop", actor_label="stop link").exists()
    # Once: the link no longer works, and says nothing about whose it was.
    again = client.post(link)
    assert again.status_code == 404 and "no longer works" in again.content.decode()
    assert client.get(link).status_code == 404


def test_a_stop_link_expires(client, mollie, fixed_clock):
    give(client)
    link = stop_link().removeprefix("http://testserver")
    fixed_clock.move_to(datetime.datetime(2026, 8, 15, 10, 0, tzinfo=datetime.UTC))
    assert client.post(link).status_code == 404
    assert BankMandate.objects.get().is_active


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("NL92ABNA0417164300", "does not add up"),
        ("NL91ABNA041716430", "too many or too few characters"),
        ("XX91ABNA0417164300", "starts with a country code"),
        ("hello", "not a valid IBAN"),
        ("BR1500000000000010932840814P2", "only from an account in the SEPA area"),
        ("", "Enter your IBAN"),
    ],
)
def test_a_bad_iban_is_refused_on_its_field(client, mollie, typed, message):
    page = mandate_page(client, iban=typed)
    assert page.status_code == 400
    assert message in page.content.decode()
    assert 'id="id_iban_error"' in page.content.decode()
    assert BankMandate.objects.count() == 0 and mollie.store.customers == {}


def test_direct_debit_is_for_regular_gifts(client, mollie):
    page = mandate_page(client, frequency="oneoff")
    assert page.status_code == 400
    assert "Direct debit is for regular gifts" in page.content.decode()


def test_an_account_mollie_refuses_sends_the_donor_back_to_the_field(client, mollie, monkeypatch):
    """Mollie checks IBANs itself; one it refuses (422 on consumerAccount) is no crash."""
    page = mandate_page(client)
    from mollie_sandbox import validation

    monkeypatch.setitem(validation.IBAN_LENGTHS, "NL", 19)  # Mollie now refuses every NL IBAN
    response = client.post(
        reverse("donations:mandate_sign"), {"payload": payload_of(page), "agree": "on"}
    )
    assert response.status_code == 400
    assert "does not accept this account" in response.content.decode()
    assert BankMandate.objects.get().end == "refused"
    assert Subscription.objects.count() == 0


def test_a_changed_or_stale_mandate_page_is_refused(client, mollie, fixed_clock):
    page = mandate_page(client)
    payload = payload_of(page)
    forged = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    answer = client.post(reverse("donations:mandate_sign"), {"payload": forged, "agree": "on"})
    assert answer.status_code == 400 and "fill in the form again" in answer.content.decode()
    fixed_clock.shift(datetime.timedelta(minutes=31))
    stale = client.post(reverse("donations:mandate_sign"), {"payload": payload, "agree": "on"})
    assert stale.status_code == 400
    assert BankMandate.objects.count() == 0


def test_the_same_agreement_sent_twice_gives_one_mandate(client, mollie):
    page = mandate_page(client)
    data = {"payload": payload_of(page), "agree": "on"}
    first = client.post(reverse("donations:mandate_sign"), data)
    second = client.post(reverse("donations:mandate_sign"), data)
    assert first["Location"] == second["Location"]
    assert BankMandate.objects.count() == 1 and len(mollie.store.mandates) == 1


def test_change_something_goes_back_to_the_filled_in_form(client, mollie):
    page = mandate_page(client)
    back = client.post(
        reverse("donations:mandate_sign"), {"payload": payload_of(page), "change": "1"}
    )
    text = back.content.decode()
    assert back.status_code == 200 and 'value="A. Example"' in text and "ann@example.org" in text


def test_a_notice_that_cannot_be_sent_means_nothing_is_collected(
    client, mollie, monkeypatch, fixed_clock
):
    """The notice bounces for good (a mail server refuses it): no gift is made at Mollie,
    and reconciliation ends the mandate and revokes it."""
    from django.core.mail import EmailMultiAlternatives

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("the mail server said no")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    mandate = give(client)
    mandate.refresh_from_db()
    assert mandate.notice_sent_at is None
    assert Subscription.objects.count() == 0 and mollie.store.subscriptions == {}
    fixed_clock.shift(datetime.timedelta(minutes=11))
    report = services.payments_reconcile(older_than_minutes=0, workers=1)
    assert report.errors == []
    mandate.refresh_from_db()
    assert (mandate.status, mandate.end, mandate.holder_name) == ("ended", "unnotified", "")
    assert mandate.revoked_at is not None
    assert mollie.store.mandates[mandate.mollie_id]["status"] == "invalid"
    assert Subscription.objects.count() == 0


def test_the_same_agreement_sent_twice_at_once_gives_one_mandate(client, mollie, monkeypatch):
    """Two clicks at once: the second meets the first's reference in the database (its row
    inserted between the check and the insert) and shows the first's gift, not an error."""
    from donations.services import direct_debit

    page = mandate_page(client)
    data = {"payload": payload_of(page), "agree": "on"}
    real_terms = direct_debit.mandate_terms

    def first_arrives_meanwhile(reference=""):
        terms = real_terms(reference=reference)
        if not BankMandate.objects.filter(reference=terms.reference).exists():
            monkeypatch.setattr(direct_debit, "mandate_terms", real_terms)
            assert client.post(reverse("donations:mandate_sign"), data).status_code == 303
        return terms

    monkeypatch.setattr(direct_debit, "mandate_terms", first_arrives_meanwhile)
    second = client.post(reverse("donations:mandate_sign"), data)
    assert second.status_code == 303
    assert BankMandate.objects.count() == 1 and len(mollie.store.mandates) == 1
