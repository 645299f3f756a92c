"""Two buttons pressed at once, or a donor's action beside Mollie's webhook or reconciliation.

Every action that changes a regular gift at Mollie runs as one change of that gift at a time
(donations/services/changes.py): each decides from the state the one before left, and the site
and Mollie agree afterwards, or what is left is settled from Mollie by the next change or by
reconciliation. These tests run the actions at the same moment, in threads, against the
sandbox over real HTTP, on PostgreSQL (SQLite runs one writer at a time).
"""

import itertools
import threading
import time
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from core.actors import Actor
from donations import services
from donations.exceptions import GiftBusy
from donations.models import GiftChange, Payment, Subscription
from donations.services import webhook_path

from ..donations.conftest import mollie, webhook  # noqa: F401 (mollie: a fixture)
from ..supporters.conftest import log_in, url
from .conftest import regular_gift

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("on_postgres")]

SYSTEM = Actor.system()  # the services record who acts; here, nobody in particular

RUNNING = ("active", "pending", "suspended")
# Each Mollie call takes a little while, as over the internet: the actions really overlap.
MOLLIE_LATENCY = {"pattern": "* /v2/*", "latency": [0.03, 0.08]}


def at_the_same_moment(*actions, stagger: float = 0.0) -> list:
    """Run `actions` in threads released together (each `stagger` seconds after the one
    before); their results, or the exceptions they raised."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index: int, action) -> None:
        try:
            barrier.wait()
            time.sleep(index * stagger)
            results[index] = action()
        except Exception as error:  # reported by the caller's assertions
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def assert_site_and_mollie_agree(gift: Subscription, sandbox) -> None:
    """The gift as the site shows it is the gift as Mollie has it, and no other Mollie
    subscription of the gift can charge anything."""
    gift.refresh_from_db()
    unfinished = GiftChange.objects.filter(subscription=gift, status__in=["open", "unsettled"])
    assert not unfinished.exists(), list(unfinished.values("kind", "status", "error"))
    with sandbox.store.lock:
        ours = {
            sid: dict(sub)
            for sid, sub in sandbox.store.subscriptions.items()
            if (sub.get("metadata") or {}).get("donation_id") == gift.donation_id
        }
    current = ours[gift.mollie_id]
    assert gift.status == current["status"]
    assert gift.amount == Decimal(current["amount"]["value"])
    assert gift.mandate_id == current["mandateId"]
    next_date = gift.next_payment_date.isoformat() if gift.next_payment_date else None
    assert next_date == current.get("nextPaymentDate")
    others = [
        sid for sid, sub in ours.items() if sid != gift.mollie_id and sub["status"] in RUNNING
    ]
    assert others == [], "another Mollie subscription of this gift still charges"
    if not gift.is_active:  # the site says stopped: nothing at Mollie charges
        assert current["status"] not in RUNNING
    if gift.paused_until is not None and current["status"] in RUNNING:
        assert current["nextPaymentDate"] >= gift.paused_until.isoformat()


@pytest.fixture
def donor(mollie):  # noqa: F811
    """Ann's monthly gift of €10 (iDEAL, so a direct-debit mandate), and two browsers of
    hers, both logged in to the supporter area."""
    browser, gift = regular_gift(mollie, email="ann@example.org", name="Ann", amount="10")
    log_in(browser, gift.supporter)
    second = Client()
    second.cookies = browser.cookies
    mail.outbox.clear()
    mollie.set_faults([MOLLIE_LATENCY])
    return browser, second, gift


# --- The findings ---------------------------------------------------------------------------


@pytest.mark.parametrize("attempt", range(4))
def test_pause_and_stop_a_moment_apart_leave_the_gift_stopped(mollie, donor, attempt):  # noqa: F811
    """Finding 4: pause, then stop 5-15 ms later, both 303, the donor told "stopped", yet
    Mollie held a new active subscription and the area said "You give €10 a month"."""
    first, second, gift = donor
    paused, stopped = at_the_same_moment(
        lambda: first.post(url("monthly_pause"), {"months": "1"}),
        lambda: second.post(url("monthly_stop")),
        stagger=0.005 + attempt * 0.003,
    )
    assert stopped.status_code == 303, stopped
    assert paused.status_code in (303, 409), paused
    assert_site_and_mollie_agree(gift, mollie)
    assert not gift.is_active
    assert "You give" not in first.get(url("home")).content.decode()


def test_reconciliation_ending_a_pause_while_the_donor_stops(mollie, donor):  # noqa: F811
    """Finding 4, the other window: reconciliation makes the resuming Mollie subscription of a
    paused gift while the donor presses stop."""
    first, _second, gift = donor
    mollie.set_faults([{"pattern": "POST /v2/customers/*/subscriptions", "error": 1}])
    assert first.post(url("monthly_pause"), {"months": "1"}).status_code == 303
    gift.refresh_from_db()
    assert gift.paused_until is not None and gift.status == "canceled"  # the resume is due
    mollie.set_faults([MOLLIE_LATENCY])
    reconciled, stopped = at_the_same_moment(
        lambda: services.payments_reconcile(older_than_minutes=0, workers=1),
        lambda: first.post(url("monthly_stop")),
        stagger=0.01,
    )
    assert stopped.status_code == 303, stopped
    assert not isinstance(reconciled, Exception), reconciled
    assert_site_and_mollie_agree(gift, mollie)
    assert not gift.is_active


def test_eight_amount_changes_at_once_leave_site_and_mollie_agreeing(mollie, donor):  # noqa: F811
    """Finding 5: the site showed €46 while Mollie collected €44 (Mollie was patched outside
    the row lock, and the last answer to arrive was stored)."""
    first, _second, gift = donor

    def change(amount: int):
        browser = Client()
        browser.cookies = first.cookies
        return browser.post(url("monthly"), {"amount": str(amount), "confirm": "1"})

    answers = at_the_same_moment(*(lambda a=a: change(a) for a in range(40, 48)))
    assert {a.status_code for a in answers} <= {303, 409}, answers
    assert_site_and_mollie_agree(gift, mollie)
    assert gift.amount in {Decimal(a) for a in range(40, 48)}


def test_a_stop_whose_answer_is_lost_is_settled_from_mollie(mollie, donor):  # noqa: F811
    """Mollie stops the gift but the answer never arrives: the donor is told to try again,
    and reconciliation finds the gift stopped at Mollie and says so (once)."""
    first, _second, gift = donor
    mollie.set_faults([{"pattern": "DELETE /v2/customers/*/subscriptions/*", "drop": 1}])
    answer = first.post(url("monthly_stop", gift=gift.pk))
    assert answer.status_code == 503
    assert "if your change went through after all, we will email you" in answer.text
    assert GiftChange.objects.get(subscription=gift, kind="stop").status == "unsettled"
    mollie.clear_faults()
    report = services.payments_reconcile(older_than_minutes=0, workers=1)
    assert report.errors == []
    assert GiftChange.objects.get(subscription=gift, kind="stop").status == "done"
    assert_site_and_mollie_agree(gift, mollie)
    assert not gift.is_active
    assert [m.subject for m in mail.outbox] == ["Your regular gift has stopped"]


def test_the_next_change_settles_what_the_last_left_first(mollie, donor):  # noqa: F811
    first, _second, gift = donor
    mollie.set_faults([{"pattern": "PATCH /v2/customers/*/subscriptions/*", "drop": 1}])
    dropped = first.post(url("monthly", gift=gift.pk), {"amount": "25", "confirm": "1"})
    assert dropped.status_code == 503
    mollie.clear_faults()
    # The donor tries again at once: the lost change is settled first (it went through).
    again = first.post(url("monthly", gift=gift.pk), {"amount": "25", "confirm": "1"})
    assert again.status_code == 303
    assert_site_and_mollie_agree(gift, mollie)
    assert gift.amount == 25
    assert [m.subject for m in mail.outbox] == ["Your regular gift has changed"]


def test_a_change_whose_process_died_is_settled_when_it_is_stale(
    mollie,  # noqa: F811
    donor,
    fixed_clock,
    settings,
):
    _first, _second, gift = donor
    GiftChange.objects.create(subscription=gift, kind="amount", details={"amount": "10.00"})
    settings.GIFT_CHANGE_WAIT_SECONDS = 0.2
    with pytest.raises(GiftBusy):  # still in progress, as far as anyone can tell
        services.subscription_cancel(subscription=gift, actor=SYSTEM)
    fixed_clock.shift(settings.GIFT_CHANGE_STALE_SECONDS + 1)
    services.subscription_cancel(subscription=gift, actor=SYSTEM)
    assert_site_and_mollie_agree(gift, mollie)
    assert not gift.is_active


# --- Every pair of actions ----------------------------------------------------------------------


def _charge_ready(sandbox, gift) -> str:
    """Mollie makes the gift's next charge (it will settle days later); its id."""
    gift.refresh_from_db()
    [charge] = sandbox.advance_clock(to=gift.next_payment_date.isoformat())["charged"]
    return charge


