"""A direct debit the bank returns, handled by the bank's reason (donations/bank_reasons.py),
end to end against the sandbox: lack of funds is tried once more, an account that cannot be
debited halts the gift until the donor gives another, a refusal or reversal is not tried
again, and staff see each with what the site did."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from donations import services
from donations.models import BankMandate, Payment, Subscription

from ..supporters.conftest import log_in, url
from .conftest import subjects, webhook
from .test_direct_debit import FIRST, give

pytestmark = pytest.mark.django_db


@pytest.fixture
def gift(client, mollie):
    """A monthly gift of €10 by mandate, its notice sent; the mailbox emptied."""
    mandate = give(client)
    mail.outbox.clear()
    return Subscription.objects.get(donation=mandate.donation)


@pytest.fixture
def collect(client, mollie, fixed_clock):
    """`collect(outcome=, reason=, to=)`: the gift's collection on `to`, pending for three
    days, then `outcome` (with the bank's `reason`); the webhook tells the site. The site's
    clock and the sandbox's move together, as they do in life."""

    def collect(*, outcome="paid", reason=None, to=FIRST) -> Payment:
        fixed_clock.move_to(datetime.datetime.combine(to, datetime.time(10)))
        [charge] = mollie.advance_clock(outcome=outcome, reason=reason)["charged"]
        fixed_clock.shift(datetime.timedelta(days=3))
        mollie.advance_clock()
        assert webhook(client, charge).status_code == 200
        return Payment.objects.get(mollie_id=charge)

    return collect


def reconcile():
    report = services.payments_reconcile(older_than_minutes=0, workers=1)
    assert report.errors == []
    return report


def test_insufficient_funds_is_tried_once_more_a_few_days_later(
    client, mollie, gift, collect, fixed_clock
):
    returned = collect(outcome="failed", reason="AM04")
    assert (returned.bank_reason_code, returned.recovery) == ("AM04", "retry-due")
    assert returned.retry_due_on == FIRST + datetime.timedelta(days=3 + 5)  # settled, then 5
    assert subjects() == []  # no "could not collect" email while a new attempt is planned
    assert reconcile().returned_debits_followed == 0  # not due yet
    fixed_clock.move_to(datetime.datetime.combine(returned.retry_due_on, datetime.time(10)))
    assert reconcile().returned_debits_followed == 1
    retry = Payment.objects.get(retry_of=returned)
    at_mollie = mollie.store.payments[retry.mollie_id]
    assert at_mollie["sequenceType"] == "recurring" and at_mollie["mandateId"] == gift.mandate_id
    assert retry.amount == returned.amount and retry.subscription == gift
    returned.refresh_from_db()
    assert returned.recovery == "retried"
    assert reconcile().returned_debits_followed == 0  # once only
    fixed_clock.shift(datetime.timedelta(days=3))  # the new attempt is collected
    mollie.advance_clock()
    webhook(client, retry.mollie_id)
    retry.refresh_from_db()
    gift.refresh_from_db()
    assert retry.is_paid and gift.failed_in_a_row == 0
    returned.refresh_from_db()
    assert returned.recovered
    assert subjects() == []


def test_a_new_attempt_that_fails_too_sends_the_usual_email(
    client, mollie, gift, collect, fixed_clock
):
    returned = collect(outcome="failed", reason="AM04")
    fixed_clock.move_to(datetime.datetime.combine(returned.retry_due_on, datetime.time(10)))
    reconcile()
    retry = Payment.objects.get(retry_of=returned)
    mollie.set_payment_status(retry.mollie_id, "failed", reason="AM04")
    webhook(client, retry.mollie_id)
    retry.refresh_from_db()
    assert retry.recovery == "usual" and not Payment.objects.filter(retry_of=retry).exists()
    assert subjects() == ["Your regular gift could not be collected"]


def test_no_new_attempt_for_a_gift_stopped_meanwhile(client, mollie, gift, collect, fixed_clock):
    returned = collect(outcome="failed", reason="AM04")
    services.subscription_cancel(subscription=gift, actor=services_actor())
    fixed_clock.move_to(datetime.datetime.combine(returned.retry_due_on, datetime.time(10)))
    reconcile()
    returned.refresh_from_db()
    assert returned.recovery == "not-retried" and not Payment.objects.filter(retry_of=returned)


def services_actor():
    from core.actors import Actor

    return Actor.system()


@pytest.mark.parametrize("reason", ["AC04", "AC06", "MD01"])
def test_an_account_that_cannot_be_debited_halts_the_gift_until_another_is_given(
    client, mollie, gift, collect, fixed_clock, reason
):
    mandate = BankMandate.objects.get(donation=gift.donation)
    returned = collect(outcome="failed", reason=reason)
    assert returned.recovery == "halted"
    gift.refresh_from_db()
    assert (gift.phase, gift.state, gift.halted_reason) == ("halted", "at_risk", reason)
    assert gift.canceled_at is None  # halted, not stopped
    assert mollie.store.subscriptions[gift.mollie_id]["status"] == "canceled"
    assert mollie.store.mandates[mandate.mollie_id]["status"] == "invalid"  # revoked
    mandate.refresh_from_db()
    assert (mandate.status, mandate.end, mandate.holder_name) == ("ended", "bank", "")
    assert subjects() == ["Your bank could not collect your gift"]
    assert "/supporters/login/?next=" in mail.outbox[0].body  # to a new payment method
    # Nothing more is collected.
    fixed_clock.shift(datetime.timedelta(days=60))
    assert mollie.advance_clock()["charged"] == []
    # The donor gives another account in the area: the gift goes on from its next day.
    log_in(client, gift.supporter)
    home = client.get(url("home")).content.decode()
    assert "Your bank could not collect this gift" in home
    page = client.get(url("bank_account", gift=gift.pk))
    assert page.status_code == 200
    signed = page.context["signed_reference"]
    response = client.post(
        url("bank_account", gift=gift.pk),
        {"holder": "A. Example", "iban": "DE89 3704 0044 0532 0130 00", "agree": "on",
         "reference": signed},
    )  # fmt: skip
    assert response.status_code == 303 and response["Location"].endswith("?changed=account")
    gift.refresh_from_db()
    new = BankMandate.objects.get(donation=gift.donation, status="active")
    assert new.iban_masked == "DE** **** **** 3000" and gift.mandate_id == new.mollie_id
    assert (gift.phase, gift.halted_reason) == ("running", "")
    assert mollie.store.subscriptions[gift.mollie_id]["mandateId"] == new.mollie_id


def test_a_deceased_account_holder_halts_quietly_and_is_shown_to_staff(
    client, mollie, gift, collect
):
    returned = collect(outcome="failed", reason="MD07")
    gift.refresh_from_db()
    assert returned.recovery == "halted-quietly" and gift.phase == "halted"
    assert gift.attention_since is not None
    assert subjects() == []


def test_a_refusal_is_not_tried_again_and_a_second_one_is_shown_to_staff(
    client, mollie, gift, collect
):
    first = collect(outcome="failed", reason="MS02")
    assert first.recovery == "told" and not Payment.objects.filter(retry_of=first).exists()
    assert subjects() == ["Your bank refused a collection"]
    assert "refused by the account holder" in mail.outbox[0].body
    gift.refresh_from_db()
    assert gift.attention_since is None and gift.phase == "running"
    # The next month the collection goes through, and then the donor has it reversed.
    paid = collect(to=FIRST + datetime.timedelta(days=31))
    assert paid.is_paid
    mollie.chargeback(paid.mollie_id)
    webhook(client, paid.mollie_id)
    paid.refresh_from_db()
    gift.refresh_from_db()
    assert (paid.recovery, paid.bank_reason_code) == ("flagged", "MD06")
    assert gift.attention_since is not None and gift.phase == "running"
    assert subjects()[-1] == "Your bank has reversed a gift"


def test_staff_see_returned_debits_by_reason_and_what_was_done(
    mollie, gift, collect, django_user_model
):
    collect(outcome="failed", reason="AM04")
    # Logged in now (the clock moved on by weeks: an earlier login would have expired).
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(
        django_user_model.objects.create_user("staff", is_staff=True, is_superuser=True)
    )
    page = staff.get(reverse("staff:returned_debits"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Not enough money in the account" in text and "AM04" in text
    assert "a new attempt is planned" in text
    assert staff.get(reverse("staff:returned_debits"), {"start": "x"}).status_code == 400


def test_a_halt_mollie_was_away_for_is_made_by_reconciliation(
    client, mollie, gift, collect, monkeypatch
):
    from donations import gateway

    real = gateway.subscription_cancel

    def down(**kwargs):
        raise services.PaymentProviderUnavailable("Mollie is down")

    monkeypatch.setattr(gateway, "subscription_cancel", down)
    returned = collect(outcome="failed", reason="AC04")
    assert returned.recovery == "halting"
    monkeypatch.setattr(gateway, "subscription_cancel", real)
    reconcile()
    returned.refresh_from_db()
    gift.refresh_from_db()
    assert returned.recovery == "halted" and gift.phase == "halted"
    assert subjects() == ["Your bank could not collect your gift"]


def test_a_return_without_a_known_reason_gets_the_usual_email(client, mollie, gift, collect):
    returned = collect(outcome="failed")  # no reason the site knows
    assert (returned.bank_reason_code, returned.recovery) == ("", "usual")
    assert not Payment.objects.filter(retry_of=returned).exists()
    gift.refresh_from_db()
    assert gift.phase == "running" and gift.failed_in_a_row == 1
    assert subjects() == ["Your regular gift could not be collected"]


def test_the_banks_reason_is_told_in_the_donors_language(client, mollie, gift, collect):
    """The webhook may arrive in any language (Mollie's calls carry none): the email names the
    reason in the donor's."""
    from django.utils import translation

    with translation.override("nl"):
        collect(outcome="failed", reason="MS02")
    assert "refused by the account holder" in mail.outbox[-1].body


def test_staff_find_an_accounts_mandates_and_mark_gifts_as_dealt_with(
    mollie, gift, collect, django_user_model
):
    collect(outcome="failed", reason="MD07")
    gift.refresh_from_db()
    assert gift.attention_reason == "deceased"
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(
        django_user_model.objects.create_user("staff", is_staff=True, is_superuser=True)
    )
    listing = reverse("admin:donations_bankmandate_changelist")
    found = staff.get(listing, {"q": "nl91 abna 0417 1643 00"}).content.decode()
    assert "NL** **** **** 4300" in found
    assert "NL** **** **** 4300" not in staff.get(listing, {"q": SECOND_IBAN}).content.decode()
    assert "account holder deceased" in staff.get(reverse("staff:returned_debits")).content.decode()
    staff.post(
        reverse("admin:donations_subscription_changelist"),
        {"action": "attention_done", "_selected_action": [gift.pk]},
    )
    gift.refresh_from_db()
    assert (gift.attention_since, gift.attention_reason) == (None, "")
    assert "None." in staff.get(reverse("staff:returned_debits")).content.decode()


SECOND_IBAN = "DE89370400440532013000"
