"""Every write of the donations app: starting gifts, following Mollie, managing monthly gifts.

State rules (see docs/architecture.md): each Mollie payment is one Payment row; status changes
happen under a row lock and only when the status really changes; side effects (emails) are
queued in the same transaction and sent after it commits, once per event; Mollie calls carry
stable idempotency keys so a retry never charges twice.
"""

import calendar
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from core import ratelimit
from supporters.models import Supporter
from supporters.services import supporter_get_or_create

from . import emails, gateway
from .exceptions import (
    DonationLimitReached,
    PaymentProviderError,
    PaymentProviderRefused,
)
from .models import (
    FINAL_STATUSES,
    UNSUCCESSFUL_STATUSES,
    ZERO,
    Donation,
    Frequency,
    Payment,
    PaymentStatus,
    SequenceType,
    Subscription,
    SubscriptionStatus,
)

logger = logging.getLogger(__name__)

MONTHLY_INTERVAL = "1 month"
DONATION_START_WINDOW_SECONDS = 3600
LOCK_TIMEOUT = "5s"


def add_months(day: date, months: int) -> date:
    """`day` moved `months` months ahead, clamped to a shorter month's end (31 Jan → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _decimal(amount: dict | None) -> Decimal:
    return Decimal(amount["value"]) if amount else ZERO


def _when(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def _lock_timeout() -> None:
    """Give up waiting for a row lock after LOCK_TIMEOUT (PostgreSQL), so callers can answer 503."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")


def _webhook_url() -> str | None:
    # Only when Mollie can reach us: the real Mollie refuses a localhost webhook URL.
    base = settings.MOLLIE_WEBHOOK_BASE_URL
    return f"{base}{reverse('mollie_webhook')}" if base else None


# --- Starting a gift ----------------------------------------------------------------------


def donation_start(
    *,
    amount: Decimal,
    frequency: str,
    name: str,
    email: str,
    language: str,
    site_url: str,
    client_key: str,
) -> tuple[Donation, str]:
    """Record a donation and create its first payment at Mollie; return it and the checkout URL.

    The supporter is found or created by email (nobody is logged in by this). A monthly gift
    first makes sure the supporter is a Mollie customer, then asks for a `first` payment.
    `site_url` is the scheme and host the donor used; the return URL is built on it.

    Raises DonationLimitReached when `client_key` started too many donations this hour. Raises
    PaymentProviderUnavailable or PaymentProviderRefused when Mollie cannot or will not create
    the payment; the Donation row is kept either way, with the reason in `start_error`.
    """
    if not ratelimit.hit(
        scope="donation-start",
        key=client_key,
        limit=settings.DONATION_START_LIMIT_PER_HOUR,
        window=DONATION_START_WINDOW_SECONDS,
    ):
        raise DonationLimitReached
    supporter, created = supporter_get_or_create(email=email, name=name, language=language)
    donation = Donation.objects.create(
        supporter=supporter,
        amount=amount,
        frequency=frequency,
        language=language,
        created_supporter=created,
    )
    try:
        data = _first_payment_create(donation=donation, site_url=site_url)
    except PaymentProviderError as error:
        Donation.objects.filter(pk=donation.pk).update(start_error=str(error)[:2000])
        donation.start_error = str(error)
        raise
    Payment.objects.create(
        mollie_id=data["id"],
        donation=donation,
        supporter=supporter,
        status=data["status"],
        sequence_type=data.get("sequenceType", SequenceType.ONEOFF),
        amount=_decimal(data["amount"]),
        method=data.get("method") or "",
        mollie_data=data,
        synced_at=timezone.now(),
    )
    return donation, data["_links"]["checkout"]["href"]


def _first_payment_create(*, donation: Donation, site_url: str) -> dict:
    with translation.override(donation.language):
        return_path = reverse("donations:return", kwargs={"token": donation.public_token})
        if donation.is_monthly:
            description = _("Monthly gift to %(name)s") % {"name": settings.SITE_NAME}
        else:
            description = _("Gift to %(name)s") % {"name": settings.SITE_NAME}
    customer_id = None
    if donation.is_monthly:
        customer_id = supporter_ensure_customer(supporter=donation.supporter)
    return gateway.payment_create(
        amount=donation.amount,
        description=f"{description} #{donation.pk}",
        redirect_url=f"{site_url}{return_path}",
        webhook_url=_webhook_url(),
        metadata={"donation_id": donation.pk},
        language=donation.language,
        idempotency_key=f"donation-{donation.pk}-payment",
        customer_id=customer_id,
        first_of_subscription=donation.is_monthly,
    )