def _method_ready(sandbox, browser, gift) -> str:
    """The donor paid the one-cent check for a new payment method; the check's id."""
    answer = browser.post(url("payment_method", gift=gift.pk))
    assert answer.status_code == 303, answer
    check = Payment.objects.get(subscription=gift, is_verification=True, status="open")
    sandbox.checkout(check.mollie_id, "paid", "creditcard")
    return check.mollie_id


ACTIONS = ("pause", "resume", "stop", "amount", "method", "staff", "webhook", "reconcile")


def _action(name: str, sandbox, browser, gift, staff, prepared: dict):
    """What each actor does: the donor's buttons, staff's admin action, Mollie's webhook for a
    charge or for the paid check, and reconciliation."""

    def donor_post(path, data=None):
        other = Client()
        other.cookies = browser.cookies
        return lambda: other.post(path, data or {})

    if name == "pause":
        return donor_post(url("monthly_pause", gift=gift.pk), {"months": "2"})
    if name == "resume":
        return donor_post(url("monthly_resume", gift=gift.pk))
    if name == "stop":
        return donor_post(url("monthly_stop", gift=gift.pk))
    if name == "amount":
        return donor_post(url("monthly", gift=gift.pk), {"amount": "12", "confirm": "1"})
    if name == "method":
        return lambda: Client().post(webhook_path(), {"id": prepared["check"]})
    if name == "webhook":
        return lambda: Client().post(webhook_path(), {"id": prepared["charge"]})
    if name == "staff":
        return lambda: staff.post(
            "/admin/donations/subscription/",
            {"action": "cancel", "_selected_action": [gift.pk], "confirm": "yes"},
        )
    return lambda: services.payments_reconcile(
        older_than_minutes=0, workers=1, all_subscriptions=True
    )


