"""When a regular gift is charged: pure date arithmetic, no database and no clock.

Mollie counts every charge of a subscription from its start date (the *anchor*), not from the
charge before: a gift that started on 31 January is charged on 28 February and then on 31 March
(not on 28 March). Every function here counts the same way, so what the site shows as the next
charge is the day Mollie will charge. Today's date is always passed in, never read.
"""

import calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """`day` moved `months` months on, clamped to a shorter month's end (31 Jan → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def on_anchor_day(anchor: date, year: int, month: int) -> date:
    """The anchor's day of the month in that month (its last day, when the month is shorter)."""
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def charge_after(due: date, *, anchor: date, months: int) -> date:
    """The charge `months` months after the charge due on `due`, on the anchor's day."""
    after = add_months(due, months)
    return on_anchor_day(anchor, after.year, after.month)


def first_charge(paid_on: date, *, months: int) -> date:
    """The first charge of a gift whose first payment (which covered the first interval) was
    paid on `paid_on`: one interval later."""
    return add_months(paid_on, months)


def pause_end(next_charge: date, *, anchor: date, months: int, skipped: int) -> date:
    """The first charge after a pause that skips `skipped` charges, the next of which is due on
    `next_charge`."""
    resume = next_charge
    for _ in range(skipped):
        resume = charge_after(resume, anchor=anchor, months=months)
    return resume


def next_regular_day(anchor: date, *, today: date) -> date:
    """The first day after `today` that falls on the anchor's day of the month."""
    candidate = on_anchor_day(anchor, today.year, today.month)
    if candidate > today:
        return candidate
    following = add_months(date(today.year, today.month, 1), 1)
    return on_anchor_day(anchor, following.year, following.month)


def tomorrow(today: date) -> date:
    return today + timedelta(days=1)
