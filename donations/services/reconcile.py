"""Reconciliation: re-sync from Mollie whatever a lost webhook may have left behind."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import DatabaseError, connection
from django.db.models import F, Q
from django.utils import timezone

from core.db import locked

from .. import gateway
from ..exceptions import GiftError, PaymentProviderError
from ..models import (
    ACTIVE_SUBSCRIPTION_STATUSES,
    FINAL_STATUSES,
    FREQUENCY_MONTHS,
    Donation,
    GiftChange,
    MandateChange,
    Payment,
    PaymentStatus,
    SequenceType,
    Subscription,
    SubscriptionStatus,
)
from .changes import changes_settle, gift_change, strays_resolve, subscription_apply_mollie
from .charges import pre_debit_notices_send
from .common import webhook_url
from .direct_debit import mandates_follow_up
from .mandates import mandate_change_follow, old_mandates_revoke
from .recovery import recoveries_due
from .subscriptions import subscription_resume_schedule, subscription_start
from .sync import SyncResult, payment_sync


@dataclass
class ReconcileReport:
    payments_checked: int = 0
    payments_changed: int = 0
    payments_adopted: int = 0
    subscriptions_created: int = 0
    subscriptions_updated: int = 0
    pauses_scheduled: int = 0
    method_changes_finished: int = 0
    mandates_revoked: int = 0
    notices_sent: int = 0
    changes_settled: int = 0
    strays_resolved: int = 0
    returned_debits_followed: int = 0
    bank_mandates_followed: int = 0
    errors: list[str] = field(default_factory=list)

    def count(self, result: SyncResult) -> None:
        self.payments_checked += 1
        self.payments_changed += result.changed and not result.adopted
        self.payments_adopted += result.adopted
        self.subscriptions_created += result.subscription_started

    def merge(self, other: "ReconcileReport") -> None:
        for name in (
            "payments_checked",
            "payments_changed",
            "payments_adopted",
            "subscriptions_created",
            "subscriptions_updated",
            "pauses_scheduled",
            "method_changes_finished",
            "mandates_revoked",
            "notices_sent",
            "changes_settled",
            "strays_resolved",
            "returned_debits_followed",
            "bank_mandates_followed",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)


def subscription_sync(*, subscription: Subscription, wait: float = 0) -> "ReconcileReport":
    """Compare a regular gift with Mollie (as one change of the gift: GiftBusy when another is
    under way and does not finish within `wait` seconds), then refresh every payment Mollie
    made for it."""
    report = ReconcileReport()
    with gift_change(subscription, GiftChange.Kind.COMPARE, wait=wait) as claim:
        gift = claim.subscription
        ids = {"customer_id": gift.customer_id, "mollie_id": gift.mollie_id}
        data = gateway.subscription_get(**ids)
        hook = webhook_url()
        running = data.status in ACTIVE_SUBSCRIPTION_STATUSES
        if hook and running and data.webhook_url != hook:
            # Made before the webhook's address carried its token (or before the token
            # changed): its charges would call an address that no longer acts.
            data = gateway.subscription_update(**ids, webhook_url=hook)
        with locked(Subscription, gift.pk) as gift:
            before = (gift.status, gift.amount, gift.next_payment_date)
            # A paused or halted gift's old Mollie subscription is canceled, but the gift
            # goes on.
            waiting = gift.paused_until is not None or bool(gift.halted_reason)
            subscription_apply_mollie(gift, data, replaced=waiting)
            if before != (gift.status, gift.amount, gift.next_payment_date):
                report.subscriptions_updated += 1
        report.strays_resolved += strays_resolve(gift)
    known = dict(Payment.objects.filter(subscription=gift).values_list("mollie_id", "status"))
    for item in gateway.subscription_payments(
        customer_id=gift.customer_id, mollie_id=gift.mollie_id
    ):
        if known.get(item.id) in FINAL_STATUSES and known.get(item.id) == item.status:
            continue
        result = payment_sync(mollie_id=item.id, data=item)
        report.count(result)
    return report


# How far back each run reads Mollie's list of payments for charges whose webhook was lost:
# longer than Mollie goes on retrying a webhook, with a day to spare for a run that failed.
RECENT_CHARGES = timedelta(days=3)
# How often each running monthly gift is compared with Mollie in full (its status, amount and
# next charge date, and every payment it made), and how many at most in one run: Mollie changes
# a subscription without calling us (it ends one whose mandate stopped working), and a
# comparison costs two calls, which for every gift in every run would be the most of our
# traffic to Mollie. The oldest comparisons go first, so the load spreads over the day.
SUBSCRIPTION_RECHECK = timedelta(hours=24)
SUBSCRIPTIONS_PER_RUN = 500


def payments_reconcile(
    *,
    older_than_minutes: int = 5,
    workers: int = 8,
    all_subscriptions: bool = False,
    subscriptions_per_run: int = SUBSCRIPTIONS_PER_RUN,
) -> ReconcileReport:
    """Re-sync from Mollie what a lost webhook may have left behind, so it never loses a gift.

    Every unfinished payment; every charge Mollie made lately that we lack (from its list of
    payments, a call per 250); the first payments whose monthly gift was not started; and the
    running monthly gifts last compared with Mollie a day or more ago, oldest first, up to
    `subscriptions_per_run` (all of them with `all_subscriptions`).

    Safe to run on several machines at once: every change goes through the same locked,
    idempotent paths as the webhook. Payments are synced by `workers` threads at once, since
    each sync mostly waits for Mollie. Errors for single payments are collected in the report
    and do not stop the run.
    """
    report = ReconcileReport()
    cutoff = timezone.now() - timezone.timedelta(minutes=older_than_minutes)
    unfinished = list(
        Payment.objects.exclude(status__in=FINAL_STATUSES)
        .filter(created_at__lt=cutoff)
        .values_list("mollie_id", flat=True)
    )
    for outcome in _in_threads(_reconcile_payment, unfinished, workers):
        if isinstance(outcome, SyncResult):
            report.count(outcome)
        else:
            report.errors.append(outcome)
    waiting = Donation.objects.filter(
        frequency__in=list(FREQUENCY_MONTHS),
        subscription__isnull=True,
        payments__sequence_type=SequenceType.FIRST,
        payments__status=PaymentStatus.PAID,
    ).distinct()
    for donation in waiting:
        try:
            report.subscriptions_created += subscription_start(donation=donation) is not None
        except PaymentProviderError as error:
            report.errors.append(f"donation {donation.pk}: {error}")
    _recent_charges_adopt(report)
    due = Subscription.objects.active().order_by(F("synced_at").asc(nulls_first=True), "pk")
    if not all_subscriptions:
        stale = Q(synced_at__isnull=True) | Q(synced_at__lt=timezone.now() - SUBSCRIPTION_RECHECK)
        due = due.filter(stale)[:subscriptions_per_run]
    for outcome in _in_threads(_reconcile_subscription, list(due), workers):
        if isinstance(outcome, ReconcileReport):
            report.merge(outcome)
        else:
            report.errors.append(outcome)
    _lifecycle_catch_up(report, older_than_minutes)
    return report


def _recent_charges_adopt(report: ReconcileReport) -> None:
    """The charges of our monthly gifts that Mollie made lately and we lack, or hold with
    another status: Mollie's list of payments, newest first, back to RECENT_CHARGES ago."""
    try:
        for page in gateway.payments_created_since(timezone.now() - RECENT_CHARGES):
            ours = set(
                Subscription.objects.filter(
                    mollie_id__in={item.subscription_id for item in page}
                ).values_list("mollie_id", flat=True)
            )
            # Charges of a Mollie subscription we do not know, made for one of our gifts.
            gifts = set(
                Subscription.objects.filter(
                    donation_id__in={i.donation_id for i in page if i.subscription_id}
                ).values_list("donation_id", flat=True)
            )
            ours |= {
                i.subscription_id for i in page if i.subscription_id and i.donation_id in gifts
            }
            known = dict(
                Payment.objects.filter(mollie_id__in=[item.id for item in page]).values_list(
                    "mollie_id", "status"
                )
            )
            for item in page:
                if item.subscription_id not in ours or known.get(item.id) == item.status:
                    continue
                try:
                    report.count(payment_sync(mollie_id=item.id, data=item))
                except (PaymentProviderError, GiftError, DatabaseError) as error:
                    report.errors.append(f"{item.id}: {error}")
    except PaymentProviderError as error:
        report.errors.append(f"the list of recent payments: {error}")


