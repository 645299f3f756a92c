"""The benchmarks fill the database with SQL of their own (a million rows in seconds), which
names the columns: a column added later without a default breaks them. This runs the same fill
at a small size against the current schema."""

import datetime

import pytest
from django.db import connection

from bench import dashboard
from donations import attribution
from donations.models import Payment, Subscription

pytestmark = pytest.mark.django_db


def test_the_dashboard_benchmark_fills_the_current_schema(on_postgres):
    dashboard.fill(rows=300, vacuum=False)
    assert Payment.objects.filter(mollie_id__startswith="tr_bench").count() == 300
    assert Subscription.objects.filter(mollie_id__startswith="sub_bench").count() == 20000
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM donations_donor")
        assert cursor.fetchone()[0] > 0
    assert all(p.recovery == "" for p in Payment.objects.all()[:10])
    # The gifts come from campaign links, the campaign page and nowhere, for the figures.
    sources = {row.kind for row in attribution.source_figures(*_two_years()).rows}
    assert sources == {"link", "page", "direct"}


def _two_years() -> tuple[datetime.date, datetime.date]:
    today = datetime.date.today()
    return today - datetime.timedelta(days=730), today
