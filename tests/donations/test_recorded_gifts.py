"""Gifts that did not come through Mollie: recorded by staff, and bank statements imported and
matched. Real database, real pages; the donor's area and statement through a real login."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from core.actors import Actor
from core.models import AuditEvent
from donations import reports, services
from donations.models import BankTransfer, Payment, PeriodicAgreement
from supporters.models import Supporter

from ..supporters.conftest import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def our_account(settings):
    """The statements here are of the organisation's own account."""
    settings.ORGANISATION = {**settings.ORGANISATION, "iban": "NL39 RABO 0300 0652 64"}


STAFF = Actor(kind="staff", label="staff:test")


@pytest.fixture
def ann() -> Supporter:
    return Supporter.objects.create(email="ann@example.org", name="Ann", language="en")


def agreement_for(supporter: Supporter, number: str = "PG-2026-00007") -> PeriodicAgreement:
    return PeriodicAgreement.objects.create(
        transaction_number=number,
        supporter=supporter,
        yearly_amount=Decimal("120.00"),
        years=5,
        start_date=datetime.date(2026, 1, 1),
        donor_surname="Example",
        donor_first_names="Ann",
        donor_birth_date=datetime.date(1970, 1, 1),
        donor_birth_place="Utrecht",
        donor_street="Straat 1",
        donor_postcode="1234 AB",
        donor_city="Utrecht",
        signed_name="Ann Example",
        signed_place="Utrecht",
        signed_at=timezone.now(),
        organisation_name="Stichting",
        organisation_rsin="123456789",
        organisation_signatory="Penningmeester",
    )


def camt(*entries: dict, account: str = "NL39RABO0300065264") -> bytes:
    """A camt.053.001.02 day statement with one booked credit per entry."""
    body = "".join(
        f"""<Ntry><Amt Ccy="{e.get("currency", "EUR")}">{e["amount"]}</Amt>
        <CdtDbtInd>{e.get("direction", "CRDT")}</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>{e.get("day", "2026-06-10")}</Dt></BookgDt>
        <NtryDtls><TxDtls><Refs><AcctSvcrRef>{e["ref"]}</AcctSvcrRef></Refs>
        <RltdPties><Dbtr><Nm>{e.get("payer", "A. Payer")}</Nm></Dbtr>
        <DbtrAcct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></DbtrAcct></RltdPties>
        <RmtInf><Ustrd>{e["text"]}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""
        for e in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>T1</MsgId><CreDtTm>2026-06-11T07:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>{body}</Stmt>
</BkToCstmrStmt></Document>""".encode()


def upload(staff, data: bytes, name: str = "statement.xml"):
    file = SimpleUploadedFile(name, data, content_type="application/xml")
    return staff.post(reverse("staff:bank_statement"), {"statement": file})


# --- Recorded by hand -------------------------------------------------------------------------


def test_staff_record_a_gift_that_shows_in_the_history_statement_figures_and_audit(
    client, staff, ann
):
    response = staff.post(
        reverse("staff:record_gift"),
        {
            "email": "ANN@example.org",
            "paid_on": "2026-06-01",
            "amount": "1250,00",
            "method": "banktransfer",
            "reference": "gift from NL91ABNA0417164300",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    payment = Payment.objects.get(supporter=ann)
    assert (payment.amount, payment.origin, payment.mollie_id) == (
        Decimal("1250.00"),
        "staff",
        None,
    )
    assert payment.paid_at.date() == datetime.date(2026, 6, 1)
    assert "NL91ABNA0417164300" not in payment.reference  # an account number typed is masked
    event = AuditEvent.objects.get(action="payment.record")
    assert event.actor_kind == "staff" and event.supporter_id == ann.pk
    assert reports.month_totals(datetime.date(2026, 6, 15)).total == Decimal("1250.00")
    export = staff.get(
        reverse("staff:payments_export"), {"start": "2026-06-01", "end": "2026-06-30"}
    )
    [row] = csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode()))
    assert row["origin"] == "staff" and row["mollie_id"] == ""
    log_in(client, ann)
    with override("en"):
        home = client.get(reverse("supporters:home")).content.decode()
        statement = client.get(reverse("supporters:statement", kwargs={"year": 2026}))
    assert "bank transfer (recorded by us)" in home
    assert "bank transfer (recorded by us)" in statement.content.decode()
    assert statement.context["statement"].net == Decimal("1250.00")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "abc", "amount"),
        ("amount", "0", "amount"),
        ("paid_on", "2099-01-01", "to today"),
        ("email", "not-an-address", "email"),
        ("method", "bitcoin", "valid choice"),
    ],
)
def test_a_recorded_gift_with_bad_input_is_refused_with_a_message(staff, field, value, message):
    fields = {"email": "bob@example.org", "paid_on": "2026-06-01", "amount": "10", "method": "cash"}
    response = staff.post(reverse("staff:record_gift"), {**fields, field: value})
    assert response.status_code == 400
    assert message in response.content.decode().lower() or message in response.content.decode()
    assert not Payment.objects.exists()