def supporter_ensure_customer(*, supporter: Supporter) -> str:
    """The supporter's Mollie customer id, creating the customer at Mollie the first time."""
    if supporter.mollie_customer_id:
        return supporter.mollie_customer_id
    data = gateway.customer_create(
        name=supporter.name,
        email=supporter.email,
        language=supporter.language,
        idempotency_key=f"supporter-{supporter.pk}-customer",
    )
    # Two donations at once get the same customer back (same idempotency key); keep the first.
    Supporter.objects.filter(pk=supporter.pk, mollie_customer_id="").update(
        mollie_customer_id=data["id"]
    )
    supporter.refresh_from_db(fields=["mollie_customer_id"])
    return supporter.mollie_customer_id


# --- Following Mollie ---------------------------------------------------------------------


@dataclass
class SyncResult:
    payment: Payment | None
    changed: bool = False
    adopted: bool = False
    subscription_started: bool = False


def payment_sync(*, mollie_id: str, data: dict | None = None) -> SyncResult:
    """Bring the local payment `mollie_id` in line with Mollie; the one path for every update.

    Used by the webhook, the return page and reconciliation. `data` is Mollie's payment object
    when the caller already has it; otherwise it is fetched. A payment we have never seen is
    adopted when it belongs to one of our subscriptions or donations (Mollie's monthly charges
    arrive like that); any other unknown payment is ignored (result.payment is None).

    After the payment is saved, a paid first payment without a subscription gets one.

    Raises PaymentNotFound when Mollie does not know the id, PaymentProviderUnavailable when
    Mollie cannot be reached, and django.db.OperationalError when the row lock times out.
    """
    if data is None:
        data = gateway.payment_get(mollie_id)
    with transaction.atomic():
        _lock_timeout()
        payment = Payment.objects.select_for_update().filter(mollie_id=mollie_id).first()
        adopted = False
        if payment is None:
            payment = _payment_adopt(data)
            if payment is None:
                return SyncResult(payment=None)
            adopted = True
        changed = _payment_apply(payment, data)
    started = False
    if (
        payment.is_paid
        and payment.sequence_type == SequenceType.FIRST
        and payment.donation_id
        and not Subscription.objects.filter(donation_id=payment.donation_id).exists()
    ):
        started = subscription_start(donation=payment.donation) is not None
    return SyncResult(
        payment=payment,
        changed=changed or adopted,
        adopted=adopted,
        subscription_started=started,
    )


def _payment_adopt(data: dict) -> Payment | None:
    """Create the row for a Mollie payment we have not stored yet, if it is one of ours."""
    subscription = None
    donation = None
    if data.get("subscriptionId"):
        subscription = Subscription.objects.filter(mollie_id=data["subscriptionId"]).first()
    if subscription is None:
        donation_id = (data.get("metadata") or {}).get("donation_id")
        if isinstance(donation_id, int) and not data.get("subscriptionId"):
            donation = Donation.objects.filter(pk=donation_id).first()
    owner = subscription or donation
    if owner is None:
        return None
    payment, created = Payment.objects.get_or_create(
        mollie_id=data["id"],
        defaults={
            "subscription": subscription,
            "donation": donation,
            "supporter_id": owner.supporter_id,
            "status": PaymentStatus.OPEN,
            "sequence_type": data.get("sequenceType", SequenceType.RECURRING),
            "amount": _decimal(data["amount"]),
        },
    )
    if created and subscription is not None:
        _subscription_advance(subscription, charged_on=_when(data.get("createdAt")))
    return Payment.objects.select_for_update().get(pk=payment.pk)


def _subscription_advance(subscription: Subscription, *, charged_on: datetime | None) -> None:
    """Move the next charge date on after a charge, as Mollie does (reconciliation confirms)."""
    due = subscription.next_payment_date
    charged = timezone.localdate(charged_on) if charged_on else timezone.localdate()
    if due is not None and due <= charged:
        Subscription.objects.filter(pk=subscription.pk, next_payment_date=due).update(
            next_payment_date=add_months(due, 1)
        )


