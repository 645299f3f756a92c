"""Following Mollie: the one path by which a payment's status and amounts change."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import ratelimit
from core.db import row_by

from .. import gateway
from ..events import GiftEvent, gift_event_announce
from ..exceptions import UnexpectedProviderAnswer
from ..gateway import MolliePayment
from ..models import (
    UNSUCCESSFUL_STATUSES,
    Donation,
    FormerMollieSubscription,
    MandateChange,
    Payment,
    PaymentStatus,
    SequenceType,
    Subscription,
)
from .charges import CHARGED_BACK, subscription_charge_settled, subscription_charged
from .common import donation_first_paid, donor_first_gift
from .mandates import mandate_change_follow
from .recovery import recovery_decide, recovery_follow_up
from .subscriptions import subscription_start


@dataclass
class SyncResult:
    payment: Payment | None
    changed: bool = False
    adopted: bool = False
    subscription_started: bool = False


def payment_sync(*, mollie_id: str, data: MolliePayment | None = None) -> SyncResult:
    """Bring the local payment `mollie_id` in line with Mollie; the one path for every update.

    Used by the webhook, the return page and reconciliation. `data` is Mollie's payment object
    when the caller already has it; otherwise it is fetched. A payment we have never seen is
    adopted when it belongs to one of our subscriptions or donations (Mollie's monthly charges
    arrive like that); any other unknown payment is ignored (result.payment is None).

    After the payment is saved, a paid first payment without a subscription gets one.

    Raises PaymentNotFound when Mollie does not know the id (or it is malformed: then no
    request is made), UnexpectedProviderAnswer when the answer is not that payment,
    PaymentProviderUnavailable when Mollie cannot be reached, and django.db.OperationalError
    when the row lock times out.
    """
    if data is None:
        data = gateway.payment_get(mollie_id)
    if data.id != mollie_id:
        raise UnexpectedProviderAnswer(f"Expected payment {mollie_id!r}, got {data.id!r}.")
    try:
        payment, changed, adopted = _payment_store(mollie_id, data)
    except IntegrityError:
        # A concurrent call adopted the same payment between our lookup and our insert. Its
        # row is committed now (the unique index made us wait for it), so a second pass finds
        # and locks it.
        payment, changed, adopted = _payment_store(mollie_id, data)
    if payment is None:
        return SyncResult(payment=None)
    if payment.is_verification:
        mandate_change_follow(payment=payment)
    if changed and payment.recovery:
        recovery_follow_up(payment)
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
        changed=changed,
        adopted=adopted,
        subscription_started=started,
    )


# A page that shows how a payment stands (the return page, the payment-method check's) asks
# Mollie about a payment one request at a time: while one request is asking, others for the
# same payment show it as stored, however many are loaded at once (by a donor, or by anyone
# holding the page's address). The mark lasts at most REFRESH_SECONDS, should its request die.
REFRESH_SECONDS = 10


def payment_refresh(*, payment: Payment) -> Payment:
    """`payment` as Mollie has it now, for a page: synced unless another request is asking
    Mollie about it at this moment (then as stored). Raises what `payment_sync` raises."""
    if payment.is_final:
        return payment
    key = ratelimit.hash_key(payment.mollie_id)
    if not ratelimit.hit(scope="payment-refresh", key=key, limit=1, window=REFRESH_SECONDS):
        return payment
    try:
        return payment_sync(mollie_id=payment.mollie_id).payment or payment
    finally:
        ratelimit.reset(scope="payment-refresh", key=key)


def mandate_change_refresh(*, change: MandateChange) -> MandateChange:
    """The donor back from the checkout of a payment-method check: ask Mollie how the check
    stands (`payment_refresh`) and finish the change when it is paid.

    Mollie's webhook may be doing the same at this moment, which is safe (the change is
    finished once, as one change of the gift). Raises PaymentProviderError when Mollie cannot
    be reached, GiftBusy when the gift is being changed; the change then stays as it was.
    """
    if change.status == MandateChange.Status.STARTED and change.payment is not None:
        if change.payment.is_final:
            mandate_change_follow(payment=change.payment)
        else:
            payment_refresh(payment=change.payment)
    change.refresh_from_db()
    return change


def _payment_store(mollie_id: str, data: MolliePayment) -> tuple[Payment | None, bool, bool]:
    """Lock and update our row for the payment, or adopt it: (payment, changed, adopted).

    A charge of a subscription is usually new to us when its webhook comes (Mollie makes it;
    a direct debit's first webhook comes when it settles), so it is inserted straight away,
    and only when the row exists already is it locked and updated: on the first of the month
    that saves a query per charge. Any other payment is looked up first.
    """
    if data.subscription_id:
        try:
            with transaction.atomic():
                payment = _payment_adopt(data)
            return payment, payment is not None, payment is not None
        except IntegrityError:
            pass  # we know it already (or a concurrent call just stored it): update it
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(mollie_id=mollie_id).first()
        if payment is not None:
            return payment, _payment_apply(payment, data), False
        payment = _payment_adopt(data)
        return payment, payment is not None, payment is not None


def _payment_adopt(data: MolliePayment) -> Payment | None:
    """Insert the row for a Mollie payment we have not stored yet, if it is one of ours.

    The row is written once, with Mollie's status already applied: a monthly charge costs one
    INSERT (and the subscription's date UPDATE), which matters when thousands arrive at once.
    Raises IntegrityError when a concurrent call inserted it first.
    """
    subscription = None
    donation = None
    if data.subscription_id:
        subscription = row_by(Subscription, "mollie_id", data.subscription_id)
        if subscription is None:  # a charge of a Mollie subscription a pause replaced
            former = FormerMollieSubscription.objects.filter(mollie_id=data.subscription_id)
            subscription = Subscription.objects.filter(
                pk__in=former.values("subscription_id")
            ).first()
        if subscription is None and data.donation_id is not None:
            # A subscription of one of our gifts that we do not know (made by a call whose
            # answer was lost): the charge is the gift's, and the gift is compared with Mollie
            # first at reconciliation's next run, which takes the stray up or cancels it.
            subscription = Subscription.objects.filter(donation_id=data.donation_id).first()
            if subscription is not None:
                Subscription.objects.filter(pk=subscription.pk).update(synced_at=None)
    elif data.retry_of is not None:  # a returned debit's new attempt, made by us
        tried = Payment.objects.filter(pk=data.retry_of).select_related("subscription").first()
        subscription = tried.subscription if tried is not None else None
    elif data.donation_id is not None:
        donation = Donation.objects.filter(pk=data.donation_id).first()
    owner = subscription or donation
    if owner is None:
        return None
    payment = Payment(
        mollie_id=data.id,
        subscription=subscription,
        donation=donation,
        supporter_id=owner.supporter_id,
        status=PaymentStatus.OPEN,
        sequence_type=data.sequence_type,
        amount=data.amount,
        retry_of_id=data.retry_of if data.retry_of and subscription else None,
        # Dated by when Mollie made it: a direct debit is collected then, and we may learn of
        # it only when it is paid, days later (docs/gift-dates.md).
        created_at=data.created_at or timezone.now(),
    )
    events = _payment_fields(payment, data)
    recovery_decide(payment, events)
    payment.save(force_insert=True)
    if subscription is not None and data.subscription_id:  # a charge Mollie made on schedule
        subscription_charged(subscription, charged_on=data.created_at, status=payment.status)
    _events_announce(payment, events, subscription)
    return payment


def _payment_apply(payment: Payment, data: MolliePayment) -> bool:
    """Apply Mollie's view of a locked payment; announce the transition (see donations.events).

    Returns whether anything the donor or staff would see changed.
    """
    before = (payment.status, payment.amount_refunded, payment.amount_charged_back)
    events = _payment_fields(payment, data)
    decided = recovery_decide(payment, events)
    payment.save(
        update_fields=[
            *decided,
            "status",
            "paid_at",
            "failed_at",
            "amount_refunded",
            "amount_charged_back",
            "method",
            "mandate_id",
            "bank_reason_code",
            "mollie_data",
            "synced_at",
        ]
    )
    _events_announce(payment, events)
    if payment.subscription_id and payment.sequence_type == SequenceType.RECURRING:
        if payment.status != before[0] and payment.is_final:
            subscription_charge_settled(payment.subscription_id, status=payment.status)
        if payment.amount_charged_back > before[2]:
            subscription_charge_settled(payment.subscription_id, status=CHARGED_BACK)
    return before != (payment.status, payment.amount_refunded, payment.amount_charged_back)


def _payment_fields(payment: Payment, data: MolliePayment) -> list[GiftEvent]:
    """Copy Mollie's view onto `payment` (not saved); return the events the change makes."""
    now = timezone.now()
    events = []
    if data.amount_charged_back > payment.amount_charged_back:
        events.append(GiftEvent.PAYMENT_CHARGED_BACK)
    if data.status != payment.status:
        payment.status = data.status
        if data.status == PaymentStatus.PAID and payment.paid_at is None:
            payment.paid_at = data.paid_at or now
            events.append(GiftEvent.PAYMENT_PAID)
        if data.status in UNSUCCESSFUL_STATUSES and payment.failed_at is None:
            payment.failed_at = data.ended_at or now
            events.append(GiftEvent.PAYMENT_UNSUCCESSFUL)
    payment.amount_refunded = data.amount_refunded
    payment.amount_charged_back = data.amount_charged_back
    payment.method = data.method or payment.method
    payment.mandate_id = data.mandate_id or payment.mandate_id
    payment.bank_reason_code = data.bank_reason_code or payment.bank_reason_code
    payment.mollie_data = data.raw
    payment.synced_at = now
    return events


def _events_announce(
    payment: Payment, events: list[GiftEvent], subscription: Subscription | None = None
) -> None:
    """Announce what happened to `payment`; a first paid gift also starts the supporter's
    cohort. A charge of a gift begun at the checkout always follows its paid first payment, so
    it never is the first: the thousands of them on the first of the month cost no extra query.
    A gift given by mandate has no first payment: its first paid charge is the donor's first
    gift (`Subscription.awaits_first_gift`, read from `subscription` when the caller has it)."""
    for event in events:
        gift_event_announce(event, payment=payment)
    if GiftEvent.PAYMENT_PAID not in events or payment.is_verification:
        return
    first_gift = not payment.is_recurring
    if payment.is_recurring and (subscription is None or subscription.awaits_first_gift):
        first_gift = bool(
            Subscription.objects.filter(pk=payment.subscription_id, awaits_first_gift=True).update(
                awaits_first_gift=False
            )
        )
    if first_gift:
        donor_first_gift(supporter_id=payment.supporter_id, paid_at=payment.paid_at)
        donation_first_paid(
            donation_id=payment.donation_id,
            subscription_id=payment.subscription_id,
            paid_at=payment.paid_at,
        )