def test_an_agreement_of_someone_else_cannot_be_paid_by_a_recorded_gift(staff, ann):
    agreement_for(ann)
    fields = {
        "email": "bob@example.org",
        "paid_on": "2026-06-01",
        "amount": "10",
        "method": "banktransfer",
        "agreement": "PG-2026-00007",
    }
    response = staff.post(reverse("staff:record_gift"), fields)
    assert response.status_code == 400
    assert "no periodic gift agreement with that number" in response.content.decode()


def test_recording_gifts_needs_its_own_permission(django_user_model, client):
    user = django_user_model.objects.create_user("figures", "f@example.org", "pw", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("staff:record_gift")).status_code in (302, 403)
    assert client.get(reverse("staff:bank_statement")).status_code in (302, 403)


def test_a_recorded_gift_is_not_refunded_through_mollie(ann):
    payment = services.gift_record(
        supporter=ann,
        paid_on=datetime.date(2026, 6, 1),
        amount=Decimal("10"),
        method="cash",
        reference="",
        actor=STAFF,
    )
    refused = pytest.raises(services.RefundNotPossible, match="did not come through Mollie")
    with override("en"), refused:
        services.payment_refund(payment=payment, actor=STAFF)


# --- Bank statements --------------------------------------------------------------------------


def test_a_statement_with_matched_unmatched_and_repeated_transfers(staff, ann):
    reference = services.transfer_reference_for(supporter=ann)
    bob = Supporter.objects.create(email="bob@example.org", name="Bob")
    agreement_for(bob, "PG-2026-00042")
    statement = camt(
        {"ref": "R1", "amount": "25.00", "text": f"gift {reference.lower()} thanks"},
        {"ref": "R2", "amount": "10.00", "text": "periodieke gift pg 2026 00042"},
        {"ref": "R3", "amount": "7.50", "text": "for your good work"},
        {"ref": "R4", "amount": "99.00", "text": "invoice 123", "direction": "DBIT"},
    )
    response = upload(staff, statement)
    assert response.status_code == 200, response.content.decode()[:2000]
    report = response.context["report"]
    assert (report.new, report.matched, report.waiting, report.skipped) == (3, 1, 2, 1)
    ann_gift = Payment.objects.get(supporter=ann)
    assert (ann_gift.amount, ann_gift.origin, ann_gift.method) == (
        Decimal("25.00"),
        "bank",
        "banktransfer",
    )
    # An agreement's number is no secret: from an account never seen for Bob, it waits.
    named = BankTransfer.objects.get(amount=Decimal("10.00"))
    assert named.status == "waiting" and "PG-2026-00042" in named.note
    assert not Payment.objects.filter(supporter=bob).exists()
    waiting = BankTransfer.objects.get(amount=Decimal("7.50"))
    assert waiting.status == "waiting" and waiting.payer_account.startswith("NL**")
    assert "for your good work" in response.content.decode()
    again = upload(staff, statement)
    assert again.context["report"].repeated == 3 and again.context["report"].new == 0
    assert Payment.objects.count() == 1 and BankTransfer.objects.count() == 3
    assert "NL91ABNA0417164300" not in str(list(BankTransfer.objects.values()))


def test_staff_assign_or_ignore_a_waiting_transfer_once(staff, ann):
    upload(
        staff,
        camt(
            {"ref": "W1", "amount": "30.00", "text": "a gift"},
            {"ref": "W2", "amount": "5.00", "text": "refund supplier"},
        ),
    )
    gift, other = BankTransfer.objects.order_by("key")
    decide = lambda row, **data: staff.post(  # noqa: E731
        reverse("staff:bank_transfer_decide", kwargs={"pk": row.pk}), data
    )
    assert decide(gift, email="ann@example.org", assign="1").status_code == 302
    gift.refresh_from_db()
    assert gift.status == "assigned" and gift.payment.supporter == ann
    decide(gift, email="bob@example.org", assign="1")  # a second click, or a colleague
    assert Payment.objects.count() == 1
    assert decide(other, ignore="1").status_code == 302
    other.refresh_from_db()
    assert other.status == "ignored" and other.payment is None
    assert AuditEvent.objects.filter(action="banktransfer.ignore").count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello, this is no statement", "is not a bank statement"),
        (b"<?xml version='1.0'?><Document><broken>", "damaged"),
        (b"", "empty"),
    ],
)
def test_an_unreadable_statement_is_refused_with_a_message(staff, data, message):
    response = upload(staff, data, "bad.xml")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_an_agreement_paid_by_transfer_shows_what_was_paid_against_it(client, ann):
    agreement = agreement_for(ann, "PG-2026-00011")
    for day in (datetime.date(2026, 2, 1), datetime.date(2026, 5, 1)):
        services.gift_record(
            supporter=ann,
            paid_on=day,
            amount=Decimal("60"),
            method="banktransfer",
            reference="PG-2026-00011",
            actor=STAFF,
            agreement=agreement,
        )
    log_in(client, ann)
    with override("en"):
        html = client.get(reverse("supporters:statement", kwargs={"year": 2026})).content.decode()
    assert "Paid against agreement PG-2026-00011 in 2026: €\xa0120.00." in html