def _payment_apply(payment: Payment, data: dict) -> bool:
    """Apply Mollie's view of a locked payment; queue the emails its transition calls for.

    Returns whether anything the donor or staff would see changed.
    """
    before = (payment.status, payment.amount_refunded, payment.amount_charged_back)
    new_status = data["status"]
    now = timezone.now()
    events = []
    if new_status != payment.status:
        payment.status = new_status
        if new_status == PaymentStatus.PAID and payment.paid_at is None:
            payment.paid_at = _when(data.get("paidAt")) or now
            events.append("paid")
        if new_status in UNSUCCESSFUL_STATUSES and payment.failed_at is None:
            payment.failed_at = (
                _when(data.get("failedAt") or data.get("canceledAt") or data.get("expiredAt"))
                or now
            )
            events.append("unsuccessful")
    payment.amount_refunded = _decimal(data.get("amountRefunded"))
    payment.amount_charged_back = _decimal(data.get("amountChargedBack"))
    payment.method = data.get("method") or payment.method
    payment.mollie_data = data
    payment.synced_at = now
    payment.save(
        update_fields=[
            "status",
            "paid_at",
            "failed_at",
            "amount_refunded",
            "amount_charged_back",
            "method",
            "mollie_data",
            "synced_at",
        ]
    )
    for event in events:
        _payment_event(payment, event)
    return before != (payment.status, payment.amount_refunded, payment.amount_charged_back)


def _payment_event(payment: Payment, event: str) -> None:
    if event == "paid" and payment.sequence_type == SequenceType.ONEOFF:
        emails.thanks_oneoff(payment=payment)
    elif event == "unsuccessful" and payment.sequence_type == SequenceType.RECURRING:
        emails.charge_failed(payment=payment)


# --- Monthly gifts ------------------------------------------------------------------------


def subscription_start(*, donation: Donation) -> Subscription | None:
    """Create the Mollie subscription for a monthly donation whose first payment is paid.

    Exactly once: the donation row is locked, an existing subscription is returned as is, the
    Mollie call carries a stable idempotency key and a description unique to the donation (so
    Mollie itself refuses a second active one), and the row is unique per donation. The first
    charge is one month after the first payment, which already covered this month.
    Returns None when there is no paid first payment.
    """
    with transaction.atomic():
        _lock_timeout()
        donation = (
            Donation.objects.select_for_update().select_related("supporter").get(pk=donation.pk)
        )
        existing = Subscription.objects.filter(donation=donation).first()
        if existing is not None:
            return existing
        first = (
            donation.payments.filter(sequence_type=SequenceType.FIRST, status=PaymentStatus.PAID)
            .order_by("paid_at")
            .first()
        )
        if first is None:
            return None
        supporter = donation.supporter
        start_date = add_months(timezone.localdate(first.paid_at), 1)
        description = _subscription_description(donation)
        try:
            data = gateway.subscription_create(
                customer_id=supporter.mollie_customer_id,
                amount=donation.amount,
                interval=MONTHLY_INTERVAL,
                start_date=start_date,
                description=description,
                webhook_url=_webhook_url(),
                metadata={"donation_id": donation.pk},
                idempotency_key=f"donation-{donation.pk}-subscription",
            )
        except PaymentProviderRefused as error:
            data = _subscription_find(supporter.mollie_customer_id, donation)
            if data is None:
                raise error from None
        subscription = Subscription.objects.create(
            mollie_id=data["id"],
            donation=donation,
            supporter=supporter,
            customer_id=supporter.mollie_customer_id,
            amount=_decimal(data["amount"]),
            interval=data.get("interval", MONTHLY_INTERVAL),
            status=data["status"],
            start_date=parse_date(data.get("startDate") or "") or start_date,
            next_payment_date=parse_date(data.get("nextPaymentDate") or ""),
            mollie_data=data,
            synced_at=timezone.now(),
        )
        Payment.objects.filter(pk=first.pk).update(subscription=subscription)
        emails.welcome_monthly(subscription=subscription)
    return subscription


def _subscription_description(donation: Donation) -> str:
    return f"{settings.SITE_NAME} monthly gift #{donation.pk}"


def _subscription_find(customer_id: str, donation: Donation) -> dict | None:
    """A subscription Mollie already has for this donation (made by an earlier, lost attempt)."""
    for item in gateway.subscriptions_of_customer(customer_id):
        if (item.get("metadata") or {}).get("donation_id") == donation.pk and item.get(
            "status"
        ) in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING):
            return item
    return None


