"""A regular gift through its whole life, end to end against the sandbox over real HTTP:
how often, pausing, a new payment method, failed and reversed charges, notices ahead."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils.dateparse import parse_datetime

from core.models import EmailLog
from donations import gateway, services
from donations.models import MandateChange, Payment, Subscription
from donations.services.charges import subscription_charged
from donations.services.mandates import old_mandates_revoke

from ..donations.conftest import (  # noqa: F401 (mollie: a fixture)
    charges_settled,
    mollie,
    pay,
    start,
    webhook,
)
from .conftest import last_code, log_in, make_supporter, url

pytestmark = pytest.mark.django_db


def subjects() -> list[str]:
    return [message.subject for message in mail.outbox]


@pytest.fixture
def gift(client, mollie):  # noqa: F811
    """Ann's monthly gift of 10 euros, paid for June; logged in to the supporter area."""
    donation, mollie_id = start(client, frequency="monthly", amount="10")
    pay(client, mollie, donation, mollie_id, "paid")
    log_in(client, donation.supporter)
    mail.outbox.clear()
    return Subscription.objects.get(donation=donation)


def mollie_sub(mollie, gift):  # noqa: F811
    gift.refresh_from_db()
    return mollie.store.subscriptions[gift.mollie_id]


def charges(gift) -> list[Payment]:
    return list(gift.payments.filter(sequence_type="recurring").order_by("created_at", "pk"))


# --- How often -----------------------------------------------------------------------------


def test_a_quarterly_gift_is_charged_every_three_months(client, mollie, settings):  # noqa: F811
    settings.DONATION_FREQUENCIES = ["monthly", "quarterly", "yearly", "oneoff"]
    donation, mollie_id = start(client, frequency="quarterly", amount="other", other_amount="30")
    pay(client, mollie, donation, mollie_id, "paid")
    gift = Subscription.objects.get(donation=donation)
    assert gift.interval == "3 months" and gift.months == 3
    assert gift.start_date == datetime.date(2026, 9, 15)  # paid on 15 June
    gift.supporter.refresh_from_db()
    assert gift.supporter.donor.first_gift_at.date() == datetime.date(2026, 6, 15)  # its cohort
    assert mollie.store.subscriptions[gift.mollie_id]["interval"] == "3 months"
    assert gift.monthly_amount == Decimal("10.00")


def test_only_the_frequencies_the_site_offers_are_accepted(client, mollie):  # noqa: F811
    response = client.post(
        "/en/donate/",
        {"frequency": "yearly", "amount": "25", "name": "Ann", "email": "a@example.org"},
    )
    assert response.status_code == 400
    assert Subscription.objects.count() == 0


# --- The next charge date -------------------------------------------------------------------


def test_the_next_charge_date_follows_mollies_schedule_at_the_end_of_a_month(
    client,
    mollie,  # noqa: F811
    fixed_clock,
):
    """A gift that starts on the 31st: Mollie counts from the start date (28 Feb, then 31 Mar),
    and the supporter area shows the same date as Mollie after every charge."""
    fixed_clock.move_to(datetime.datetime(2026, 12, 31, 10, 0, tzinfo=datetime.UTC))
    donation, mollie_id = start(client, frequency="monthly", amount="10")
    pay(client, mollie, donation, mollie_id, "paid")
    gift = Subscription.objects.get(donation=donation)
    log_in(client, gift.supporter)
    seen = []
    for month_end in ("2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"):
        [charge] = mollie.advance_clock(to=month_end)["charged"]
        webhook(client, charge)
        gift.refresh_from_db()
        seen.append((str(gift.next_payment_date), mollie_sub(mollie, gift)["nextPaymentDate"]))
        page = client.get(url("home"))
        assert page.context["gifts"][0].next_payment_date == gift.next_payment_date
    assert seen == [
        ("2027-02-28", "2027-02-28"),
        ("2027-03-31", "2027-03-31"),
        ("2027-04-30", "2027-04-30"),
        ("2027-05-31", "2027-05-31"),
        ("2027-06-30", "2027-06-30"),
    ]


