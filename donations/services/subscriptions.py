"""Monthly gifts: starting the Mollie subscription once, changing and stopping it."""

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from .. import gateway
from ..events import GiftEvent, gift_event_announce
from ..exceptions import PaymentProviderRefused
from ..models import (
    ACTIVE_SUBSCRIPTION_STATUSES,
    Donation,
    Payment,
    PaymentStatus,
    SequenceType,
    Subscription,
    SubscriptionStatus,
)
from .common import add_months, mollie_amount, mollie_time, webhook_url

MONTHLY_INTERVAL = "1 month"


def subscription_start(*, donation: Donation) -> Subscription | None:
    """Create the Mollie subscription for a monthly donation whose first payment is paid.

    Exactly once, without holding a row lock while Mollie is asked (a slow Mollie must not
    keep other requests waiting on our rows): the Mollie call carries a stable idempotency key
    and a description unique to the donation (so Mollie itself refuses a second active one),
    and the row is unique per donation, so of two calls at once one stores it and sends the
    welcome email, and the other returns that row. The first charge is one month after the
    first payment, which already covered this month.
    Returns None when there is no paid first payment.
    """
    existing = Subscription.objects.filter(donation=donation).first()
    if existing is not None:
        return existing
    donation = Donation.objects.select_related("supporter").get(pk=donation.pk)
    first = (
        donation.payments.filter(sequence_type=SequenceType.FIRST, status=PaymentStatus.PAID)
        .order_by("paid_at")
        .first()
    )
    if first is None:
        return None
    supporter = donation.supporter
    start_date = add_months(timezone.localdate(first.paid_at), 1)
    try:
        data = gateway.subscription_create(
            customer_id=supporter.mollie_customer_id,
            amount=donation.amount,
            interval=MONTHLY_INTERVAL,
            start_date=start_date,
            description=_subscription_description(donation),
            webhook_url=webhook_url(),
            metadata={"donation_id": donation.pk},
            idempotency_key=f"donation-{donation.pk}-subscription",
        )
    except PaymentProviderRefused as error:
        data = _subscription_find(supporter.mollie_customer_id, donation)
        if data is None:
            raise error from None
    try:
        return _subscription_store(donation, first, data, start_date)
    except IntegrityError:  # a concurrent call stored it a moment ago
        return Subscription.objects.get(donation=donation)


def _subscription_store(donation: Donation, first: Payment, data: dict, start_date) -> Subscription:
    supporter = donation.supporter
    with transaction.atomic():
        subscription = Subscription.objects.create(
            mollie_id=data["id"],
            donation=donation,
            supporter=supporter,
            customer_id=supporter.mollie_customer_id,
            amount=mollie_amount(data["amount"]),
            interval=data.get("interval", MONTHLY_INTERVAL),
            status=data["status"],
            start_date=parse_date(data.get("startDate") or "") or start_date,
            next_payment_date=parse_date(data.get("nextPaymentDate") or ""),
            mollie_data=data,
            synced_at=timezone.now(),
        )
        Payment.objects.filter(pk=first.pk).update(subscription=subscription)
        gift_event_announce(GiftEvent.MONTHLY_STARTED, subscription=subscription)
    return subscription


def _subscription_description(donation: Donation) -> str:
    return f"{settings.SITE_NAME} monthly gift #{donation.pk}"


def _subscription_find(customer_id: str, donation: Donation) -> dict | None:
    """A subscription Mollie already has for this donation (made by an earlier, lost attempt)."""
    for item in gateway.subscriptions_of_customer(customer_id):
        if (item.get("metadata") or {}).get("donation_id") == donation.pk and item.get(
            "status"
        ) in ACTIVE_SUBSCRIPTION_STATUSES:
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
        subscription_apply_mollie(subscription, data)
        if subscription.amount != previous:
            gift_event_announce(
                GiftEvent.MONTHLY_AMOUNT_CHANGED, subscription=subscription, previous=previous
            )
    return subscription


def subscription_cancel(*, subscription: Subscription, notify: bool = True) -> Subscription:
    """Stop a monthly gift at Mollie and locally, and announce MONTHLY_STOPPED (once).

    Stopping an already stopped gift changes nothing; `notify=False` is passed on with the
    event (the supporter is being erased and is told about that instead). Raises
    PaymentProviderUnavailable when Mollie cannot be reached; the gift then stays as it was.
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
            subscription_apply_mollie(subscription, data)
        if data is not None and subscription.status == SubscriptionStatus.CANCELED:
            gift_event_announce(GiftEvent.MONTHLY_STOPPED, subscription=subscription, notify=notify)
    return subscription


# --- The one writer of a subscription's schedule -------------------------------------------
# Mollie decides when a monthly gift is charged, so its `nextPaymentDate` is the truth:
# `subscription_apply_mollie` copies it whenever Mollie tells us about the subscription (a
# change, a stop, reconciliation), and then it wins. Between two such answers a charge that
# arrives moves the date on by one month, as Mollie itself does (`subscription_charged`), so
# the supporter area shows the coming date without asking Mollie once per charge (thousands
# arrive on the first of the month). Nothing else writes `next_payment_date`.


def subscription_apply_mollie(subscription: Subscription, data: dict) -> None:
    """Copy Mollie's view of a subscription (`data`) onto our locked row, and save it."""
    subscription.status = data["status"]
    subscription.amount = mollie_amount(data["amount"])
    subscription.next_payment_date = parse_date(data.get("nextPaymentDate") or "")
    if data.get("canceledAt") and subscription.canceled_at is None:
        subscription.canceled_at = mollie_time(data["canceledAt"])
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


def subscription_charged(subscription: Subscription, *, charged_on: datetime | None) -> None:
    """A charge of `subscription` arrived: move the next charge date on when it was due.

    One conditional UPDATE (two charges at once move it once); Mollie's next answer confirms.
    """
    due: date | None = subscription.next_payment_date
    charged = timezone.localdate(charged_on) if charged_on else timezone.localdate()
    if due is not None and due <= charged:
        Subscription.objects.filter(pk=subscription.pk, next_payment_date=due).update(
            next_payment_date=add_months(due, 1)
        )
