"""Reconciliation: re-sync from Mollie whatever a lost webhook may have left behind."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from .. import gateway
from ..exceptions import PaymentProviderError
from ..models import (
    FINAL_STATUSES,
    FREQUENCY_MONTHS,
    Donation,
    MandateChange,
    Payment,
    PaymentStatus,
    SequenceType,
    Subscription,
    SubscriptionStatus,
)
from .mandates import mandate_change_follow, old_mandates_revoke
from .subscriptions import (
    pre_debit_notices_send,
    subscription_apply_mollie,
    subscription_resume_schedule,
    subscription_start,
)
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
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)


def subscription_sync(*, subscription: Subscription) -> "ReconcileReport":
    """Refresh a subscription and every payment Mollie made for it."""
    report = ReconcileReport()
    data = gateway.subscription_get(
        customer_id=subscription.customer_id, mollie_id=subscription.mollie_id
    )
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        before = (locked.status, locked.amount, locked.next_payment_date)
        # A paused gift's old Mollie subscription is canceled, but the gift goes on.
        subscription_apply_mollie(locked, data, replaced=locked.paused_until is not None)
        if before != (locked.status, locked.amount, locked.next_payment_date):
            report.subscriptions_updated += 1
    known = dict(
        Payment.objects.filter(subscription=subscription).values_list("mollie_id", "status")
    )
    for item in gateway.subscription_payments(
        customer_id=subscription.customer_id, mollie_id=subscription.mollie_id
    ):
        if known.get(item["id"]) in FINAL_STATUSES and known.get(item["id"]) == item["status"]:
            continue
        result = payment_sync(mollie_id=item["id"], data=item)
        report.count(result)
    return report


def payments_reconcile(*, older_than_minutes: int = 5, workers: int = 8) -> ReconcileReport:
    """Re-sync every unfinished payment and every active subscription from Mollie.

    So that a lost webhook never loses a gift. Safe to run on several machines at once: every
    change goes through the same locked, idempotent paths as the webhook. Payments are synced
    by `workers` threads at once, since each sync mostly waits for Mollie. Errors for single
    payments are collected in the report and do not stop the run.
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
    active = list(Subscription.objects.active())
    for outcome in _in_threads(_reconcile_subscription, active, workers):
        if isinstance(outcome, ReconcileReport):
            report.merge(outcome)
        else:
            report.errors.append(outcome)
    _lifecycle_catch_up(report)
    return report


def _lifecycle_catch_up(report: ReconcileReport) -> None:
    """What a pause or a payment-method change left for later because Mollie was away, and
    the pre-debit notices that are due."""
    paused = Subscription.objects.filter(
        paused_until__isnull=False, status=SubscriptionStatus.CANCELED
    )
    for subscription in paused:
        try:
            subscription_resume_schedule(subscription=subscription)
            report.pauses_scheduled += 1
        except PaymentProviderError as error:
            report.errors.append(f"resume of gift {subscription.pk}: {error}")
    started = MandateChange.objects.filter(
        status=MandateChange.Status.STARTED, payment__status=PaymentStatus.PAID
    ).select_related("payment")
    for change in started:
        try:
            mandate_change_follow(payment=change.payment)
            report.method_changes_finished += 1
        except PaymentProviderError as error:
            report.errors.append(f"payment method change {change.pk}: {error}")
    leftover = Subscription.objects.filter(
        mandate_changes__status=MandateChange.Status.DONE,
        mandate_changes__old_mandate_revoked_at__isnull=True,
    ).distinct()
    for subscription in leftover:
        try:
            report.mandates_revoked += old_mandates_revoke(subscription=subscription)
        except PaymentProviderError as error:
            report.errors.append(f"old mandate of gift {subscription.pk}: {error}")
    report.notices_sent += pre_debit_notices_send()


def _reconcile_payment(mollie_id: str) -> SyncResult | str:
    try:
        return payment_sync(mollie_id=mollie_id)
    except (PaymentProviderError, DatabaseError) as error:
        return f"{mollie_id}: {error}"


def _reconcile_subscription(subscription: Subscription) -> "ReconcileReport | str":
    try:
        return subscription_sync(subscription=subscription)
    except (PaymentProviderError, DatabaseError) as error:
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