def test_a_pause_at_the_end_of_a_month_resumes_on_the_gifts_own_day(
    client,
    mollie,  # noqa: F811
    fixed_clock,
):
    fixed_clock.move_to(datetime.datetime(2026, 12, 31, 10, 0, tzinfo=datetime.UTC))
    donation, mollie_id = start(client, frequency="monthly", amount="10")
    pay(client, mollie, donation, mollie_id, "paid")
    gift = Subscription.objects.get(donation=donation)
    log_in(client, gift.supporter)
    [charge] = mollie.advance_clock(to="2027-01-31")["charged"]
    webhook(client, charge)
    client.post(url("monthly_pause"), {"months": "1"})  # skips 28 February
    gift.refresh_from_db()
    assert gift.paused_until == datetime.date(2027, 3, 31)  # not the 28th
    assert mollie_sub(mollie, gift)["startDate"] == "2027-03-31"


def test_charges_of_several_months_at_once_move_the_date_once_each(
    client,
    mollie,  # noqa: F811
    gift,
):
    """Mollie catches up three months at once and the three webhooks are handled side by side:
    each read the gift before the others wrote it, and still the date moves three times."""
    charges_made = mollie.advance_clock(to="2026-09-15")["charged"]
    assert len(charges_made) == 3
    read_before = [Subscription.objects.get(pk=gift.pk) for _ in charges_made]
    for subscription, charge in zip(read_before, charges_made, strict=True):
        data = mollie.store.payments[charge]
        subscription_charged(
            subscription, charged_on=parse_datetime(data["createdAt"]), status=data["status"]
        )
    gift.refresh_from_db()
    assert str(gift.next_payment_date) == mollie_sub(mollie, gift)["nextPaymentDate"]
    assert gift.next_payment_date == datetime.date(2026, 10, 15)


# --- Pausing -------------------------------------------------------------------------------


def test_a_pause_across_a_month_boundary_charges_nothing_and_then_goes_on(
    client,
    mollie,  # noqa: F811
    gift,
):
    assert gift.next_payment_date == datetime.date(2026, 7, 15)
    page = client.get(url("monthly_pause"))
    assert page.status_code == 200 and "Pause my gift" in page.content.decode()
    response = client.post(url("monthly_pause"), {"months": "1"})
    assert response.status_code == 303 and response["Location"].endswith("?changed=paused")
    gift.refresh_from_db()
    assert gift.paused_until == datetime.date(2026, 8, 15) and gift.state == "paused"
    assert gift.canceled_at is None  # the gift did not stop
    assert mollie_sub(mollie, gift)["startDate"] == "2026-08-15"
    assert "Paused until 15 August 2026" in client.get(url("home")).content.decode()
    assert subjects() == ["Your gift is paused"]

    assert mollie.advance_clock(to="2026-07-31")["charged"] == []  # July is skipped
    [charge] = mollie.advance_clock(to="2026-08-15")["charged"]
    assert webhook(client, charge).status_code == 200
    gift.refresh_from_db()
    assert [p.mollie_id for p in charges(gift)] == [charge]
    assert (gift.paused_until, gift.state) == (None, "active")
    assert gift.next_payment_date == datetime.date(2026, 9, 15)


def test_ending_a_pause_early_charges_again_from_the_next_regular_day(
    client,
    mollie,  # noqa: F811
    gift,
):
    client.post(url("monthly_pause"), {"months": "3"})
    gift.refresh_from_db()
    assert gift.paused_until == datetime.date(2026, 10, 15)
    response = client.post(url("monthly_resume"))
    assert response.status_code == 303 and response["Location"].endswith("?changed=resumed")
    gift.refresh_from_db()
    assert (gift.paused_until, gift.state) == (None, "active")
    assert gift.next_payment_date == datetime.date(2026, 7, 15)
    assert mollie_sub(mollie, gift)["nextPaymentDate"] == "2026-07-15"
    assert subjects() == ["Your gift is paused", "Your gift continues"]