@pytest.mark.parametrize(
    ("one", "other"), list(itertools.combinations_with_replacement(ACTIONS, 2))
)
def test_any_two_actions_at_once_leave_site_and_mollie_agreeing(
    mollie,  # noqa: F811
    donor,
    django_user_model,
    one,
    other,
):
    browser, _second, gift = donor
    staff = Client()
    staff.force_login(
        django_user_model.objects.create_superuser("staff", "staff@example.org", "pw")
    )
    mollie.clear_faults()
    prepared = {}
    if "webhook" in (one, other):
        prepared["charge"] = _charge_ready(mollie, gift)
    if "method" in (one, other):
        prepared["check"] = _method_ready(mollie, browser, gift)
    if "resume" in (one, other):
        services.subscription_pause(subscription=gift, months=1, actor=SYSTEM)
    mollie.set_faults([MOLLIE_LATENCY])
    results = at_the_same_moment(
        _action(one, mollie, browser, gift, staff, prepared),
        _action(other, mollie, browser, gift, staff, prepared),
    )
    for name, result in zip((one, other), results, strict=True):
        assert not isinstance(result, Exception), (name, result)
        status = getattr(result, "status_code", 200)
        assert status in (200, 302, 303, 409, 503), (name, status)
    mollie.clear_faults()
    assert_site_and_mollie_agree(gift, mollie)


# --- A Mollie subscription made by a call whose answer was lost -------------------------------


def _running_at_mollie(sandbox, gift) -> list[str]:
    with sandbox.store.lock:
        return [
            sid
            for sid, sub in sandbox.store.subscriptions.items()
            if (sub.get("metadata") or {}).get("donation_id") == gift.donation_id
            and sub["status"] in RUNNING
        ]


def test_a_stop_after_a_pause_whose_answer_was_lost_stops_everything(mollie, donor):  # noqa: F811
    """Attacked again: the subscription that resumes a pause was made at Mollie but its answer
    was lost; the donor then stopped the gift, was told it had stopped, and Mollie went on
    charging the new subscription, which the site did not know."""
    first, _second, gift = donor
    mollie.set_faults([{"pattern": "POST /v2/customers/*/subscriptions", "drop": 1}])
    assert first.post(url("monthly_pause", gift=gift.pk), {"months": "1"}).status_code == 303
    mollie.clear_faults()
    assert len(_running_at_mollie(mollie, gift)) == 1  # made, though we never heard of it
    assert first.post(url("monthly_stop", gift=gift.pk)).status_code == 303
    assert _running_at_mollie(mollie, gift) == []
    assert_site_and_mollie_agree(gift, mollie)
    assert not gift.is_active


def test_reconciliation_takes_up_the_subscription_a_lost_answer_made(mollie, donor):  # noqa: F811
    first, _second, gift = donor
    mollie.set_faults([{"pattern": "POST /v2/customers/*/subscriptions", "drop": 1}])
    first.post(url("monthly_pause", gift=gift.pk), {"months": "1"})
    mollie.clear_faults()
    [made] = _running_at_mollie(mollie, gift)
    report = services.payments_reconcile(older_than_minutes=0, workers=1)
    assert report.errors == []
    gift.refresh_from_db()
    assert gift.mollie_id == made and gift.state == "paused"
    assert _running_at_mollie(mollie, gift) == [made]  # taken up, not made a second time
    assert_site_and_mollie_agree(gift, mollie)


def test_a_charge_of_a_subscription_we_did_not_know_is_the_gifts(client, mollie, donor):  # noqa: F811
    first, _second, gift = donor
    mollie.set_faults([{"pattern": "POST /v2/customers/*/subscriptions", "drop": 1}])
    first.post(url("monthly_pause", gift=gift.pk), {"months": "1"})
    mollie.clear_faults()
    [made] = _running_at_mollie(mollie, gift)
    charge = mollie.charge_subscription(made)
    assert webhook(client, charge["id"]).status_code == 200
    assert Payment.objects.get(mollie_id=charge["id"]).subscription_id == gift.pk
