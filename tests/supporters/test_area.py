"""The supporter area: only your own data, monthly gift changes, statement, export, erasure."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from core.models import EmailLog
from donations.models import Donation, Payment, Subscription
from donations.services import webhook_path
from supporters.models import Supporter

from ..donations.conftest import mollie, start  # noqa: F401 (fixture used by these tests)
from ..donations.factories import make_payment
from .conftest import CLOSED_TO_LIMITED, last_code, log_in, make_supporter, url, wrong_code


def cells(html: str) -> str:
    """The page with the cells' column names (data-label, for phones) left out."""
    return re.sub(r' data-label="[^"]*"', "", html)


pytestmark = pytest.mark.django_db

AREA_PAGES = [
    ("home", {}),
    *[(name, kwargs) for name, kwargs in CLOSED_TO_LIMITED if "gift" in kwargs],
    ("monthly", {}),
    ("monthly_stop", {}),
    ("statement", {"year": 2026}),
    ("profile", {}),
    ("email_confirm", {}),
    ("privacy", {}),
    ("export", {}),
    ("erase", {}),
    ("monthly_pause", {}),
    ("monthly_resume", {}),
    ("payment_method", {}),
    ("payment_method_return", {"token": "x" * 32}),
    ("agreement_new", {}),
    ("agreement", {"number": "PG-2026-00001"}),
]


@pytest.mark.parametrize(("name", "kwargs"), AREA_PAGES)
def test_every_page_refuses_anonymous_visitors(client, name, kwargs):
    for method in ("get", "post"):
        response = getattr(client, method)(url(name, **kwargs))
        assert response.status_code == 302, (name, method)
        assert response["Location"].startswith(url("login") + "?next=")


@pytest.fixture
def two_supporters():
    ann = make_supporter("ann@example.org", "Ann")
    bob = make_supporter("bob@example.org", "Bob Private")
    make_payment(ann, "11.00")
    make_payment(bob, "987.65")
    make_payment(bob, "876.54", paid_at=timezone.make_aware(datetime.datetime(2025, 5, 1)))
    return ann, bob


def test_pages_show_only_your_own_rows(client, two_supporters):
    ann, bob = two_supporters
    log_in(client, ann)
    for name, kwargs in AREA_PAGES:
        if name in ("statement", "email_confirm", "erase"):
            continue
        html = client.get(url(name, **kwargs)).content.decode()
        # Three digits before the point: no time of day (…:SS.ffffff) can contain them.
        for secret in ("Bob Private", "bob@example.org", "987.65", "987,65", f"tr_{bob.pk}x"):
            assert secret not in html, (name, secret)
    # Bob gave in 2025, Ann did not: her statement for 2025 does not exist.
    assert client.get(url("statement", year=2025)).status_code == 404
    year = timezone.localdate().year
    statement = client.get(url("statement", year=year)).content.decode()
    assert "11.00" in statement and "987.65" not in statement


def test_other_supporters_tokens_and_ids_open_nothing(client, two_supporters):
    ann, bob = two_supporters
    bob_donation = Donation.objects.filter(supporter=bob).first()
    log_in(client, ann)
    # Bob's donation token on the success-page button does not log anyone in as Bob.
    fresh = Client()
    response = fresh.post(url("enter_after_gift", token=bob_donation.public_token))
    assert response["Location"] == url("login")
    assert "supporter_id" not in fresh.session
    # Query strings and form fields naming Bob's rows are ignored.
    for query in (f"?supporter={bob.pk}", f"?id={bob_donation.pk}", "?page=2"):
        html = client.get(url("home") + query).content.decode()
        assert "Bob Private" not in html and "987.65" not in html
    data = json.loads(client.get(url("export") + f"?supporter={bob.pk}").content)
    assert data["supporter"]["email"] == "ann@example.org"


def test_statement_rows_show_refunds_and_chargebacks_to_the_cent(client):
    """A refund of 2.50 plus a chargeback of 0.25 is 2.75 on the row, not a whole-euro sum."""
    ann = make_supporter()
    payment = make_payment(ann, "10.00", refunded="2.50")
    Payment.objects.filter(pk=payment.pk).update(amount_charged_back=Decimal("0.25"))
    log_in(client, ann)
    html = client.get(url("statement", year=timezone.localdate().year)).content.decode()
    assert "2.75" in html and "2.00" not in html


