"""The date arithmetic of regular gifts, property by property (hypothesis): whatever the day."""

import datetime

from hypothesis import given
from hypothesis import strategies as st

from donations import schedule

days = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2090, 12, 31))
intervals = st.sampled_from([1, 3, 12])


@given(days, st.integers(min_value=0, max_value=240))
def test_adding_months_keeps_the_day_or_the_months_end(day, months):
    later = schedule.add_months(day, months)
    assert (later.year - day.year) * 12 + later.month - day.month == months
    assert later.day == day.day or (
        later.day < day.day and (later + datetime.timedelta(1)).day == 1
    )


@given(days, intervals)
def test_a_charge_falls_one_interval_later_on_the_anchors_day(anchor, months):
    due = anchor
    for _ in range(30):
        after = schedule.charge_after(due, anchor=anchor, months=months)
        assert after > due
        assert (after.year - due.year) * 12 + after.month - due.month == months
        assert after.day == anchor.day or after == schedule.on_anchor_day(
            anchor, after.year, after.month
        )
        due = after


@given(days, intervals, st.integers(min_value=1, max_value=40))
def test_mollie_counts_from_the_start_not_from_the_charge_before(anchor, months, charges):
    """The n-th charge is the start date moved n intervals on, whatever the short months between."""
    due = anchor
    for _ in range(charges):
        due = schedule.charge_after(due, anchor=anchor, months=months)
    assert due == schedule.add_months(anchor, charges * months)


@given(days, intervals, st.integers(min_value=1, max_value=3))
def test_a_pause_skips_exactly_the_charges_it_says(anchor, months, skipped):
    next_charge = schedule.charge_after(anchor, anchor=anchor, months=months)
    end = schedule.pause_end(next_charge, anchor=anchor, months=months, skipped=skipped)
    assert end == schedule.add_months(next_charge, skipped * months) or end == (
        schedule.add_months(anchor, (1 + skipped) * months)
    )
    assert end > next_charge


@given(days, days)
def test_the_next_regular_day_is_soon_after_today_and_on_the_anchors_day(anchor, today):
    day = schedule.next_regular_day(anchor, today=today)
    assert today < day <= schedule.add_months(today, 1) + datetime.timedelta(days=3)
    assert day == schedule.on_anchor_day(anchor, day.year, day.month)


def test_the_end_of_january_is_charged_at_the_end_of_each_month():
    anchor = datetime.date(2027, 1, 31)
    february = schedule.charge_after(anchor, anchor=anchor, months=1)
    march = schedule.charge_after(february, anchor=anchor, months=1)
    assert (february, march) == (datetime.date(2027, 2, 28), datetime.date(2027, 3, 31))
