"""What a regular gift's charges do to it: the next charge date, failures counted, a pause
that is over, and the notice a donor gets ahead of an unusual charge.

Charges arrive through the webhook, thousands at once on the first of the month, and take no
part in the gift's changes (donations/services/changes.py): they only move the date and the
counters, with conditional UPDATEs, so that they never wait for a donor's click.

Mollie decides when a regular gift is charged, so its `nextPaymentDate` is the truth:
`subscription_apply_mollie` copies it whenever Mollie tells us about the subscription (a
change, a stop, reconciliation), and then it wins. Between two such answers a charge that
arrives moves the date on by one interval the way Mollie counts it
(`donations.schedule.charge_after`), so the supporter area shows the coming date without
asking Mollie once per charge. Besides these two, only the making of a gift's subscription
writes `next_payment_date` (from Mollie's answer, in subscriptions.py).
"""

from datetime import date, datetime

from django.conf import settings
from django.db.models import Case, F, Value, When
from django.utils import timezone

from core.db import locked, update_where

from .. import schedule
from ..events import GiftEvent, gift_event_announce
from ..models import (
    AT_RISK_AFTER_FAILURES,
    UNSUCCESSFUL_STATUSES,
    Payment,
    PaymentStatus,
    SequenceType,
    Subscription,
)

CHARGED_BACK = "charged_back"


def charge_after(subscription: Subscription, due: date) -> date:
    """The gift's charge after the one due on `due`, as Mollie schedules it."""
    anchor = subscription.start_date or due
    return schedule.charge_after(due, anchor=anchor, months=subscription.months)


def subscription_charged(
    subscription: Subscription, *, charged_on: datetime | None, status: str
) -> None:
    """A charge of `subscription` arrived (a new payment row, with Mollie's `status`).

    Moves the next charge date on when it was due, ends a pause that is over, clears a notice
    that was due, and counts the outcome (see `subscription_charge_settled`): one UPDATE, or
    none when nothing changes.
    """
    charged = timezone.localdate(charged_on) if charged_on else timezone.localdate()
    changes = _outcome_changes(subscription, status)
    if subscription.paused_until is not None and subscription.paused_until <= charged:
        changes["paused_until"] = None
    if subscription.notice_due:
        changes["notice_due"] = False
    due: date | None = subscription.next_payment_date
    if due is None or due > charged:
        if changes:
            update_where(Subscription, subscription.pk, {}, changes)
        return
    # Only if nobody moved the date since we read it: one UPDATE in the usual case.
    moved = update_where(
        Subscription,
        subscription.pk,
        {"next_payment_date": due},
        {"next_payment_date": charge_after(subscription, due), **changes},
    )
    if not moved:
        # Another charge of this gift moved it meanwhile (Mollie charged several months at
        # once): lock the row and move on from where that charge left it.
        with locked(Subscription, subscription.pk) as row:
            if row.next_payment_date is not None and row.next_payment_date <= charged:
                changes["next_payment_date"] = charge_after(row, row.next_payment_date)
            if changes:
                Subscription.objects.filter(pk=subscription.pk).update(**changes)


def subscription_charge_settled(subscription_id: int, *, status: str) -> None:
    """A charge we already knew has become paid or unsuccessful (a direct debit settles days
    later), or was charged back (status CHARGED_BACK): count it."""
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    changes = _outcome_changes(subscription, status) if subscription else {}
    if changes:
        Subscription.objects.filter(pk=subscription_id).update(**changes)


def _outcome_changes(subscription: Subscription, status: str) -> dict:
    """Failed charges in a row, and "at risk" after AT_RISK_AFTER_FAILURES of them; a paid
    charge resets both (the gift is recovered, and so are its failed charges)."""
    if status == PaymentStatus.PAID:
        if subscription.failed_in_a_row or subscription.at_risk_since:
            Payment.objects.filter(
                subscription=subscription,
                sequence_type=SequenceType.RECURRING,
                status__in=UNSUCCESSFUL_STATUSES,
                recovered=False,
            ).update(recovered=True)
            return {"failed_in_a_row": 0, "at_risk_since": None}
        return {}
    if status in UNSUCCESSFUL_STATUSES or status == CHARGED_BACK:
        return {
            "failed_in_a_row": F("failed_in_a_row") + 1,
            "at_risk_since": Case(
                When(
                    at_risk_since__isnull=True,
                    failed_in_a_row__gte=AT_RISK_AFTER_FAILURES - 1,
                    then=Value(timezone.now()),
                ),
                default=F("at_risk_since"),
            ),
        }
    return {}


def pre_debit_notices_send() -> int:
    """Announce CHARGE_UPCOMING for every gift whose next charge, due within
    PRE_DEBIT_NOTICE_DAYS, differs from the usual one (higher, or the first after a pause or a
    new payment method). Run by the reconciliation timer; each notice goes out once."""
    today = timezone.localdate()
    horizon = today + timezone.timedelta(days=settings.PRE_DEBIT_NOTICE_DAYS)
    due = Subscription.objects.active().filter(
        notice_due=True, next_payment_date__gte=today, next_payment_date__lte=horizon
    )
    sent = 0
    for subscription_id in due.values_list("pk", flat=True):
        with locked(Subscription, subscription_id) as gift:
            if not gift.notice_due or gift.next_payment_date is None:
                continue
            gift_event_announce(
                GiftEvent.CHARGE_UPCOMING, subscription=gift, charge_date=gift.next_payment_date
            )
            gift.notice_due = False
            gift.save(update_fields=["notice_due"])
            sent += 1
    return sent