def test_ending_a_pause_early_while_mollie_is_away_still_tells_the_donor(
    client,
    mollie,  # noqa: F811
    gift,
    monkeypatch,
):
    """The page says "we emailed you"; when Mollie's second step waits for reconciliation,
    the email still goes, with the day the gift continues."""
    client.post(url("monthly_pause"), {"months": "3"})
    real_create = gateway.subscription_create

    def down(**kwargs):
        raise services.PaymentProviderUnavailable("Mollie is down")

    monkeypatch.setattr(gateway, "subscription_create", down)
    response = client.post(url("monthly_resume"))
    assert response["Location"].endswith("?changed=resumed")
    assert subjects() == ["Your gift is paused", "Your gift continues"]
    assert "15 July 2026" in mail.outbox[-1].body
    monkeypatch.setattr(gateway, "subscription_create", real_create)
    assert services.payments_reconcile(older_than_minutes=0, workers=1).errors == []
    gift.refresh_from_db()
    assert gift.state == "active" and gift.next_payment_date == datetime.date(2026, 7, 15)
    assert subjects() == ["Your gift is paused", "Your gift continues"]  # not twice


def test_a_pause_while_mollie_cannot_make_the_new_subscription_is_finished_later(
    client,
    mollie,  # noqa: F811
    gift,
    monkeypatch,
):
    real_create = gateway.subscription_create

    def down(**kwargs):
        raise services.PaymentProviderUnavailable("Mollie is down")

    monkeypatch.setattr(gateway, "subscription_create", down)
    assert client.post(url("monthly_pause"), {"months": "2"}).status_code == 303
    gift.refresh_from_db()
    assert (gift.state, gift.status) == ("paused", "canceled")  # paused, never lost
    monkeypatch.setattr(gateway, "subscription_create", real_create)
    report = services.payments_reconcile(older_than_minutes=0, workers=1)
    assert report.pauses_scheduled == 1 and report.errors == []
    gift.refresh_from_db()
    assert gift.status == "active" and gift.next_payment_date == datetime.date(2026, 9, 15)
    assert gift.former_mollie_ids.count() == 1
    assert mollie.advance_clock(to="2026-09-14")["charged"] == []


# --- A new payment method ------------------------------------------------------------------


def _change_method(client, mollie, outcome="paid"):  # noqa: F811
    assert client.get(url("payment_method")).status_code == 200
    response = client.post(url("payment_method"))
    assert response.status_code == 303 and "/checkout/" in response["Location"]
    payment_id = response["Location"].rsplit("/", 1)[1]
    back = mollie.checkout(payment_id, outcome)
    return client.get(back.removeprefix("http://testserver")), payment_id


def test_a_new_payment_method_moves_the_gift_and_refunds_the_check(
    client,
    mollie,  # noqa: F811
    gift,
):
    old_mandate = next(iter(mollie.store.mandates))
    page, check_id = _change_method(client, mollie)
    assert "Done: your gift now uses the new payment method" in page.content.decode()
    change = MandateChange.objects.get()
    assert change.status == "done" and change.new_mandate_id != old_mandate
    assert mollie_sub(mollie, gift)["mandateId"] == change.new_mandate_id
    assert mollie.store.mandates[old_mandate]["status"] == "invalid"  # revoked
    check = Payment.objects.get(mollie_id=check_id)
    assert check.is_verification and check.amount == Decimal("0.01")
    refunds = [r for r in mollie.store.refunds.values() if r["paymentId"] == check_id]
    assert [r["amount"]["value"] for r in refunds] == ["0.01"]
    assert "Your new payment method is set" in subjects()
    # The next charge uses the new mandate; the check is no gift.
    [charge] = charges_settled(mollie, to="2026-07-15")
    assert mollie.store.payments[charge]["mandateId"] == change.new_mandate_id
    webhook(client, charge)
    assert services.payments_reconcile(older_than_minutes=0, workers=1).errors == []
    totals = client.get(url("home")).context["totals"]
    assert totals.all_time == Decimal("20.00")  # June and July, not the cent