def subscription_update_amount(*, subscription: Subscription, amount: Decimal) -> Subscription:
    """Change the amount of future charges at Mollie and locally; confirm by email.

    Raises PaymentProviderRefused (for example for a canceled subscription) or
    PaymentProviderUnavailable; nothing changes locally then.
    """
    data = gateway.subscription_update_amount(
        customer_id=subscription.customer_id, mollie_id=subscription.mollie_id, amount=amount
    )
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        previous = subscription.amount
        _subscription_apply(subscription, data)
        if subscription.amount != previous:
            emails.amount_changed(subscription=subscription, previous=previous)
    return subscription


def subscription_cancel(*, subscription: Subscription) -> Subscription:
    """Stop a monthly gift at Mollie and locally; confirm by email (once).

    Stopping an already stopped gift changes nothing. Raises PaymentProviderUnavailable when
    Mollie cannot be reached; the gift then stays as it was.
    """
    subscription.refresh_from_db(fields=["status"])
    data = None
    if subscription.status not in (SubscriptionStatus.CANCELED, SubscriptionStatus.COMPLETED):
        ids = {"customer_id": subscription.customer_id, "mollie_id": subscription.mollie_id}
        try:
            data = gateway.subscription_cancel(**ids)
        except PaymentProviderRefused:
            # Mollie answers 422 when it was already canceled (by staff in its dashboard, say).
            data = gateway.subscription_get(**ids)
            if data["status"] != SubscriptionStatus.CANCELED:
                raise
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if data is not None:
            _subscription_apply(subscription, data)
        if subscription.status == SubscriptionStatus.CANCELED:
            emails.monthly_stopped(subscription=subscription)
    return subscription


def subscription_sync(*, subscription: Subscription) -> "ReconcileReport":
    """Refresh a subscription and every payment Mollie made for it."""
    report = ReconcileReport()
    data = gateway.subscription_get(
        customer_id=subscription.customer_id, mollie_id=subscription.mollie_id
    )
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        before = (locked.status, locked.amount, locked.next_payment_date)
        _subscription_apply(locked, data)
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


def _subscription_apply(subscription: Subscription, data: dict) -> None:
    subscription.status = data["status"]
    subscription.amount = _decimal(data["amount"])
    subscription.next_payment_date = parse_date(data.get("nextPaymentDate") or "")
    if data.get("canceledAt") and subscription.canceled_at is None:
        subscription.canceled_at = _when(data["canceledAt"])
    subscription.mollie_data = data
    subscription.synced_at = timezone.now()
    subscription.save(
        update_fields=[
            "status",
            "amount",
            "next_payment_date",
            "canceled_at",
            "mollie_data",
            "synced_at",
        ]
    )


# --- Staff actions ------------------------------------------------------------------------


def payment_refund(*, payment: Payment, amount: Decimal | None = None) -> Payment:
    """Refund `amount` (all that is left when None) of a paid payment through Mollie.

    Raises PaymentProviderRefused when Mollie refuses (more than is left, say).
    """
    remaining = payment.amount - payment.amount_refunded - payment.amount_charged_back
    amount = remaining if amount is None else amount
    if not payment.is_paid or amount <= 0 or amount > remaining:
        raise PaymentProviderRefused(
            _("Only a paid payment can be refunded, up to € %(left)s.") % {"left": remaining}
        )
    refunded_before = payment.amount_refunded
    gateway.refund_create(
        mollie_id=payment.mollie_id,
        amount=amount,
        description=f"{settings.SITE_NAME} refund",
        idempotency_key=f"refund-{payment.mollie_id}-{refunded_before}-{amount}",
    )
    result = payment_sync(mollie_id=payment.mollie_id)
    return result.payment


# --- Reconciliation -----------------------------------------------------------------------


@dataclass
class ReconcileReport:
    payments_checked: int = 0
    payments_changed: int = 0
    payments_adopted: int = 0
    subscriptions_created: int = 0
    subscriptions_updated: int = 0
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
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)


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
        frequency=Frequency.MONTHLY,
        subscription__isnull=True,
        payments__sequence_type=SequenceType.FIRST,
        payments__status=PaymentStatus.PAID,
    ).distinct()
    for donation in waiting:
        try:
            report.subscriptions_created += subscription_start(donation=donation) is not None
        except PaymentProviderError as error:
            report.errors.append(f"donation {donation.pk}: {error}")
    active = list(
        Subscription.objects.filter(
            status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING]
        )
    )
    for outcome in _in_threads(_reconcile_subscription, active, workers):
        if isinstance(outcome, ReconcileReport):
            report.merge(outcome)
        else:
            report.errors.append(outcome)
    return report


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
