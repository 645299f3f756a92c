"""The regular-giving figures for staff, checked against rows made in the database."""

import csv
import datetime
import io
import secrets
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from donations import insight
from donations.models import Donation, Donor, Payment, Subscription
from supporters.models import Supporter

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)  # the tests' fixed clock


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def gift(email, amount, *, started, canceled=None, interval="1 month") -> Subscription:
    supporter, _ = Supporter.objects.get_or_create(email=email)
    donation = Donation.objects.create(
        supporter=supporter, amount=Decimal(amount), frequency="monthly", language="nl"
    )
    subscription = Subscription.objects.create(
        mollie_id=f"sub_{donation.pk}x",
        donation=donation,
        supporter=supporter,
        customer_id="cst_x",
        amount=Decimal(amount),
        interval=interval,
        status="canceled" if canceled else "active",
        start_date=started,
    )
    Subscription.objects.filter(pk=subscription.pk).update(
        started_at=at(started), canceled_at=at(canceled) if canceled else None
    )
    return subscription


def charge(subscription, day, status="paid", amount=None, kind="recurring") -> Payment:
    payment = Payment.objects.create(
        mollie_id=f"tr_{secrets.token_hex(8)}",
        subscription=subscription,
        supporter=subscription.supporter,
        status=status,
        sequence_type=kind,
        amount=Decimal(amount or subscription.amount),
        paid_at=at(day) if status == "paid" else None,
    )
    Payment.objects.filter(pk=payment.pk).update(created_at=at(day))
    return payment


@pytest.fixture
def history():
    ann = gift("ann@example.org", "10.00", started=datetime.date(2026, 3, 2))
    bob = gift("bob@example.org", "30.00", started=datetime.date(2026, 4, 5), interval="3 months")
    cas = gift(
        "cas@example.org",
        "5.00",
        started=datetime.date(2026, 3, 10),
        canceled=datetime.date(2026, 5, 20),
    )
    for month in (3, 4, 5, 6):
        charge(ann, datetime.date(2026, month, 2))
    charge(bob, datetime.date(2026, 4, 5))
    charge(cas, datetime.date(2026, 3, 10))
    charge(cas, datetime.date(2026, 4, 10), status="failed")
    charge(cas, datetime.date(2026, 5, 10), status="failed")
    charge(ann, datetime.date(2026, 5, 20), status="failed")  # then paid in June: recovered
    # What the services record as charges arrive (tests/supporters/test_gift_lifecycle.py
    # checks that they do): each supporter's first gift, and the failed charges recovered.
    for supporter in Supporter.objects.all():
        first = supporter.payments.filter(status="paid").order_by("paid_at").first()
        Donor.objects.create(supporter=supporter, first_gift_at=first.paid_at)
    Payment.objects.filter(subscription=ann, status="failed").update(recovered=True)
    return {"ann": ann, "bob": bob, "cas": cas}


def by_month(rows, month: int) -> dict:
    return next(row for row in rows if row["month"] == datetime.date(2026, month, 1))


def test_recurring_revenue_counts_each_gift_per_month(history, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = insight.recurring_revenue(TODAY)
    assert len(rows) == 12 and rows[-1]["month"] == datetime.date(2026, 6, 1)
    assert by_month(rows, 3)["recurring_revenue"] == Decimal("15.00")  # Ann 10 + Cas 5
    assert by_month(rows, 4)["recurring_revenue"] == Decimal("25.00")  # + Bob's 30 a quarter
    assert by_month(rows, 6)["recurring_revenue"] == Decimal("20.00")  # Cas stopped in May
    assert by_month(rows, 6)["active_donors"] == 2


def test_churn_is_stopped_gifts_over_the_ones_running_at_the_start(
    history, django_assert_num_queries
):
    with django_assert_num_queries(1):
        rows = insight.churn(TODAY)
    may = by_month(rows, 5)
    assert (may["started"], may["stopped"], may["active_at_start"]) == (0, 1, 3)
    assert may["churn_percent"] == Decimal("33.3")
    assert by_month(rows, 4)["started"] == 1


def test_failed_charges_and_the_ones_recovered(history, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = insight.failed_charges(TODAY)
    may = by_month(rows, 5)
    assert (may["charges"], may["failed"], may["recovered"]) == (3, 2, 1)  # Ann's came back
    assert may["failed_percent"] == Decimal("66.7")
    april = by_month(rows, 4)
    assert (april["failed"], april["recovered"]) == (1, 0)  # Cas never paid again


def test_retention_by_cohort(history, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = insight.retention(TODAY)
    march = by_month(rows, 3)
    assert march["donors"] == 2  # Ann and Cas gave first in March
    assert march["after_1"] == Decimal("50.0")  # Ann gave in April, Cas's charge failed
    assert march["after_3"] == Decimal("50.0")  # Ann in June
    assert march["after_6"] is None  # September has not come
    assert by_month(rows, 4)["donors"] == 1  # Bob


def test_average_gift(history, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = insight.average_gift(TODAY)
    april = by_month(rows, 4)
    assert (april["average"], april["gifts"]) == (Decimal("20.00"), 2)  # (10 + 30) / 2


def test_average_gift_keeps_one_off_and_regular_apart_and_deducts_refunds(history):
    one_off = charge(history["ann"], datetime.date(2026, 4, 15), amount="7.00", kind="oneoff")
    Payment.objects.filter(pk=one_off.pk).update(amount_refunded=Decimal("2.00"))
    rows = insight.average_gift(TODAY)
    april = by_month(rows, 4)
    assert april["gifts"] == 3
    assert april["average"] == Decimal("15.00")  # (10 + 30 + 5) / 3
    assert april["average_oneoff"] == Decimal("5.00")  # 7, less 2 refunded
    assert april["average_recurring"] == Decimal("20.00")
    march = by_month(rows, 3)  # regular gifts only: nothing one-off to average
    assert (march["average_oneoff"], march["average_recurring"]) == (
        Decimal("0.00"),
        Decimal("7.50"),
    )
    assert (by_month(rows, 1)["average"], by_month(rows, 1)["gifts"]) == (Decimal("0.00"), 0)


def test_the_page_draws_every_figure_and_each_has_a_csv(staff, history):
    response = staff.get(reverse("staff:regular_giving"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="chart"') == len(insight.FIGURES)
    for key, figure in insight.FIGURES.items():
        export = staff.get(reverse("staff:regular_giving_csv", kwargs={"key": key}))
        assert export.status_code == 200 and export["Content-Type"] == "text/csv"
        rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
        assert tuple(rows[0]) == figure.columns and len(rows) == 13
    assert staff.get("/staff/regular-giving/nothing.csv").status_code == 404


def test_the_figures_are_for_staff_only(client, history):
    response = client.get(reverse("staff:regular_giving"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