def test_a_change_that_finds_nothing_to_do_says_so(client, mollie, gift):  # noqa: F811
    """The payment-method change is done once; reconciliation coming by afterwards to revoke
    old mandates finds none left, and its claim on the gift says "nothing to do", not "done"."""
    _change_method(client, mollie)
    assert old_mandates_revoke(subscription=gift) == 0
    statuses = list(
        gift.changes.filter(kind="mandate").order_by("created_at").values_list("status", flat=True)
    )
    assert statuses == ["done", "unchanged"]


def test_a_new_payment_method_on_a_charge_day_charges_once(client, mollie, gift):  # noqa: F811
    old_mandate = next(iter(mollie.store.mandates))
    # The charge of the day is already on its way from the old mandate (a direct debit).
    [due] = mollie.advance_clock(to="2026-07-15", outcome="pending", settle="paid")["charged"]
    webhook(client, due)
    _change_method(client, mollie)
    change = MandateChange.objects.get()
    assert change.status == "done"
    assert mollie.store.mandates[old_mandate]["status"] == "valid"  # waits for the debit
    assert mollie.advance_clock(days=3)["settled"] == [due]
    webhook(client, due)
    report = services.payments_reconcile(older_than_minutes=0, workers=1)
    assert report.mandates_revoked == 1 and report.errors == []
    assert mollie.store.mandates[old_mandate]["status"] == "invalid"
    mollie.advance_clock(to="2026-08-15")
    recurring = [p for p in mollie.store.payments.values() if p["sequenceType"] == "recurring"]
    assert [p["mandateId"] for p in recurring] == [old_mandate, change.new_mandate_id]
    assert gift.payments.filter(status="paid", is_verification=False).count() == 2


def test_a_check_that_fails_changes_nothing(client, mollie, gift):  # noqa: F811
    mandate_before = mollie_sub(mollie, gift).get("mandateId")
    page, _ = _change_method(client, mollie, outcome="failed")
    assert "did not go through" in page.content.decode()
    assert MandateChange.objects.get().status == "failed"
    assert mollie_sub(mollie, gift).get("mandateId") == mandate_before


def test_nobody_else_sees_a_payment_method_change(client, mollie, gift):  # noqa: F811
    _change_method(client, mollie)
    token = MandateChange.objects.get().public_token
    client.post(url("logout"))
    log_in(client, make_supporter("bob@example.org", "Bob"))
    assert client.get(url("payment_method_return", token=token)).status_code == 404


# --- Failed and reversed charges -----------------------------------------------------------


def test_failed_charges_email_each_time_and_three_in_a_row_put_the_gift_at_risk(
    client,
    mollie,  # noqa: F811
    gift,
):
    for month in (7, 8, 9):
        [charge] = charges_settled(mollie, to=f"2026-{month:02d}-15", outcome="failed")
        webhook(client, charge)
        webhook(client, charge)  # Mollie may call twice: one email
    gift.refresh_from_db()
    assert gift.failed_in_a_row == 3 and gift.state == "at_risk"
    assert subjects() == ["Your regular gift could not be collected"] * 3
    body = mail.outbox[-1].body
    assert "/en/supporters/login/?next=%2Fen%2Fsupporters%2Fmonthly%2Fpayment-method%2F" in body
    assert (
        "Perhaps your bank account or card has changed?" in client.get(url("home")).content.decode()
    )
    [charge] = charges_settled(mollie, to="2026-10-15")
    webhook(client, charge)
    gift.refresh_from_db()
    assert (gift.failed_in_a_row, gift.state) == (0, "active")  # recovered
    failed = gift.payments.filter(status="failed")
    assert failed.count() == 3 and all(p.recovered for p in failed)


