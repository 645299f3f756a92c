"""Bank statements and recorded gifts, as an attacker and a hurried colleague would use them:
someone who sends a transfer naming another donor's agreement, the same transfer in two files,
two clicks on "record", crafted statement files, an erased donor. Each test failed before its
fix (see docs/recorded-gifts.md and docs/security.md)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from core.actors import Actor
from core.models import AuditEvent
from donations import services
from donations.models import BankTransfer, Payment
from supporter_area.privacy import supporter_erase
from supporters.models import Supporter

from ..donations.test_recorded_gifts import agreement_for, camt, upload

pytestmark = pytest.mark.django_db
STAFF = Actor(kind="staff", label="staff:test")


@pytest.fixture
def ann() -> Supporter:
    return Supporter.objects.create(email="ann@example.org", name="Ann", language="en")


def test_a_guessed_agreement_number_puts_nothing_on_the_donor_s_statement(staff, ann):
    agreement_for(ann, "PG-2026-00003")
    upload(staff, camt({"ref": "X1", "amount": "900.00", "text": "pg-2026-00003", "payer": "M"}))
    assert not Payment.objects.filter(supporter=ann).exists()
    assert "PG-2026-00003" in BankTransfer.objects.get().note


def test_an_agreement_number_from_the_donor_s_own_account_is_matched_within_its_years(staff, ann):
    agreement = agreement_for(ann, "PG-2026-00004")  # from 2026-01-01, five years
    upload(staff, camt({"ref": "A1", "amount": "60.00", "text": "a first gift"}))
    first = BankTransfer.objects.get()
    services.transfer_assign(transfer_id=first.pk, supporter=ann, agreement=None, actor=STAFF)
    upload(
        staff, camt({"ref": "A2", "amount": "60.00", "text": "PG-2026-00004", "day": "2026-06-11"})
    )
    assert Payment.objects.get(amount=Decimal("60.00"), agreement=agreement)
    # From that account, but before the agreement began: an ordinary gift waits for staff.
    upload(
        staff, camt({"ref": "A3", "amount": "61.00", "text": "PG-2026-00004", "day": "2025-03-01"})
    )
    assert BankTransfer.objects.get(amount=Decimal("61.00")).status == "waiting"


def test_the_same_transfer_in_a_camt053_and_an_mt940_file_is_one_gift(staff, ann):
    reference = services.transfer_reference_for(supporter=ann)
    upload(
        staff,
        camt(
            {
                "ref": "0301-ABC-1",
                "amount": "25.00",
                "text": f"gift {reference}",
                "day": "2026-03-02",
            }
        ),
    )
    mt940 = f""":20:ABN AMRO BANK NV
:25:NL39RABO0300065264EUR
:28:06101/1
:60F:C260301EUR2140,17
:61:2603020302C25,00N654NONREF
:86:/TRTP/SEPA OVERBOEKING/IBAN/NL91ABNA0417164300/BIC/ABNANL2A/NAME/A. Payer/REMI/gift {reference}
:62F:C260302EUR2165,17
-
""".encode()
    again = upload(staff, mt940, "day.sta")
    assert again.status_code == 200 and again.context["report"].repeated == 1
    assert Payment.objects.filter(supporter=ann).count() == 1


def test_a_reference_after_the_word_gift_is_still_found(staff, ann):
    reference = services.transfer_reference_for(supporter=ann)
    upload(staff, camt({"ref": "K1", "amount": "5.00", "text": f"Gift kenmerk {reference}"}))
    assert Payment.objects.filter(supporter=ann).count() == 1


def test_a_long_file_name_imports_and_keeps_its_audit_row(staff, ann):
    name = "Rekeningafschrift_NL39RABO0300065264_2026-06-10_tot_2026-06-11_camt053.xml"
    response = upload(staff, camt({"ref": "L1", "amount": "5.00", "text": "x"}), name)
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="statement.import").count() == 1


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"amount": "0.001"}, "cannot be read"),
        ({"amount": "123456789.00"}, "cannot be read"),
        ({"currency": "EURO"}, "currency"),
        ({"day": "1999-12-31"}, "cannot be right"),
    ],
)
def test_a_crafted_statement_is_refused_with_a_message_and_stores_nothing(staff, entry, message):
    response = upload(staff, camt({"ref": "C1", "amount": "5.00", "text": "x", **entry}))
    assert response.status_code == 400 and message in response.content.decode()
    assert not BankTransfer.objects.exists() and not Payment.objects.exists()


def test_a_transfer_like_a_gift_recorded_by_hand_waits_instead_of_counting_twice(staff, ann):
    services.gift_record(
        supporter=ann,
        paid_on=datetime.date(2026, 6, 8),
        amount=Decimal("12.00"),
        method="banktransfer",
        reference="",
        actor=STAFF,
    )
    reference = services.transfer_reference_for(supporter=ann)
    upload(staff, camt({"ref": "D1", "amount": "12.00", "text": reference}))
    assert Payment.objects.filter(supporter=ann).count() == 1
    assert "recorded by hand" in BankTransfer.objects.get().note


def test_two_clicks_on_record_record_one_gift(staff):
    form = staff.get(reverse("staff:record_gift")).context["form"]
    fields = {
        "email": "bob@example.org",
        "paid_on": "2026-06-01",
        "amount": "10",
        "method": "cash",
        "key": form.initial["key"],
    }
    assert staff.post(reverse("staff:record_gift"), fields).status_code == 302
    assert staff.post(reverse("staff:record_gift"), fields).status_code == 302
    assert Payment.objects.count() == 1


def test_two_records_of_one_form_at_the_same_moment_record_one_gift(on_postgres, transactional_db):
    bob = Supporter.objects.create(email="bob@example.org", name="Bob")
    barrier = threading.Barrier(2)
    made = []

    def record():
        barrier.wait()
        try:
            made.append(
                services.gift_record(
                    supporter=bob,
                    paid_on=datetime.date(2026, 6, 1),
                    amount=Decimal("10"),
                    method="cash",
                    reference="",
                    actor=STAFF,
                    key="the-same-form",
                ).pk
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 1 and Payment.objects.count() == 1


def test_a_wrong_recorded_gift_is_undone_and_its_transfer_waits_again(staff, ann):
    reference = services.transfer_reference_for(supporter=ann)
    upload(staff, camt({"ref": "U1", "amount": "30.00", "text": reference}))
    payment = Payment.objects.get(supporter=ann)
    response = staff.post(
        reverse("admin:donations_payment_changelist"),
        {"action": "void", "_selected_action": [payment.pk]},
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == "canceled"
    assert BankTransfer.objects.get().status == "waiting"
    with pytest.raises(services.GiftNotChangeable):
        services.gift_void(payment_id=payment.pk, actor=STAFF)
    assert AuditEvent.objects.filter(action="payment.void").count() == 1


def test_erasing_a_donor_leaves_no_bank_details_and_their_reference_matches_no_more(staff, ann):
    reference = services.transfer_reference_for(supporter=ann)
    upload(staff, camt({"ref": "E1", "amount": "30.00", "text": f"{reference} Kerkstraat 5"}))
    supporter_erase(supporter=ann, actor=STAFF)
    transfer = BankTransfer.objects.get()
    assert (transfer.payer_name, transfer.payer_account, transfer.remittance) == ("", "", "")
    assert transfer.payer_fingerprint == "" and Payment.objects.get().reference == ""
    upload(staff, camt({"ref": "E2", "amount": "31.00", "text": reference}))
    assert BankTransfer.objects.get(amount=Decimal("31.00")).status == "waiting"
