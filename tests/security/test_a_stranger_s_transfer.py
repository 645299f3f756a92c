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


@pytest.fixture(autouse=True)
def our_account(settings):
    """The statements here are of the organisation's own account."""
    settings.ORGANISATION = {**settings.ORGANISATION, "iban": "NL39 RABO 0300 0652 64"}


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
        staff, camt({"ref": "A2", "amount": "70.00", "text": "PG-2026-00004", "day": "2026-06-11"})
    )
    assert Payment.objects.get(amount=Decimal("70.00"), agreement=agreement)
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
    assert "was recorded for this donor on 2026-06-08" in BankTransfer.objects.get().note


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


# --- The second attack ------------------------------------------------------------------------


def test_a_stranger_s_mandate_in_a_donor_s_name_does_not_vouch_for_their_account(staff, ann):
    """Anyone can give a mandate by IBAN with a donor's address and their own account; that
    must not make their account one that "paid the donor before"."""
    from donations.bank import iban_fingerprint
    from donations.models import BankMandate, Donation

    agreement_for(ann, "PG-2026-00007")
    donation = Donation.objects.create(
        supporter=ann, amount=Decimal("5"), frequency="monthly", language="en", route="mandate"
    )
    BankMandate.objects.create(
        donation=donation,
        reference="STRANGER-1",
        iban_masked="NL** **** **** 4300",
        iban_fingerprint=iban_fingerprint("NL91ABNA0417164300"),  # camt()'s payer
        signed_on=datetime.date(2026, 6, 1),
        first_collection_on=datetime.date(2026, 6, 20),
    )
    upload(staff, camt({"ref": "M1", "amount": "5000.00", "text": "PG-2026-00007"}))
    assert not Payment.objects.filter(supporter=ann, amount=Decimal("5000.00")).exists()


def test_the_same_day_as_mt940_with_its_own_ways_of_writing_is_still_one_gift(staff, ann):
    reference = services.transfer_reference_for(supporter=ann)
    upload(
        staff,
        camt({"ref": "R1", "amount": "50.00", "text": f"gift {reference}", "day": "2026-03-02"}),
    )
    mt940 = f""":20:ABN AMRO BANK NV
:25:RABONL2U/0300065264
:28:06101/1
:60F:C260301EUR2140,17
:61:2603020302C50,N654NONREF
:86:SEPA OVERBOEKING IBAN: NL91ABNA0417164300 NAAM: A. PAYER OMSCHRIJVING: gift {reference}
:62F:C260302EUR2190,17
-
""".encode()
    again = upload(staff, mt940, "day.sta")
    assert again.status_code == 200, again.content.decode()[:500]
    assert again.context["report"].repeated == 1
    assert Payment.objects.filter(supporter=ann).count() == 1


def test_a_statement_of_another_account_is_refused(staff, settings):
    response = upload(
        staff, camt({"ref": "O1", "amount": "5.00", "text": "x"}, account="NL91ABNA0417164300")
    )
    assert response.status_code == 400
    assert "is not of the organisation" in response.content.decode()
    settings.ORGANISATION = {**settings.ORGANISATION, "iban": ""}
    response = upload(staff, camt({"ref": "O2", "amount": "5.00", "text": "x"}))
    assert response.status_code == 400 and "ORG_IBAN" in response.content.decode()
    assert not BankTransfer.objects.exists()


def test_money_imported_first_is_not_recorded_again_by_hand_without_a_tick(staff, ann):
    reference = services.transfer_reference_for(supporter=ann)
    upload(staff, camt({"ref": "I1", "amount": "50.00", "text": reference}))
    form = staff.get(reverse("staff:record_gift")).context["form"]
    fields = {
        "email": "ann@example.org",
        "paid_on": "2026-06-12",
        "amount": "50",
        "method": "banktransfer",
        "key": form.initial["key"],
    }
    refused = staff.post(reverse("staff:record_gift"), fields)
    assert (
        refused.status_code == 400 and "was recorded for this supporter" in refused.content.decode()
    )
    assert Payment.objects.filter(supporter=ann).count() == 1
    assert staff.post(reverse("staff:record_gift"), {**fields, "anyway": "on"}).status_code == 302
    assert Payment.objects.filter(supporter=ann).count() == 2


def test_a_form_s_key_with_other_details_records_nothing_and_says_so(ann):
    services.gift_record(
        supporter=ann,
        paid_on=datetime.date(2026, 6, 1),
        amount=Decimal("20"),
        method="cash",
        reference="",
        actor=STAFF,
        key="form-1",
    )
    bob = Supporter.objects.create(email="bob@example.org", name="Bob")
    with pytest.raises(services.GiftNotChangeable):
        services.gift_record(
            supporter=bob,
            paid_on=datetime.date(2026, 6, 1),
            amount=Decimal("700"),
            method="cash",
            reference="",
            actor=STAFF,
            key="form-1",
        )
    assert Payment.objects.count() == 1


def test_two_like_transfers_for_two_donors_stay_apart_whatever_part_of_the_day_is_read(staff, ann):
    bob = Supporter.objects.create(email="bob@example.org", name="Bob")
    ann_ref = services.transfer_reference_for(supporter=ann)
    bob_ref = services.transfer_reference_for(supporter=bob)
    upload(staff, camt({"ref": "P2", "amount": "10.00", "text": bob_ref}))  # part of the day
    upload(
        staff,
        camt(
            {"ref": "P1", "amount": "10.00", "text": ann_ref},
            {"ref": "P2", "amount": "10.00", "text": bob_ref},
        ),
    )
    assert Payment.objects.filter(supporter=ann).count() == 1
    assert Payment.objects.filter(supporter=bob).count() == 1


def test_a_nul_byte_in_an_mt940_file_is_no_error(staff):
    mt940 = b""":20:ABN AMRO BANK NV
:25:NL39RABO0300065264EUR
:28:1
:60F:C260301EUR10,00
:61:2603020302C7,5N654NONREF
:86:/IBAN/NL91ABNA0417164300/NAME/A.\x00 PAYER/REMI/GIFT\x00
:62F:C260302EUR17,50
-
"""
    assert upload(staff, mt940, "nul.sta").status_code == 200
    assert BankTransfer.objects.get().payer_name == "A. PAYER"


def test_erasure_also_blanks_a_reopened_transfer_a_note_and_a_mandate_s_fingerprint(staff, ann):
    from donations.bank import iban_fingerprint
    from donations.models import BankMandate, Donation

    reference = services.transfer_reference_for(supporter=ann)
    upload(staff, camt({"ref": "V1", "amount": "30.00", "text": reference}))
    services.gift_void(payment_id=Payment.objects.get().pk, actor=STAFF)  # it waits again
    agreement_for(ann, "PG-2026-00008")
    upload(staff, camt({"ref": "V2", "amount": "31.00", "text": "PG-2026-00008", "payer": "Z"}))
    donation = Donation.objects.create(
        supporter=ann, amount=Decimal("5"), frequency="monthly", language="en", route="mandate"
    )
    BankMandate.objects.create(
        donation=donation,
        reference="ANN-1",
        iban_masked="NL** **** **** 4300",
        iban_fingerprint=iban_fingerprint("NL91ABNA0417164300"),
        signed_on=datetime.date(2026, 6, 1),
        first_collection_on=datetime.date(2026, 6, 20),
    )
    supporter_erase(supporter=ann, actor=STAFF)
    for transfer in BankTransfer.objects.all():
        assert (transfer.payer_name, transfer.remittance, transfer.note) == ("", "", "")
        assert transfer.payer_fingerprint == ""
    assert BankMandate.objects.get().iban_fingerprint == ""