def test_the_payment_method_link_in_the_email_leads_there_after_a_code(
    client,
    mollie,  # noqa: F811
    gift,
):
    [charge] = charges_settled(mollie, to="2026-07-15", outcome="failed")
    webhook(client, charge)
    link = next(word for word in mail.outbox[-1].body.split() if "next=" in word)
    client.post(url("logout"))
    path = link.removeprefix("http://testserver")
    assert client.get(path).status_code == 200  # the login page, carrying `next`
    mail.outbox.clear()
    asked = client.post(path, {"email": "ann@example.org"})
    assert asked.status_code == 303
    entered = client.post(asked["Location"], {"email": "ann@example.org", "code": last_code()})
    assert entered["Location"] == url("payment_method")


def test_a_direct_debit_that_fails_days_later_is_recorded_once(
    client,
    mollie,  # noqa: F811
    gift,
):
    [charge] = mollie.advance_clock(to="2026-07-15", outcome="pending", settle="failed")["charged"]
    webhook(client, charge)  # reconciliation or Mollie: we hear of it while pending
    assert Payment.objects.get(mollie_id=charge).status == "pending"
    assert subjects() == []
    assert mollie.advance_clock(days=3)["settled"] == [charge]
    webhook(client, charge)
    assert Payment.objects.get(mollie_id=charge).status == "failed"
    gift.refresh_from_db()
    assert gift.failed_in_a_row == 1
    assert subjects() == ["Your regular gift could not be collected"]


def test_a_chargeback_shows_in_the_history_and_is_no_gift_in_the_statement(
    client,
    mollie,  # noqa: F811
    gift,
):
    [charge] = charges_settled(mollie, to="2026-07-15")
    webhook(client, charge)
    mollie.chargeback(charge)
    webhook(client, charge)
    webhook(client, charge)
    assert subjects() == ["Your bank has reversed a gift"]
    html = client.get(url("home")).content.decode()
    assert "reversed by your bank" in html
    statement = client.get(url("statement", year=2026))
    assert statement.context["statement"].net == Decimal("10.00")  # June only
    assert "reversed by your bank: not a gift" in statement.content.decode()


def test_a_mandate_that_stops_working_suspends_the_gift_and_asks_for_a_new_one(
    client,
    mollie,  # noqa: F811
    gift,
    fixed_clock,
):
    mandate = next(iter(mollie.store.mandates))
    mollie.invalidate_mandate(mandate)
    assert mollie.advance_clock(to="2026-07-15")["charged"] == []
    fixed_clock.move_to(datetime.datetime(2026, 7, 15, 10, 0, tzinfo=datetime.UTC))
    report = services.payments_reconcile(older_than_minutes=0, workers=1)
    assert report.errors == []
    gift.refresh_from_db()
    assert gift.status == "suspended" and gift.state == "at_risk"
    assert subjects() == ["Your gift needs a new payment method"]
    services.payments_reconcile(older_than_minutes=0, workers=1)
    assert subjects() == ["Your gift needs a new payment method"]  # once
    log_in(client, gift.supporter)  # a month later: the old session has ended
    home = client.get(url("home")).content.decode()
    assert "Perhaps your bank account or card has changed?" in home
    # A new payment method starts the gift again, from its next regular day.
    _change_method(client, mollie)
    gift.refresh_from_db()
    assert (gift.status, gift.state) == ("active", "active")
    assert gift.next_payment_date == datetime.date(2026, 8, 15)
    [charge] = mollie.advance_clock(to="2026-08-15")["charged"]
    webhook(client, charge)
    assert Payment.objects.get(mollie_id=charge).subscription_id == gift.pk