def _lifecycle_catch_up(report: ReconcileReport, older_than_minutes: int) -> None:
    """What a change left for later because Mollie was away or its process ended (settled from
    what Mollie shows), what a pause or a payment-method change still has to do, and the
    pre-debit notices that are due. A gift that another change holds is left for the next
    run."""
    settled, errors = changes_settle(older_than=timedelta(minutes=older_than_minutes))
    report.changes_settled += settled
    report.errors.extend(errors)
    paused = Subscription.objects.filter(
        paused_until__isnull=False, status=SubscriptionStatus.CANCELED
    )
    for subscription in paused:
        try:
            subscription_resume_schedule(subscription=subscription)
            report.pauses_scheduled += 1
        except (PaymentProviderError, GiftError) as error:
            report.errors.append(f"resume of gift {subscription.pk}: {error}")
    started = MandateChange.objects.filter(
        status=MandateChange.Status.STARTED, payment__status=PaymentStatus.PAID
    ).select_related("payment")
    for change in started:
        try:
            mandate_change_follow(payment=change.payment)
            report.method_changes_finished += 1
        except (PaymentProviderError, GiftError) as error:
            report.errors.append(f"payment method change {change.pk}: {error}")
    leftover = Subscription.objects.filter(
        mandate_changes__status=MandateChange.Status.DONE,
        mandate_changes__old_mandate_revoked_at__isnull=True,
    ).distinct()
    for subscription in leftover:
        try:
            report.mandates_revoked += old_mandates_revoke(subscription=subscription)
        except (PaymentProviderError, GiftError) as error:
            report.errors.append(f"old mandate of gift {subscription.pk}: {error}")
    report.notices_sent += pre_debit_notices_send()
    followed, errors = recoveries_due()
    report.returned_debits_followed += followed
    report.errors.extend(errors)
    followed, errors = mandates_follow_up()
    report.bank_mandates_followed += followed
    report.errors.extend(errors)


def _reconcile_payment(mollie_id: str) -> SyncResult | str:
    try:
        return payment_sync(mollie_id=mollie_id)
    except (PaymentProviderError, GiftError, DatabaseError) as error:
        return f"{mollie_id}: {error}"


def _reconcile_subscription(subscription: Subscription) -> "ReconcileReport | str":
    try:
        return subscription_sync(subscription=subscription)
    except (PaymentProviderError, GiftError, DatabaseError) as error:
        return f"{subscription.mollie_id}: {error}"


def _in_threads(function, items: list, workers: int):
    """`map(function, items)` over a pool of threads, each closing its database connection.

    SQLite (development) allows one writer at a time, so there it runs in this thread.
    """
    if workers <= 1 or len(items) <= 1 or connection.vendor == "sqlite":
        yield from map(function, items)
        return

    def run(item):
        try:
            return function(item)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(run, items)
