"""Bank details stay out of our hands: after every journey that sees an IBAN (a gift by
mandate, an iDEAL payment whose details carry the payer's account, a collection paid and one
returned, a new account from the area, an erasure request's export), no full IBAN is in the
database, the export, an email, an admin page, a log line or an error report."""

import datetime
import io
import logging
import re

import pytest
from django.apps import apps
from django.core import mail, serializers
from django.test import Client
from django.urls import reverse
from django.views.debug import ExceptionReporter

from donations import services
from donations.bank import AccountNumberFilter, find_ibans
from donations.models import BankMandate, Payment, Subscription

from ..supporters.conftest import log_in, url
from .conftest import pay, start, webhook
from .test_direct_debit import FIRST, give, mandate_page

pytestmark = pytest.mark.django_db

SECOND = "DE89370400440532013000"
# Every account these journeys show the site (the payer's in Mollie's iDEAL details, the
# mandate's, the one its collection was paid from, the new one, two typed and refused).
SEEN = {
    "NL55INGB0000000000",
    "NL91ABNA0417164300",
    SECOND,
    "NL02ABNA0123456789",
}


def leaked_accounts(text: str) -> list[str]:
    """The full IBANs in `text`: any of SEEN however it is written, and any other written in
    one case, as people and banks write an account.

    The site masks every stretch that passes an IBAN's check digits, whatever its case: masking
    too much is the safe side. A page, though, carries random keys (a donation's, a form's CSRF
    token), and about one in 20,000 holds a mixed-case stretch that passes them by chance
    (`qA41DPeDWU8mfzoQ856GxOdyk24J8`, a donation's key on an admin page, passes as Qatar's); it
    is not an account, and this scan does not report it."""
    leaked = []
    for found in find_ibans(text):
        compact = re.sub(r"[^A-Za-z0-9]", "", found).upper()
        letters = "".join(char for char in found if char.isalpha())
        one_case = letters.isupper() or letters.islower() or letters[1:].islower()
        if compact in SEEN or one_case:
            leaked.append(found)
    return leaked


def test_the_scan_reports_accounts_and_not_a_random_key():
    assert leaked_accounts("x nl91 Abna 0417 1643 00 y") == ["nl91 Abna 0417 1643 00"]
    assert leaked_accounts(f"x {SECOND} y") == [SECOND]
    assert leaked_accounts("GB29 NWBK 6016 1331 9268 19") == ["GB29 NWBK 6016 1331 9268 19"]
    key = "qA41DPeDWU8mfzoQ856GxOdyk24J8"
    assert find_ibans(key) and leaked_accounts(key) == []


@pytest.fixture
def log_output():
    """What the site's console log handler writes (the one with the IBAN filter)."""
    handler = next(
        h for h in logging.getLogger().handlers if any(
            isinstance(f, AccountNumberFilter) for f in h.filters
        )
    )  # fmt: skip
    stream = io.StringIO()
    previous = handler.setStream(stream)
    level = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    yield stream
    logging.getLogger().setLevel(level)
    handler.setStream(previous)


def everything_stored() -> str:
    """Every row of every model of ours, as JSON."""
    ours = ("core", "campaign", "supporters", "donations", "supporter_area")
    rows = []
    for model in apps.get_models():
        if model._meta.app_label in ours:
            rows.append(serializers.serialize("json", model._base_manager.all()))
    return "\n".join(rows)


def emails_sent() -> str:
    return "\n".join(
        m.body + "".join(content for content, _type in getattr(m, "alternatives", []))
        for m in mail.outbox
    )


def admin_pages(staff) -> str:
    pages = []
    for name in (
        "donations_bankmandate",
        "donations_payment",
        "donations_subscription",
        "donations_donation",
        "supporters_supporter",
        "core_emaillog",
        "core_auditevent",
    ):
        listing = staff.get(reverse(f"admin:{name}_changelist"))
        assert listing.status_code == 200, name
        pages.append(listing.content.decode())
        model = apps.get_model(*name.split("_", 1))
        for pk in model._base_manager.values_list("pk", flat=True)[:20]:
            page = staff.get(reverse(f"admin:{name}_change", args=[pk]))
            assert page.status_code == 200, (name, pk)
            pages.append(page.content.decode())
    return "\n".join(pages)