def test_statement_totals_are_payments_minus_refunds(client):
    ann = make_supporter()
    year = timezone.localdate().year
    make_payment(ann, "50.00", refunded="20.00")
    make_payment(ann, "10.00", kind="recurring")
    make_payment(ann, "99.00", status="failed")
    make_payment(ann, "7.00", paid_at=timezone.make_aware(datetime.datetime(year - 1, 12, 31, 12)))
    log_in(client, ann)
    response = client.get(url("statement", year=year))
    data = response.context["statement"]
    assert (data.gross, data.refunded, data.net) == (
        Decimal("60.00"),
        Decimal("20.00"),
        Decimal("40.00"),
    )
    html = response.content.decode()
    assert "Statement of gifts" in html and "ANBI" in html
    assert "Stichting Digitale Rechten Nu" in html
    overview = client.get(url("home"))
    assert overview.context["totals"].this_year == Decimal("40.00")
    assert overview.context["totals"].all_time == Decimal("47.00")
    assert overview.context["totals"].years == [year, year - 1]


def test_statement_has_print_styles(client):
    from pathlib import Path

    css = Path("static/css/site.css").read_text()
    assert "@media print" in css and ".area-nav { display: none; }" in css


@pytest.mark.parametrize("count", [1, 120])
def test_overview_uses_a_fixed_number_of_queries(client, django_assert_num_queries, count):
    ann = make_supporter()
    for _ in range(count):
        make_payment(ann, "5.00")
    log_in(client, ann)
    client.get(url("home"))  # the first visit draws the supporter's transfer reference
    # session, supporter, monthly gift, totals, years, page count, page rows, transfer
    # reference, agreements paid by transfer
    with django_assert_num_queries(9):
        response = client.get(url("home"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(count, 25)


def test_history_rows_show_date_amount_kind_status_and_refund(client):
    ann = make_supporter()
    late_evening = datetime.datetime(2026, 3, 2, 23, 30, tzinfo=datetime.UTC)
    make_payment(ann, "1234.50", paid_at=late_evening, refunded="4.50")
    make_payment(ann, "5.00", status="failed", kind="recurring")
    log_in(client, ann)
    html = cells(client.get(url("home")).content.decode())
    # Newest first; the date is Amsterdam's (already 3 March there), amounts in English style.
    assert "<tr><td>" + timezone.localdate().strftime("%-d %b %Y") in html
    assert "<td>€\u00a05.00</td><td>monthly</td><td>failed</td><td>\u2013</td></tr>" in html
    assert (
        "<tr><td>3 Mar 2026</td><td>€\u00a01,234.50</td><td>one-off</td><td>paid</td>"
        "<td>€\u00a04.50</td></tr>"
    ) in html
    assert html.index("monthly</td><td>failed") < html.index("3 Mar 2026")


def test_history_is_paginated(client):
    ann = make_supporter()
    for n in range(30):
        make_payment(ann, f"{n + 2}.00")
    log_in(client, ann)
    first = client.get(url("home"))
    assert first.context["page"].paginator.num_pages == 2
    second = client.get(url("home") + "?page=2")
    assert len(second.context["page"].object_list) == 5
    assert client.get(url("home") + "?page=999").status_code == 200


@pytest.fixture
def monthly_donor(client, mollie):  # noqa: F811 (the sandbox fixture)
    donation, mollie_id = start(client, frequency="monthly", amount="10")
    mollie.checkout(mollie_id, "paid")
    client.post(webhook_path(), {"id": mollie_id})
    mail.outbox.clear()
    return donation.supporter


def test_change_the_monthly_amount_with_a_confirmation_step(client, mollie, monthly_donor):  # noqa: F811
    log_in(client, monthly_donor)
    mail.outbox.clear()
    subscription = Subscription.objects.get(supporter=monthly_donor)
    bad = client.post(url("monthly"), {"amount": "0,5"})
    assert bad.status_code == 400 and "The smallest gift" in bad.content.decode()
    confirm = client.post(url("monthly"), {"amount": "12,50"})
    assert confirm.status_code == 200 and "Confirm the new amount" in confirm.content.decode()
    assert Subscription.objects.get().amount == Decimal("10.00")  # nothing changed yet
    done = client.post(url("monthly"), {"amount": "12.50", "confirm": "yes"})
    assert done.status_code == 303
    assert mollie.store.subscriptions[subscription.mollie_id]["amount"]["value"] == "12.50"
    assert Subscription.objects.get().amount == Decimal("12.50")
    assert [m.subject for m in mail.outbox] == ["Your regular gift has changed"]


def test_stop_the_monthly_gift_and_start_again_by_giving(client, mollie, monthly_donor):  # noqa: F811
    log_in(client, monthly_donor)
    mail.outbox.clear()
    subscription = Subscription.objects.get(supporter=monthly_donor)
    page = client.get(url("monthly_stop"))
    assert "Yes, stop my gift" in page.content.decode()
    assert client.post(url("monthly_stop")).status_code == 303
    assert mollie.store.subscriptions[subscription.mollie_id]["status"] == "canceled"
    assert [m.subject for m in mail.outbox] == ["Your regular gift has stopped"]
    overview = client.get(url("home")).content.decode()
    assert "no regular gift at the moment" in overview
    assert "/en/donate/?frequency=monthly" in overview


def test_profile_changes_name_and_language(client):
    ann = make_supporter()
    log_in(client, ann)
    response = client.post(url("profile"), {"name": "Ann B.", "language": "en"})
    assert response.status_code == 303
    ann.refresh_from_db()
    assert (ann.name, ann.language) == ("Ann B.", "en")
    bad = client.post(url("profile"), {"name": "  ", "language": "xx"})
    assert bad.status_code == 400


def test_email_changes_only_after_the_code_sent_to_the_new_address(client):
    ann = make_supporter()
    log_in(client, ann)
    mail.outbox.clear()
    response = client.post(url("email_change"), {"new_email": "Ann.New@Example.org"})
    assert response.status_code == 303 and response["Location"] == url("email_confirm")
    message = mail.outbox[-1]
    assert message.to == ["ann.new@example.org"]
    ann.refresh_from_db()
    assert ann.email == "ann@example.org"
    wrong = client.post(url("email_confirm"), {"code": wrong_code(last_code())})
    assert wrong.status_code == 400
    done = client.post(
        url("email_confirm"), {"email": "x", "code": last_code("ann.new@example.org")}
    )
    assert done.status_code == 303
    ann.refresh_from_db()
    assert ann.email == "ann.new@example.org"
    assert client.get(url("home")).status_code == 200  # this session stays valid


def test_email_change_to_someone_elses_address_fails(client):
    ann = make_supporter()
    make_supporter("bob@example.org", "Bob")
    log_in(client, ann)
    client.post(url("email_change"), {"new_email": "bob@example.org"})
    response = client.post(
        url("email_confirm"), {"email": "", "code": last_code("bob@example.org")}
    )
    assert response.status_code == 400
    ann.refresh_from_db()
    assert ann.email == "ann@example.org"


def test_export_contains_everything_and_nothing_of_others(client, two_supporters):
    ann, _bob = two_supporters
    log_in(client, ann)
    response = client.get(url("export"))
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["supporter"]["email"] == "ann@example.org"
    assert set(data) == {
        "supporter",
        "donations",
        "payments",
        "direct_debit_mandates",
        "periodic_gift_agreements",
        "monthly_gifts",
        "bank_transfers",
        "transfer_reference",
        "emails",
    }
    assert [p["amount"] for p in data["payments"]] == ["11.00"]
    assert len(data["donations"]) == 1
    assert any(e["subject"] == "Your login code" for e in data["emails"])
    assert "bob" not in response.content.decode().lower()


def test_erasure_leaves_no_personal_data_but_keeps_the_payments(client, mollie, monthly_donor):  # noqa: F811
    supporter = monthly_donor
    email, name = supporter.email, supporter.name
    subscription = Subscription.objects.get(supporter=supporter)
    customer = subscription.customer_id
    payments_before = Payment.objects.filter(supporter=supporter).count()
    log_in(client, supporter)
    mail.outbox.clear()
    assert "cannot be undone" in client.get(url("erase")).content.decode()
    response = client.post(url("erase"))
    assert response.status_code == 303 and response["Location"] == url("erased")
    # The gift stopped at Mollie, the customer is gone there, a last email went out.
    assert mollie.store.subscriptions[subscription.mollie_id]["status"] == "canceled"
    assert customer not in mollie.store.customers
    assert [m.to for m in mail.outbox] == [[email]]
    assert mail.outbox[0].subject == "Your data has been erased"
    # Logged out.
    assert "supporter_id" not in client.session
    assert client.get(url("home")).status_code == 302
    # The financial records stay, without anything personal.
    assert Payment.objects.filter(supporter=supporter).count() == payments_before
    assert Supporter.objects.filter(pk=supporter.pk).exists()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from introspection)
            rows = repr(cursor.fetchall())
            for secret in (email, name, customer):
                assert secret not in rows, (table, secret)
    assert not EmailLog.objects.filter(to=email).exists()


def test_erasure_with_mollie_down_erases_nothing(
    client,
    mollie,  # noqa: F811
    monthly_donor,
    settings,
    closed_url,
):
    log_in(client, monthly_donor)
    settings.MOLLIE_API_ENDPOINT = closed_url
    response = client.post(url("erase"))
    assert response.status_code == 503
    monthly_donor.refresh_from_db()
    assert monthly_donor.email.endswith("@example.org")
    assert client.get(url("home")).status_code == 200


def test_a_direct_debit_is_dated_by_its_collection_day_and_shown_while_being_collected(client):
    """The March charge shows as March even when its outcome arrived in April; a charge the
    bank is still collecting is listed, as being collected, and counts in no total yet."""
    ann = make_supporter()
    march = make_payment(ann, "10.00", kind="recurring")
    Payment.objects.filter(pk=march.pk).update(
        created_at=datetime.datetime(2026, 3, 5, 9, tzinfo=datetime.UTC),
        paid_at=datetime.datetime(2026, 4, 9, 9, tzinfo=datetime.UTC),
    )
    pending = make_payment(ann, "10.00", kind="recurring", status="pending")
    Payment.objects.filter(pk=pending.pk).update(
        created_at=datetime.datetime(2026, 6, 5, 9, tzinfo=datetime.UTC)
    )
    log_in(client, ann)
    html = cells(client.get(url("home")).content.decode())
    assert "<tr><td>5 Mar 2026</td><td>€\u00a010.00</td><td>monthly</td><td>paid</td>" in html
    assert (
        "<tr><td>5 Jun 2026</td><td>€\u00a010.00</td><td>monthly</td><td>being collected</td>"
        in html
    )
    assert "9 Apr 2026" not in html
    assert client.get(url("home")).context["totals"].this_year == Decimal("10.00")


def test_a_charge_collected_in_december_counts_in_that_year_s_statement(client):
    ann = make_supporter()
    charge = make_payment(ann, "25.00", kind="recurring")
    Payment.objects.filter(pk=charge.pk).update(
        created_at=datetime.datetime(2025, 12, 30, 9, tzinfo=datetime.UTC),
        paid_at=datetime.datetime(2026, 1, 3, 9, tzinfo=datetime.UTC),
    )
    log_in(client, ann)
    statement = client.get(url("statement", year=2025))
    assert statement.status_code == 200
    assert statement.context["statement"].net == Decimal("25.00")
    assert "30 December 2025" in statement.content.decode()
    assert client.get(url("statement", year=2026)).status_code == 404
    assert client.get(url("home")).context["totals"].years == [2025]


def test_every_cell_of_the_gifts_table_says_its_column_for_phones(client):
    ann = make_supporter()
    make_payment(ann, "5.00")
    log_in(client, ann)
    html = client.get(url("home")).content.decode()
    for label in ("Date", "Amount", "Kind", "Status", "Refunded or reversed"):
        assert f'<td data-label="{label}">' in html
    assert 'class="stacking"' in html


def test_a_checkout_left_or_run_out_is_not_listed_beside_the_gift(client, mollie):  # noqa: F811
    """A donor who left the payment page and came back to pay saw "open", then "expired", beside
    the gift they made. A checkout at Mollie canceled or run out (a one-off, a regular gift's
    first payment, a payment method check) moved no money and is left out. A refused payment,
    a regular gift's charge whatever became of it, and a gift staff recorded and then undid
    stay; an open checkout stays until it runs out, as it may yet be paid; the export keeps
    every payment."""
    attempts = {}
    for outcome in ("canceled", "expired", "failed", "open", "paid"):
        _donation, mollie_id = start(Client(), amount="25", email="ann@example.org")
        mollie.checkout(mollie_id, outcome)
        assert client.post(webhook_path(), {"id": mollie_id}).status_code == 200
        attempts[outcome] = mollie_id
    ann = Supporter.objects.get(email="ann@example.org")
    assert set(ann.payments.values_list("status", flat=True)) == set(attempts)
    hidden = [
        make_payment(ann, "30.00", kind="first", status="expired"),  # a regular gift's first
        make_payment(ann, "0.01", kind="first", status="canceled"),  # a payment method check
    ]
    Payment.objects.filter(pk=hidden[1].pk).update(is_verification=True)
    listed = [
        make_payment(ann, "10.00", kind="recurring", status="failed"),  # a charge refused
        make_payment(ann, "11.00", kind="recurring", status="canceled"),
        make_payment(ann, "12.00", kind="recurring", status="expired"),
        make_payment(ann, "77.00"),  # recorded by staff, then undone
    ]
    Payment.objects.filter(pk=listed[-1].pk).update(
        origin="staff", mollie_id=None, status="canceled"
    )
    log_in(client, ann)
    response = client.get(url("home"))
    shown = {
        (str(p.amount), p.sequence_type, p.status) for p in response.context["page"].object_list
    }
    assert shown == {
        ("25.00", "oneoff", "failed"),
        ("25.00", "oneoff", "open"),
        ("25.00", "oneoff", "paid"),
        ("10.00", "recurring", "failed"),
        ("11.00", "recurring", "canceled"),
        ("12.00", "recurring", "expired"),
        ("77.00", "oneoff", "canceled"),
    }
    html = cells(response.content.decode())
    assert "<td>€\u00a025.00</td><td>one-off</td><td>paid</td>" in html
    assert "<td>€\u00a025.00</td><td>one-off</td><td>expired</td>" not in html
    exported = client.get(url("export")).content.decode()
    assert all(mollie_id in exported for mollie_id in attempts.values())
    assert all(payment.mollie_id in exported for payment in hidden)