# --- Telling the donor ahead ---------------------------------------------------------------


def test_a_higher_amount_is_announced_a_few_days_ahead_once(
    client,
    mollie,  # noqa: F811
    gift,
    fixed_clock,
):
    assert client.post(url("monthly"), {"amount": "15", "confirm": "1"}).status_code == 303
    mail.outbox.clear()
    assert services.pre_debit_notices_send() == 0  # a month ahead: not yet
    fixed_clock.move_to(datetime.datetime(2026, 7, 11, 10, 0, tzinfo=datetime.UTC))
    assert services.pre_debit_notices_send() == 1
    assert services.pre_debit_notices_send() == 0
    assert subjects() == ["Your next gift is collected soon"]
    assert "15 July 2026" in mail.outbox[0].body and "15.00" in mail.outbox[0].body


def test_a_lower_amount_needs_no_notice(client, mollie, gift, fixed_clock):  # noqa: F811
    client.post(url("monthly"), {"amount": "5", "confirm": "1"})
    fixed_clock.move_to(datetime.datetime(2026, 7, 11, 10, 0, tzinfo=datetime.UTC))
    assert services.pre_debit_notices_send() == 0


# --- The periodic gift ---------------------------------------------------------------------

AGREEMENT = {
    "years": "5",
    "ends_on_income_loss": "on",
    "donor_first_names": "Anna Maria",
    "donor_surname": "Example",
    "donor_birth_date": "1980-05-31",
    "donor_birth_place": "Utrecht",
    "donor_street": "Dorpsstraat 1",
    "donor_postcode": "1234 AB",
    "donor_city": "Amsterdam",
    "donor_country": "Nederland",
    "signed_place": "Amsterdam",
    "signed_name": "Anna Maria Example",
    "agree": "on",
}


def test_a_periodic_gift_agreement_is_signed_kept_and_shown(
    client,
    mollie,  # noqa: F811
    gift,
    settings,
):
    settings.ORGANISATION = {**settings.ORGANISATION, "rsin": "123456789"}
    page = client.get(url("agreement_new")).content.decode()
    assert "120.00" in page  # ten a month is 120 a year
    response = client.post(url("agreement_new"), AGREEMENT)
    assert response.status_code == 303
    agreement = gift.agreements.get()
    assert agreement.transaction_number == f"PG-2026-{agreement.pk:05d}"
    assert (agreement.yearly_amount, agreement.years) == (Decimal("120.00"), 5)
    assert agreement.start_date == datetime.date(2026, 7, 15) and agreement.end_year == 2030
    assert agreement.organisation_rsin == "123456789"
    document = client.get(response["Location"]).content.decode()
    for text in (
        "one hundred and twenty euros",
        "from 2026 through 2030",
        "Anna Maria",
        "Utrecht",
        "123456789",
        agreement.transaction_number,
        "unable to work",
    ):
        assert text in document, text
    assert subjects() == ["Your periodic gift agreement"]
    assert agreement.transaction_number in mail.outbox[0].body
    assert agreement.transaction_number in client.get(url("home")).content.decode()
    statement = client.get(url("statement", year=2026)).content.decode()
    assert f"periodic gift agreement {agreement.transaction_number}" in statement
    # A second agreement for the same gift is not made: the page shows the first.
    assert client.get(url("agreement_new"))["Location"] == response["Location"]


def test_an_agreement_needs_every_particular(client, mollie, gift):  # noqa: F811
    incomplete = {**AGREEMENT, "donor_birth_place": "", "agree": ""}
    response = client.post(url("agreement_new"), incomplete)
    assert response.status_code == 400
    assert "Tick the box to sign the agreement." in response.content.decode()
    assert not gift.agreements.exists()