def test_the_area_shows_the_donor_s_own_transfer_reference(client, ann, settings):
    settings.ORGANISATION = {**settings.ORGANISATION, "iban": "NL39RABO0300065264"}
    log_in(client, ann)
    with override("en"):
        html = client.get(reverse("supporters:home")).content.decode()
    reference = services.transfer_reference_for(supporter=ann)
    assert reference.startswith("GIFT-") and reference in html and "NL39RABO0300065264" in html
    bob = Supporter.objects.create(email="bob@example.org", name="Bob")
    assert services.transfer_reference_for(supporter=bob) != reference


def _agreement_form(**fields) -> dict:
    return {
        "yearly_amount": "240",
        "years": "5",
        "ends_on_income_loss": "on",
        "donor_first_names": "Ann Maria",
        "donor_surname": "Example",
        "donor_birth_date": "1970-01-01",
        "donor_birth_place": "Utrecht",
        "donor_street": "Straat 1",
        "donor_postcode": "1234 AB",
        "donor_city": "Utrecht",
        "donor_country": "Nederland",
        "signed_place": "Utrecht",
        "signed_name": "Ann Maria Example",
        "agree": "on",
        **fields,
    }


def test_a_donor_signs_an_agreement_paid_by_transfer_once_and_transfers_count_against_it(
    client, staff, ann, mailoutbox
):
    log_in(client, ann)
    with override("en"):
        form = reverse("supporters:agreement_by_transfer")
        assert client.get(form).status_code == 200
        bad = client.post(form, _agreement_form(yearly_amount="lots"))
        assert bad.status_code == 400
        first = client.post(form, _agreement_form())
        again = client.post(form, _agreement_form())  # a second click
    assert first.status_code == again.status_code == 303
    agreement = PeriodicAgreement.objects.get(supporter=ann)
    assert agreement.subscription is None and agreement.yearly_amount == Decimal("240.00")
    assert first["Location"] == again["Location"]
    assert any(agreement.transaction_number in m.body for m in mailoutbox)  # the donor's copy
    assert AuditEvent.objects.filter(action="agreement.sign", supporter_id=ann.pk).count() == 1
    number = agreement.transaction_number
    reference = services.transfer_reference_for(supporter=ann)
    text = f"periodieke gift {number} {reference}"
    upload(staff, camt({"ref": "T1", "amount": "120.00", "text": text, "day": "2026-06-15"}))
    assert Payment.objects.get(supporter=ann).agreement == agreement
    with override("en"):
        page = client.get(first["Location"]).content.decode()
        statement = client.get(reverse("supporters:statement", kwargs={"year": 2026}))
    assert f"with {number} as the description" in page
    assert f"Paid against agreement {number} in 2026: €\xa0120.00." in statement.content.decode()


def test_a_gift_recorded_for_an_earlier_day_takes_its_place_in_the_history(client, ann):
    for day, amount in ((datetime.date(2026, 6, 10), "10"), (datetime.date(2026, 5, 1), "20")):
        services.gift_record(
            supporter=ann,
            paid_on=day,
            amount=Decimal(amount),
            method="cash",
            reference="",
            actor=STAFF,
        )
    log_in(client, ann)
    with override("en"):
        rows = client.get(reverse("supporters:home")).context["page"].object_list
    assert [p.amount for p in rows] == [Decimal("10.00"), Decimal("20.00")]  # newest day first


def test_a_gift_outside_the_agreement_s_years_cannot_be_recorded_against_it(staff, ann):
    agreement_for(ann, "PG-2026-00009")  # from 2026-01-01
    fields = {
        "email": "ann@example.org",
        "paid_on": "2025-12-01",
        "amount": "10",
        "method": "banktransfer",
        "agreement": "PG-2026-00009",
    }
    with override("en"):
        response = staff.post(reverse("staff:record_gift"), fields)
    assert response.status_code == 400
    assert "outside the years of the agreement" in response.content.decode()
    assert not Payment.objects.exists()
