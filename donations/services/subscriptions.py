"""Regular gifts: starting the Mollie subscription once, and the changes a donor, staff or
reconciliation make to it (a new amount, a stop, a pause and its end, a restart on a new
mandate). Each change runs as one `GiftChange` (donations/services/changes.py), in the phases
donations/lifecycle.py allows; what charges do to a gift is in charges.py."""

import logging
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.actors import Actor
from core.db import locked

from .. import audit, gateway, schedule
from ..audit import gift_audit
from ..events import GiftEvent, gift_event_announce
from ..exceptions import PaymentProviderError, PaymentProviderRefused
from ..gateway import MollieSubscription
from ..lifecycle import PAUSE_MONTHS
from ..models import (
    ACTIVE_SUBSCRIPTION_STATUSES,
    BankMandate,
    Donation,
    GiftChange,
    GiftPhase,
    Payment,
    PaymentStatus,
    SequenceType,
    Subscription,
    SubscriptionStatus,
    mollie_interval,
)
from .changes import gift_change, strays_resolve, subscription_apply_mollie, take_up
from .common import webhook_url

logger = logging.getLogger(__name__)

Kind = GiftChange.Kind


def subscription_start(*, donation: Donation) -> Subscription | None:
    """Create the Mollie subscription for a regular donation whose first payment is paid.

    On the donation's own Mollie customer and pinned to the mandate of that first payment, so
    it can never be charged from another mandate, whoever else gives with the same address.
    Exactly once, without holding a row lock while Mollie is asked (a slow Mollie must not
    keep other requests waiting on our rows): the Mollie call carries a stable idempotency key
    and a description unique to the donation (so Mollie itself refuses a second active one),
    and the row is unique per donation, so of two calls at once one stores it and sends the
    welcome email, and the other returns that row. The first charge is one interval after the
    first payment, which already covered this one.
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
    start_date = schedule.first_charge(timezone.localdate(first.paid_at), months=donation.months)
    return _subscription_make(donation, _first_payment_mandate(first), start_date, first=first)


def subscription_start_on_mandate(
    *, donation: Donation, mandate_id: str, start_date: date
) -> Subscription:
    """Create the Mollie subscription of a regular gift given by direct-debit mandate (no first
    payment): pinned to that mandate, first charged on `start_date`. Exactly once, as
    `subscription_start` (a stable idempotency key, a description unique to the donation, one
    row per donation); no welcome email (the donor had the mandate's notice)."""
    existing = Subscription.objects.filter(donation=donation).first()
    if existing is not None:
        return existing
    return _subscription_make(donation, mandate_id, start_date, awaits_first_gift=True)


def _subscription_make(
    donation: Donation, mandate_id: str, start_date: date, **stored
) -> Subscription:
    """Create the gift's subscription at Mollie, pinned to `mandate_id`, and store it: once,
    whatever happens (a stable idempotency key; after a refusal, the one a lost answer made is
    found by its description; a concurrent call's row is the row). `stored` goes to
    `_subscription_store`."""
    customer_id = donation.mollie_customer_id
    try:
        data = gateway.subscription_create(
            customer_id=customer_id,
            amount=donation.amount,
            interval=mollie_interval(donation.months),
            start_date=start_date,
            description=_subscription_description(donation),
            webhook_url=webhook_url(),
            metadata={"donation_id": donation.pk},
            idempotency_key=f"donation-{donation.pk}-subscription",
            mandate_id=mandate_id,
        )
    except PaymentProviderRefused as error:
        data = _subscription_find(customer_id, donation)
        if data is None:
            raise error from None
    try:
        return _subscription_store(donation, data, start_date, **stored)
    except IntegrityError:  # a concurrent call stored it a moment ago
        return Subscription.objects.get(donation=donation)


def _first_payment_mandate(first: Payment) -> str:
    """The mandate Mollie made from the gift's paid first payment (its `mandateId`), asked of
    Mollie when our copy of the payment lacks it. PaymentProviderRefused when there is none:
    a subscription is never made without the mandate it is to charge."""
    mandate_id = first.mandate_id or gateway.payment_get(first.mollie_id).mandate_id
    if not mandate_id:
        raise PaymentProviderRefused(f"The first payment {first.mollie_id} left no mandate.")
    return mandate_id


def _subscription_store(
    donation: Donation,
    data: MollieSubscription,
    start_date: date,
    *,
    first: Payment | None = None,
    awaits_first_gift: bool = False,
) -> Subscription:
    """Store the gift's subscription; with its paid `first` payment, welcome the donor."""
    supporter = donation.supporter
    with transaction.atomic():
        subscription = Subscription.objects.create(
            mollie_id=data.id,
            donation=donation,
            supporter=supporter,
            customer_id=donation.mollie_customer_id,
            mandate_id=data.mandate_id,
            amount=data.amount,
            interval=data.interval or mollie_interval(donation.months),
            status=data.status,
            start_date=data.start_date or start_date,
            next_payment_date=data.next_payment_date,
            mollie_data=data.raw,
            synced_at=timezone.now(),
            awaits_first_gift=awaits_first_gift,
        )
        if first is not None:
            Payment.objects.filter(pk=first.pk).update(subscription=subscription)
            gift_event_announce(GiftEvent.REGULAR_STARTED, subscription=subscription)
    return subscription


def _subscription_description(donation: Donation, part: int = 1) -> str:
    """Unique per gift (Mollie refuses two active ones alike); a gift that was paused goes on
    in a new Mollie subscription, `part` 2, 3, …"""
    suffix = f"/{part}" if part > 1 else ""
    return f"{settings.SITE_NAME} {donation.frequency} gift #{donation.pk}{suffix}"


def _subscription_find(
    customer_id: str, donation: Donation, exclude: str = ""
) -> MollieSubscription | None:
    """A subscription Mollie already has for this donation (made by an earlier, lost attempt)."""
    for item in gateway.subscriptions_of_customer(customer_id):
        if (
            item.donation_id == donation.pk
            and item.status in ACTIVE_SUBSCRIPTION_STATUSES
            and item.id != exclude
        ):
            return item
    return None


def subscription_update_amount(
    *, subscription: Subscription, amount: Decimal, actor: Actor
) -> Subscription:
    """Change the amount of future charges at Mollie and locally; confirm by email.

    Raises GiftNotChangeable for a gift that is stopped (or paused and not yet rescheduled),
    PaymentProviderRefused or PaymentProviderUnavailable; nothing changes locally then.
    """
    with gift_change(subscription, Kind.AMOUNT) as claim:
        gift = claim.subscription
        claim.record(amount=f"{amount:.2f}", mollie_id=gift.mollie_id, actor=actor.as_json())
        data = gateway.subscription_update_amount(
            customer_id=gift.customer_id, mollie_id=gift.mollie_id, amount=amount
        )
        with locked(Subscription, gift.pk) as gift:
            previous = gift.amount
            subscription_apply_mollie(gift, data)
            if gift.amount > previous and not gift.notice_due:
                gift.notice_due = True  # more than the donor is used to: tell them ahead
                gift.save(update_fields=["notice_due"])
            if gift.amount != previous:
                gift_event_announce(
                    GiftEvent.REGULAR_AMOUNT_CHANGED, subscription=gift, previous=previous
                )
            gift_audit(
                actor,
                audit.SUBSCRIPTION_AMOUNT,
                gift,
                subscription=gift.mollie_id,
                previous=f"{previous:.2f}",
                amount=f"{amount:.2f}",
            )
    return gift


def subscription_cancel(
    *, subscription: Subscription, actor: Actor, notify: bool = True
) -> Subscription:
    """Stop a regular gift at Mollie and locally, and announce REGULAR_STOPPED (once).

    Stopping an already stopped gift changes nothing; `notify=False` is passed on with the
    event (the supporter is being erased and is told about that instead). Raises
    PaymentProviderUnavailable when Mollie cannot be reached (the change is then settled with
    Mollie later), GiftBusy when another change of the gift does not finish in time.
    """
    with gift_change(subscription, Kind.STOP) as claim:
        gift = claim.subscription
        if claim.unchanged:
            return gift
        data = None
        claim.record(mollie_id=gift.mollie_id, actor=actor.as_json())
        if gift.phase not in (GiftPhase.PAUSED_UNSCHEDULED, GiftPhase.HALTED):
            data = cancel_at_mollie(gift)  # (else canceled at Mollie already)
        with locked(Subscription, gift.pk) as gift:
            was_waiting = gift.paused_until is not None or bool(gift.halted_reason)
            if data is not None:
                subscription_apply_mollie(gift, data)
            if was_waiting:  # a paused or halted gift that is stopped does not come back
                gift.paused_until = None
                gift.halted_reason = ""
                if gift.canceled_at is None:
                    gift.canceled_at = timezone.now()
                gift.save(update_fields=["paused_until", "halted_reason", "canceled_at"])
            stopped = data is not None or was_waiting
            if stopped and gift.status == SubscriptionStatus.CANCELED:
                # Its mandate by IBAN, if it has one, ends with it (revoked at Mollie by
                # reconciliation, once no debit from it is pending).
                BankMandate.objects.filter(donation_id=gift.donation_id).end(
                    BankMandate.End.GIFT_STOPPED
                )
                gift_event_announce(GiftEvent.REGULAR_STOPPED, subscription=gift, notify=notify)
                gift_audit(actor, audit.SUBSCRIPTION_CANCEL, gift, subscription=gift.mollie_id)
        strays_resolve(gift)  # a stop ends everything at Mollie that could charge the gift
    return gift


def cancel_at_mollie(gift: Subscription) -> MollieSubscription:
    """Cancel the gift's Mollie subscription; Mollie's answer. Mollie refuses (422) one that
    is canceled already (by staff in its dashboard, say): then its current state."""
    ids = {"customer_id": gift.customer_id, "mollie_id": gift.mollie_id}
    try:
        return gateway.subscription_cancel(**ids)
    except PaymentProviderRefused:
        data = gateway.subscription_get(**ids)
        if data.status != SubscriptionStatus.CANCELED:
            raise
        return data


# --- Pausing -----------------------------------------------------------------------------
# Mollie has no pause. A pause cancels the Mollie subscription that charges now (so nothing is
# charged during the pause) and makes a new one on the same mandate whose first charge is the
# first regular date after the pause. The gift row stays the same (its history, its id for the
# donor); it points at the new Mollie subscription, and the old id is kept so late webhooks for
# its charges still find the gift. When Mollie cannot be reached for the second step, the gift
# stays paused with its old (canceled) subscription and reconciliation makes the new one.


def subscription_pause(*, subscription: Subscription, months: int, actor: Actor) -> Subscription:
    """Pause a running gift for `months` (1, 2 or 3): the next `months` charges are skipped.

    Raises GiftNotChangeable for a gift that is not running or paused already, and
    PaymentProviderUnavailable when the current Mollie subscription cannot be stopped (the
    change is then settled with Mollie later).
    """
    if months not in PAUSE_MONTHS:
        raise ValueError(f"A pause lasts {PAUSE_MONTHS} months, not {months}.")
    with gift_change(subscription, Kind.PAUSE) as claim:
        gift = claim.subscription
        resume_on = schedule.pause_end(
            gift.next_payment_date or timezone.localdate(),
            anchor=gift.start_date,
            months=gift.months,
            skipped=months,
        )
        claim.record(
            mollie_id=gift.mollie_id, resume_on=resume_on.isoformat(), actor=actor.as_json()
        )
        data = gateway.subscription_cancel(customer_id=gift.customer_id, mollie_id=gift.mollie_id)
        with locked(Subscription, gift.pk) as gift:
            subscription_apply_mollie(gift, data, replaced=True)
            gift.paused_until = resume_on
            gift.notice_due = True  # the first charge after a pause is announced
            gift.save(update_fields=["paused_until", "notice_due"])
            gift_event_announce(GiftEvent.REGULAR_PAUSED, subscription=gift)
            gift_audit(
                actor, audit.SUBSCRIPTION_PAUSE, gift, subscription=gift.mollie_id, months=months
            )
        try:
            gift = _resume_schedule(gift)
        except PaymentProviderError as error:
            # Paused all the same; whether Mollie made the subscription that resumes it is
            # settled later (a lost answer may have made it).
            logger.warning("Resume of %s not scheduled yet; reconciliation will", gift.pk)
            claim.unsettle(error)
    return gift


def subscription_resume_schedule(*, subscription: Subscription, wait: float = 0) -> Subscription:
    """Make the Mollie subscription that takes a paused gift up again on `paused_until`
    (reconciliation's part, when Mollie was away for a pause's second step).

    Idempotent: a gift whose new subscription exists already is returned as it is.
    """
    with gift_change(subscription, Kind.SCHEDULE, wait=wait) as claim:
        if claim.unchanged:
            return claim.subscription
        return _resume_schedule(claim.subscription)


def _resume_schedule(gift: Subscription) -> Subscription:
    """The Mollie subscription that resumes a paused gift whose old one is canceled, on the
    gift's own mandate. The caller holds the gift's claim."""
    gift.refresh_from_db()
    if gift.phase != GiftPhase.PAUSED_UNSCHEDULED:
        return gift
    donation = gift.donation
    part = gift.former_mollie_ids.count() + 2
    start = max(gift.paused_until, schedule.tomorrow(timezone.localdate()))
    try:
        data = gateway.subscription_create(
            customer_id=gift.customer_id,
            amount=gift.amount,
            interval=gift.interval,
            start_date=start,
            description=_subscription_description(donation, part),
            webhook_url=webhook_url(),
            metadata={"donation_id": donation.pk},
            idempotency_key=f"gift-{gift.pk}-part-{part}",
            mandate_id=subscription_mandate(gift),
        )
    except PaymentProviderRefused as error:
        # Made by an earlier attempt whose answer was lost (Mollie refuses the description
        # twice): that one, if it is still running.
        data = _subscription_find(gift.customer_id, donation, exclude=gift.mollie_id)
        if data is None:
            raise error from None
    return take_up(gift, data)


def subscription_resume(*, subscription: Subscription, actor: Actor) -> Subscription:
    """End a pause early: the next charge is the gift's next regular day after today.

    A gift that is not paused is returned as it is.
    """
    with gift_change(subscription, Kind.RESUME) as claim:
        gift = claim.subscription
        if claim.unchanged:
            return gift
        start = schedule.next_regular_day(gift.paused_until, today=timezone.localdate())
        if start < gift.paused_until and gift.status == SubscriptionStatus.ACTIVE:
            data = gateway.subscription_update(
                customer_id=gift.customer_id, mollie_id=gift.mollie_id, start_date=start
            )
            with locked(Subscription, gift.pk) as gift:
                subscription_apply_mollie(gift, data)
        with locked(Subscription, gift.pk) as gift:
            gift.paused_until = start  # until the new Mollie subscription exists
            gift.notice_due = True
            gift.save(update_fields=["paused_until", "notice_due"])
            gift_audit(actor, audit.SUBSCRIPTION_RESUME, gift, subscription=gift.mollie_id)
        try:
            gift = _resume_schedule(gift)
        except PaymentProviderError as error:
            # Stays paused until `start`; reconciliation makes the Mollie subscription (or
            # finds the one a lost answer made).
            logger.warning("Resume of %s not scheduled yet; reconciliation will", gift.pk)
            claim.unsettle(error)
            with locked(Subscription, gift.pk) as gift:
                # The donor's decision stands: the donor is told it continues from `start`.
                gift_event_announce(GiftEvent.REGULAR_RESUMED, subscription=gift, next_charge=start)
            return gift
        with locked(Subscription, gift.pk) as gift:
            gift.paused_until = None
            gift.save(update_fields=["paused_until"])
            gift_event_announce(GiftEvent.REGULAR_RESUMED, subscription=gift)
    return gift


def restart_claimed(gift: Subscription) -> Subscription:
    """Start a gift again that Mollie suspended or we halted (its mandate stopped working, or
    the bank said the account cannot be debited), on the gift's
    current mandate (a payment-method change has just set it): the suspended Mollie
    subscription is canceled and a new one charges from the gift's next regular day.
    Reconciliation finishes it when Mollie cannot be reached for the second step. The caller
    holds the gift's claim."""
    gift.refresh_from_db()
    phase = gift.phase
    if phase not in (GiftPhase.SUSPENDED, GiftPhase.HALTED):
        return gift
    # A halted gift's Mollie subscription was canceled when it was halted.
    data = cancel_at_mollie(gift) if phase == GiftPhase.SUSPENDED else None
    with locked(Subscription, gift.pk) as gift:
        if data is not None:
            subscription_apply_mollie(gift, data, replaced=True)
        gift.paused_until = schedule.next_regular_day(gift.start_date, today=timezone.localdate())
        gift.halted_reason = ""
        gift.failed_in_a_row = 0
        gift.at_risk_since = None
        gift.notice_due = True
        gift.save(
            update_fields=[
                "paused_until",
                "halted_reason",
                "failed_in_a_row",
                "at_risk_since",
                "notice_due",
            ]
        )
    gift = _resume_schedule(gift)
    with locked(Subscription, gift.pk) as gift:
        gift.paused_until = None
        gift.save(update_fields=["paused_until"])
    return gift


def subscription_mandate(gift: Subscription) -> str:
    """The mandate the gift charges: the one it is pinned to, else (a gift made before gifts
    were pinned) the one its own first payment left. Never "any valid mandate of the
    customer", which could be another gift's."""
    if gift.mandate_id:
        return gift.mandate_id
    first = (
        gift.payments.filter(
            sequence_type=SequenceType.FIRST, status=PaymentStatus.PAID, is_verification=False
        )
        .order_by("paid_at")
        .first()
    ) or gift.donation.payments.filter(
        sequence_type=SequenceType.FIRST, status=PaymentStatus.PAID
    ).order_by("paid_at").first()
    if first is None:
        raise PaymentProviderRefused(f"Gift {gift.pk} has no paid first payment to charge from.")
    return _first_payment_mandate(first)
