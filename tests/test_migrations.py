"""Migrations that move data lose none of it."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("supporters", "0005_supporter_code_login_at"), ("core", "0002_audit_event")]


def migrate(targets=None):
    """Migrate to `targets` (default: every app's latest), and return the models of then."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_the_outbox_moves_to_core_with_every_email_its_id_and_its_dates():
    old = migrate(BEFORE)
    supporter = old.get_model("supporters", "Supporter").objects.create(email="ann@example.org")
    log = old.get_model("supporters", "EmailLog")
    sent_at = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)
    log.objects.create(
        pk=41, supporter=supporter, event_key="thanks-oneoff:tr_a", kind="donations/thanks_oneoff",
        to="ann@example.org", subject="Thank you", status="sent", sent_at=sent_at, attempts=1,
    )  # fmt: skip
    log.objects.create(
        pk=42, supporter=None, event_key="erased:7", kind="supporters/erased", to="",
        subject="", status="queued", context={"name": "x"},
    )  # fmt: skip
    created = {row.pk: row.created_at for row in log.objects.all()}

    new = migrate()  # and every later migration, as a deploy runs them
    moved = {row.pk: row for row in new.get_model("core", "EmailLog").objects.all()}
    assert sorted(moved) == [41, 42]
    assert {pk: row.created_at for pk, row in moved.items()} == created
    first, second = moved[41], moved[42]
    assert (first.event_key, first.status, first.sent_at, first.attempts) == (
        "thanks-oneoff:tr_a",
        "sent",
        sent_at,
        1,
    )
    assert first.recipient_type.model == "supporter" and first.recipient_id == supporter.pk
    assert second.recipient_type is None and second.context == {"name": "x"}
    assert second.prepare == "supporter"
    # New emails get ids after the copied ones (the id sequence moved on, on PostgreSQL too).
    third = new.get_model("core", "EmailLog").objects.create(event_key="new", kind="k", to="t")
    assert third.pk > 42


def test_each_regular_gift_takes_over_its_supporters_mollie_customer_and_mandate():
    old = migrate([("supporters", "0007_first_gift_at"), ("donations", "0004_figure_indexes")])
    supporter = old.get_model("supporters", "Supporter").objects.create(
        email="ann@example.org", mollie_customer_id="cst_ann"
    )
    donation = old.get_model("donations", "Donation")
    monthly = donation.objects.create(
        supporter=supporter, amount=10, frequency="monthly", language="nl"
    )
    oneoff = donation.objects.create(
        supporter=supporter, amount=5, frequency="oneoff", language="nl"
    )
    old.get_model("donations", "Subscription").objects.create(
        mollie_id="sub_ann", donation=monthly, supporter=supporter, customer_id="cst_ann",
        amount=10, status="active", start_date=datetime.date(2026, 7, 1),
        mollie_data={"id": "sub_ann", "mandateId": "mdt_ann"},
    )  # fmt: skip

    new = migrate()
    gifts = new.get_model("donations", "Donation").objects
    assert gifts.get(pk=monthly.pk).mollie_customer_id == "cst_ann"
    assert gifts.get(pk=oneoff.pk).mollie_customer_id == ""
    assert new.get_model("donations", "Subscription").objects.get().mandate_id == "mdt_ann"
    assert not hasattr(new.get_model("supporters", "Supporter")(), "mollie_customer_id")


def test_bank_details_stored_before_redaction_are_masked():
    """Payments stored before Mollie's answers were redacted keep no account or holder."""
    old = migrate([("donations", "0009_direct_debit_mandates_and_returned_debits")])
    supporter = old.get_model("supporters", "Supporter").objects.create(email="ann@example.org")
    donation = old.get_model("donations", "Donation").objects.create(
        public_token="t" * 20, supporter=supporter, amount=10, frequency="oneoff", language="nl"
    )
    payment = old.get_model("donations", "Payment")
    details = {"consumerName": "A. Example", "consumerAccount": "NL91 ABNA 0417 1643 00",
               "consumerBic": "ABNANL2A"}  # fmt: skip
    payment.objects.create(
        mollie_id="tr_old1", donation=donation, supporter=supporter, status="paid",
        sequence_type="oneoff", amount=10, mollie_data={"id": "tr_old1", "details": details},
    )  # fmt: skip
    paypal = {"consumerName": "A", "consumerAccount": "ann@example.org"}
    payment.objects.create(
        mollie_id="tr_old2", donation=donation, supporter=supporter, status="paid",
        sequence_type="oneoff", amount=10, mollie_data={"id": "tr_old2", "details": paypal},
    )  # fmt: skip

    new = migrate()
    rows = {p.mollie_id: p.mollie_data for p in new.get_model("donations", "Payment").objects.all()}
    assert rows["tr_old1"]["details"] == {
        "consumerAccount": "NL** **** **** 4300",
        "consumerBic": "ABNANL2A",
    }
    assert rows["tr_old2"]["details"] == {"consumerAccount": "ann@example.org"}


def test_charges_stored_so_far_are_dated_by_the_day_mollie_made_them():
    """A charge stored when its "paid" arrived keeps Mollie's createdAt as its date; a payment
    of ours and a charge whose data has no usable createdAt keep theirs."""
    old = migrate([("donations", "0013_gifts_first_paid_and_source_index")])
    supporter = old.get_model("supporters", "Supporter").objects.create(email="ann@example.org")
    donation = old.get_model("donations", "Donation").objects.create(
        public_token="t" * 20, supporter=supporter, amount=10, frequency="monthly", language="nl"
    )
    payment = old.get_model("donations", "Payment")
    for mollie_id, sequence, data in [
        ("tr_charge", "recurring", {"createdAt": "2026-03-05T09:30:00+00:00"}),
        ("tr_first", "first", {"createdAt": "2026-02-05T09:30:00+00:00"}),
        ("tr_odd", "recurring", {"createdAt": "yesterday"}),
    ]:
        payment.objects.create(
            mollie_id=mollie_id, donation=donation, supporter=supporter, status="paid",
            sequence_type=sequence, amount=10, mollie_data=data,
        )  # fmt: skip
    stored = dict(payment.objects.values_list("mollie_id", "created_at"))

    new = migrate()
    rows = new.get_model("donations", "Payment").objects
    dates = dict(rows.values_list("mollie_id", "created_at"))
    assert dates["tr_charge"] == datetime.datetime(2026, 3, 5, 9, 30, tzinfo=datetime.UTC)
    assert dates["tr_first"] == stored["tr_first"]
    assert dates["tr_odd"] == stored["tr_odd"]
