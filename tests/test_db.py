"""core.db: the hot path's two statements give what the ORM gives, without compiling per call."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.sql.query import Query
from django.utils import timezone

from core.db import row_by, update_where
from donations.models import Donation, Subscription
from supporters.models import Supporter

pytestmark = pytest.mark.django_db


@pytest.fixture
def gift() -> Subscription:
    supporter = Supporter.objects.create(email="hot@example.org", name="Hot Path")
    donation = Donation.objects.create(
        supporter=supporter, amount=Decimal("7.50"), frequency="monthly", language="nl"
    )
    return Subscription.objects.create(
        mollie_id="sub_hotpath",
        donation=donation,
        supporter=supporter,
        customer_id="cst_hotpath",
        amount=Decimal("7.50"),
        status="active",
        start_date=datetime.date(2026, 1, 31),
        next_payment_date=datetime.date(2026, 2, 28),
        at_risk_since=timezone.now(),
        mollie_data={"id": "sub_hotpath", "amount": {"value": "7.50"}, "times": None},
    )


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_row_by_gives_the_instance_the_orm_gives(gift):
    found = row_by(Subscription, "mollie_id", "sub_hotpath")
    assert isinstance(found, Subscription)
    assert _fields(found) == _fields(Subscription.objects.get(pk=gift.pk))
    # Converted as the ORM converts: dates, decimals, JSON, aware datetimes (SQLite too).
    assert found.next_payment_date == datetime.date(2026, 2, 28)
    assert found.amount == Decimal("7.50")
    assert found.mollie_data["amount"] == {"value": "7.50"}
    assert found.at_risk_since.tzinfo is not None
    assert found._state.adding is False and found._state.db == "default"


def test_row_by_gives_none_for_an_unknown_value(gift):
    assert row_by(Subscription, "mollie_id", "sub_unknown") is None


def test_row_by_compiles_its_query_once(gift, monkeypatch):
    row_by(Subscription, "mollie_id", "sub_hotpath")  # prepared now (or earlier in this thread)
    compiled = []
    real = Query.get_compiler  # every ORM statement is compiled through here
    monkeypatch.setattr(
        Query, "get_compiler", lambda self, *a, **k: compiled.append(1) or real(self, *a, **k)
    )
    for _ in range(3):
        assert row_by(Subscription, "mollie_id", "sub_hotpath").pk == gift.pk
    assert compiled == []


def test_update_where_changes_the_row_only_when_it_is_as_expected(gift):
    march = datetime.date(2026, 3, 31)
    assert update_where(Subscription, gift.pk, {"next_payment_date": march}, {"amount": 9}) == 0
    moved = update_where(
        Subscription,
        gift.pk,
        {"next_payment_date": gift.next_payment_date},
        {"next_payment_date": march, "failed_in_a_row": 0, "at_risk_since": None},
    )
    assert moved == 1
    gift.refresh_from_db()
    assert (gift.next_payment_date, gift.at_risk_since, gift.amount) == (
        march,
        None,
        Decimal("7.50"),
    )


def test_update_where_builds_its_statement_once(gift, monkeypatch):
    update_where(Subscription, gift.pk, {}, {"notice_due": True})
    built = []
    real = Query.get_compiler
    monkeypatch.setattr(
        Query, "get_compiler", lambda self, *a, **k: built.append(1) or real(self, *a, **k)
    )
    with connection.execute_wrapper(lambda run, sql, *args: built.append(sql) or run(sql, *args)):
        assert update_where(Subscription, gift.pk, {}, {"notice_due": False}) == 1
    assert [entry for entry in built if entry == 1] == []  # run, not compiled again
    assert len(built) == 1 and built[0].startswith("UPDATE")


def test_update_where_hands_expressions_to_the_orm(gift):
    assert update_where(Subscription, gift.pk, {}, {"failed_in_a_row": F("failed_in_a_row") + 2})
    gift.refresh_from_db()
    assert gift.failed_in_a_row == 2


def test_update_where_refuses_what_it_cannot_say_in_plain_sql(gift):
    with pytest.raises(ValueError, match="NULL"):
        update_where(Subscription, gift.pk, {"paused_until": None}, {"notice_due": True})
    with pytest.raises(ValueError, match="plain column"):
        update_where(Subscription, gift.pk, {}, {"supporter": gift.supporter})


def test_what_core_db_leans_on_is_still_there():
    """core/db.py uses the ORM compiler's internals (see its module doc). This fails by name,
    before anything subtler can, when a Django upgrade changes them: check core/db.py against
    the new version (the tests above hold its results to the ORM's), then raise this pin."""
    import django
    from django.db.models.sql.compiler import SQLCompiler

    assert django.VERSION[:2] == (5, 2), "core/db.py was checked against Django 5.2"
    for name in ("as_sql", "get_converters", "apply_converters", "setup_query"):
        assert callable(getattr(SQLCompiler, name, None)), name
    compiler = Query(Subscription).get_compiler("default")
    compiler.setup_query()
    assert isinstance(compiler.select, list | tuple)
    assert callable(Subscription.from_db)