def test_no_full_iban_anywhere_after_every_journey_that_sees_one(
    client, mollie, fixed_clock, log_output, django_user_model
):
    # A checkout gift by iDEAL: Mollie's payment details carry the payer's IBAN.
    donation, mollie_id = start(Client(), frequency="monthly", email="bob@example.org")
    pay(Client(), mollie, donation, mollie_id)
    assert "NL55INGB0000000000" in str(mollie.store.payments[mollie_id]["details"])
    # A gift by mandate; its collection paid, the next one returned.
    mandate = give(client)
    gift = Subscription.objects.get(donation=mandate.donation)

    def charge_of_the_gift(**outcome) -> str:
        charged = mollie.advance_clock(**outcome)["charged"]
        [charge] = [
            c for c in charged if mollie.store.payments[c]["subscriptionId"] == gift.mollie_id
        ]
        fixed_clock.shift(datetime.timedelta(days=3))
        mollie.advance_clock()
        for made in charged:
            webhook(client, made)
        return charge

    fixed_clock.move_to(datetime.datetime.combine(FIRST, datetime.time(10)))
    paid = charge_of_the_gift()
    fixed_clock.shift(datetime.timedelta(days=28))
    returned = charge_of_the_gift(outcome="failed", reason="AC04")
    assert Payment.objects.get(mollie_id=returned).recovery == "halted"
    assert "NL91ABNA0417164300" in str(mollie.store.payments[paid]["details"])
    # A new account from the area, and the donor's export.
    log_in(client, mandate.donation.supporter)
    page = client.get(url("bank_account", gift=gift.pk))
    client.post(
        url("bank_account", gift=gift.pk),
        {"holder": "A. Example", "iban": "de89 3704 0044 0532 0130 00", "agree": "on",
         "reference": page.context["signed_reference"]},
    )  # fmt: skip
    assert BankMandate.objects.filter(iban_masked="DE** **** **** 3000").exists()
    export = client.get(url("export")).content.decode()
    # A mandate page that was typed and left, and a bad IBAN refused.
    mandate_page(Client(), iban="NL02 ABNA 0123 4567 89")
    mandate_page(Client(), iban="NL92ABNA0417164300")
    logging.getLogger("donations").warning("Mollie said: NL91ABNA0417164300 is not accepted")
    try:
        raise ValueError(f"account {SECOND} failed")
    except ValueError:
        logging.getLogger("donations").exception("While handling")

    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(
        django_user_model.objects.create_user("staff", is_staff=True, is_superuser=True)
    )
    places = {
        "database": everything_stored(),
        "export": export,
        "emails": emails_sent(),
        "admin": admin_pages(staff),
        "logs": log_output.getvalue(),
    }
    assert "While handling" in places["logs"] and "DE** **** **** 3000" in places["logs"]
    for place, text in places.items():
        assert leaked_accounts(text) == [], place


def test_an_error_report_of_the_forms_shows_no_account(client, mollie, monkeypatch):
    """Were the form to fail with an exception, the report Django makes of it (for the logs
    or an email to the admins) shows neither the typed IBAN nor the signed one."""
    reports = []

    class Keep(logging.Handler):
        def emit(self, record):
            reporter = ExceptionReporter(record.request, *record.exc_info)
            reports.append(reporter.get_traceback_text())

    keep = Keep(level=logging.ERROR)
    logging.getLogger("django.request").addHandler(keep)
    try:
        page = mandate_page(client)
        payload = re.search(r'name="payload" value="([^"]+)"', page.content.decode()).group(1)

        def broken(**kwargs):
            raise RuntimeError("the database went away")

        monkeypatch.setattr(services, "mandate_gift_start", broken)
        monkeypatch.setattr(services, "mandate_terms", broken)
        client.raise_request_exception = False
        assert mandate_page(client).status_code == 500
        failed = client.post(reverse("donations:mandate_sign"), {"payload": payload, "agree": "on"})
        assert failed.status_code == 500
    finally:
        logging.getLogger("django.request").removeHandler(keep)
    assert len(reports) == 2
    for report in reports:
        assert "RuntimeError" in report
        assert leaked_accounts(report) == [] and payload not in report
        assert "********************" in report  # the POST field, hidden