def test_an_agreement_of_someone_else_is_not_found(client, mollie, gift):  # noqa: F811
    client.post(url("agreement_new"), AGREEMENT)
    number = gift.agreements.get().transaction_number
    client.post(url("logout"))
    log_in(client, make_supporter("bob@example.org", "Bob"))
    assert client.get(url("agreement", number=number)).status_code == 404


def test_the_outbox_keeps_one_email_per_event_for_the_whole_life(client, mollie, gift):  # noqa: F811
    client.post(url("monthly_pause"), {"months": "1"})
    client.post(url("monthly_pause"), {"months": "1"})  # already paused: nothing more
    assert EmailLog.objects.filter(kind="donations/monthly_paused").count() == 1


# --- For staff -----------------------------------------------------------------------------


def test_the_supporter_page_shows_everything_about_their_giving(
    client,
    mollie,  # noqa: F811
    gift,
    django_user_model,
):
    client.post(url("agreement_new"), AGREEMENT)
    client.post(url("monthly_pause"), {"months": "1"})
    staff = django_user_model.objects.create_user("staff", "s@example.org", "pw", is_staff=True)
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    page = client.get(
        f"/admin/supporters/supporter/{gift.supporter_id}/change/", HTTP_ACCEPT_LANGUAGE="en"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert page.context["totals"].all_time == Decimal("10.00")
    for text in (
        "In all: €\u00a010.00",  # lifetime total
        gift.mollie_id,  # the regular gift …
        "paused",  # … with its state
        gift.agreements.get().transaction_number,  # the agreement
        "Your gift is paused",  # an email sent
        "gift paused",  # the audit trail
        "periodic gift agreement signed",
    ):
        assert text in html, text


def test_staff_export_the_agreements(client, mollie, gift, django_user_model):  # noqa: F811
    client.post(url("agreement_new"), AGREEMENT)
    staff = django_user_model.objects.create_user(
        "staff", "s@example.org", "pw", is_staff=True, is_superuser=True
    )
    client.force_login(staff)
    agreement = gift.agreements.get()
    response = client.post(
        "/admin/donations/periodicagreement/",
        {"action": "export_csv", "_selected_action": [agreement.pk]},
    )
    assert response["Content-Type"] == "text/csv"
    body = b"".join(response.streaming_content).decode()
    assert agreement.transaction_number in body and "Utrecht" in body


# --- The day a charge counts on --------------------------------------------------------------


def test_a_debit_the_site_learns_of_only_when_paid_is_dated_by_its_collection_day(
    client,
    mollie,  # noqa: F811
    gift,
):
    """Mollie calls no webhook while a direct debit is being collected: the first the site
    hears of a charge may be its "paid" days later. It is dated by the day Mollie made it,
    not by the day we stored it (which the site's clock, here still 15 June, would give)."""
    [due] = mollie.advance_clock(to="2026-07-15", outcome="pending", settle="paid")["charged"]
    assert mollie.advance_clock(days=3)["settled"] == [due]
    webhook(client, due)
    charge = Payment.objects.get(mollie_id=due)
    made = parse_datetime(mollie.store.payments[due]["createdAt"])
    assert charge.created_at == made and charge.gift_at == made
    html = client.get(url("home")).content.decode()
    assert "15 Jul 2026" in html and "15 Jun 2026" in html  # the June gift and the July charge


def test_reconciliation_shows_a_debit_being_collected_under_its_collection_day(
    client,
    mollie,  # noqa: F811
    gift,
):
    """How the site learns of a charge Mollie is still collecting (no webhook is sent for it):
    reconciliation's list of recent payments; the area then shows it as being collected."""
    [due] = mollie.advance_clock(to="2026-07-15", outcome="pending")["charged"]
    assert services.payments_reconcile(older_than_minutes=0, workers=1).errors == []
    charge = Payment.objects.get(mollie_id=due)
    assert charge.created_at == parse_datetime(mollie.store.payments[due]["createdAt"])
    html = client.get(url("home")).content.decode()
    assert "15 Jul 2026" in html and "being collected" in html
