"""Changes to a regular gift at Mollie, one at a time per gift, each leaving the site and Mollie
agreeing or recording what is left to settle.

Every action that changes a gift at Mollie (pause, resume, stop, a new amount or payment method,
staff's stop, reconciliation's comparison and its catching up) runs inside `gift_change`:

1. *Claim.* Under a short row lock, the gift gets one open `GiftChange` row (a unique
   constraint allows one per gift). If another change is open, this one waits for it (up to
   `GIFT_CHANGE_WAIT_SECONDS`, then `GiftBusy`). No row lock is held after the claim.
2. *Settle.* A change left unsettled earlier (its Mollie call failed or timed out, or its
   process died; an open change older than `GIFT_CHANGE_STALE_SECONDS` counts as one) is
   settled first: what Mollie shows decides whether it happened (`_settle`).
3. *Decide and act.* The gift's phase, as the claim left it, decides (the table in
   `donations/lifecycle.py`): the change is refused with `GiftNotChangeable` in a phase that
   does not allow it, or does nothing in one where it has nothing to do. Otherwise it calls
   Mollie (no lock held) and stores Mollie's answer under a short row lock; a change of
   several steps (a pause cancels one Mollie subscription and makes another) keeps the claim
   until its last step. Then the change is marked done.
4. *On failure* a refusal by Mollie or by a rule marks the change failed (nothing happened);
   any other failure marks it unsettled, for the next change of the gift or reconciliation
   to settle.

So two clicks at once run one after the other, the second deciding from what the first left;
and Mollie's answer to one change is never stored over another's. Charges arriving through
the webhook do not take part: they only move dates and counters, with conditional UPDATEs.
"""

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone
from django.utils.dateparse import parse_date

from core.actors import Actor
from core.db import locked

from .. import audit, gateway
from ..audit import gift_audit
from ..events import GiftEvent, gift_event_announce
from ..exceptions import (
    GiftBusy,
    GiftError,
    GiftNotChangeable,
    PaymentProviderError,
    PaymentProviderRefused,
)
from ..gateway import MollieSubscription
from ..lifecycle import TRANSITIONS
from ..models import (
    ACTIVE_SUBSCRIPTION_STATUSES,
    BankMandate,
    FormerMollieSubscription,
    GiftChange,
    GiftPhase,
    MandateChange,
    Subscription,
    SubscriptionStatus,
)

logger = logging.getLogger(__name__)

Kind = GiftChange.Kind
Status = GiftChange.Status


@dataclass
class Claim:
    """A gift claimed for one change: the change's row, the gift as read after the claim, and
    whether the gift's phase leaves it unchanged by this change (a second stop, say: the
    change then returns the gift as it is)."""

    change: GiftChange
    subscription: Subscription
    unchanged: bool = False

    def nothing_to_do(self) -> None:
        """The change found, once it had the gift, that there is nothing left to do (another
        change did it meanwhile): it is closed as such, not as done."""
        self.unchanged = True

    def record(self, **details) -> None:
        """Note what settling this change would need, before Mollie is called."""
        self.change.details = {**self.change.details, **details}
        GiftChange.objects.filter(pk=self.change.pk).update(details=self.change.details)

    def unsettle(self, error: BaseException) -> None:
        """The change happened, but a later step of it may or may not have happened at Mollie
        (its answer was lost): leave it for the next change or reconciliation to settle."""
        _finish(self.change, Status.UNSETTLED, error)


@contextlib.contextmanager
def gift_change(
    subscription: Subscription, kind: str, *, wait: float | None = None
) -> Iterator[Claim]:
    """Claim `subscription` for a change of `kind`; see the module doc.

    `wait`: how long to wait for another change of the gift (default
    GIFT_CHANGE_WAIT_SECONDS); 0 for callers that will come back anyway (reconciliation).
    Raises GiftBusy when the gift stays claimed that long, and whatever settling an earlier
    change raises (PaymentProviderError when Mollie cannot be reached).
    """
    wait = settings.GIFT_CHANGE_WAIT_SECONDS if wait is None else wait
    change = _claim(subscription.pk, kind, wait)
    try:
        for earlier in GiftChange.objects.filter(
            subscription_id=subscription.pk, status=Status.UNSETTLED
        ).order_by("created_at", "pk"):
            _settle(earlier)
        gift = Subscription.objects.get(pk=subscription.pk)
        transition = TRANSITIONS[kind]
        phase = gift.phase
        if phase not in transition.accepts | transition.unchanged:
            raise GiftNotChangeable(transition.refusal_in(phase))
        claim = Claim(change, gift, unchanged=phase in transition.unchanged)
        yield claim
    except (GiftError, PaymentProviderRefused) as error:
        _finish(change, Status.FAILED, error)
        raise
    except BaseException as error:
        _finish(change, Status.UNSETTLED, error)
        raise
    else:
        _finish(change, Status.UNCHANGED if claim.unchanged else Status.DONE)


def _claim(subscription_id: int, kind: str, wait: float) -> GiftChange:
    deadline = time.monotonic() + wait
    pause = 0.02
    while True:
        try:
            with locked(Subscription, subscription_id):
                stale = timezone.now() - timedelta(seconds=settings.GIFT_CHANGE_STALE_SECONDS)
                GiftChange.objects.filter(
                    subscription_id=subscription_id, status=Status.OPEN, created_at__lt=stale
                ).update(status=Status.UNSETTLED, error="abandoned (its process ended)")
                return GiftChange.objects.create(subscription_id=subscription_id, kind=kind)
        except IntegrityError:
            pass  # another change of this gift is open
        if time.monotonic() + pause > deadline:
            raise GiftBusy("Another change to this gift is being made right now.")
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def _finish(change: GiftChange, status: str, error: BaseException | None = None) -> None:
    """Close an open change (a change closed already is left as it is)."""
    fields = {"status": status, "finished_at": timezone.now()}
    if error is not None:
        fields["error"] = f"{type(error).__name__}: {error}"[:500]
    if GiftChange.objects.filter(pk=change.pk, status=Status.OPEN).update(**fields):
        change.status = status
    if status not in (Status.DONE, Status.UNCHANGED):
        # Compared with Mollie in full at reconciliation's next run, before any other gift.
        Subscription.objects.filter(pk=change.subscription_id).update(synced_at=None)


def subscription_apply_mollie(
    subscription: Subscription, data: MollieSubscription, *, replaced: bool = False
) -> None:
    """Copy Mollie's view of a subscription (`data`) onto our locked row, and save it.

    `replaced`: this Mollie subscription was canceled to be replaced by another (a pause), so
    the gift itself has not stopped.
    """
    suspended_now = (
        data.status == SubscriptionStatus.SUSPENDED
        and subscription.status != SubscriptionStatus.SUSPENDED
    )
    subscription.status = data.status
    subscription.amount = data.amount
    subscription.next_payment_date = data.next_payment_date
    if not replaced:  # a replaced one's mandate may be the one the gift has just left
        subscription.mandate_id = data.mandate_id or subscription.mandate_id
    if data.canceled_at and subscription.canceled_at is None and not replaced:
        subscription.canceled_at = data.canceled_at
    subscription.mollie_data = data.raw
    subscription.synced_at = timezone.now()
    fields = [
        "status",
        "amount",
        "next_payment_date",
        "mandate_id",
        "canceled_at",
        "mollie_data",
        "synced_at",
    ]
    if suspended_now and subscription.at_risk_since is None:
        subscription.at_risk_since = timezone.now()
        fields.append("at_risk_since")
    subscription.save(update_fields=fields)
    if suspended_now:
        gift_event_announce(GiftEvent.REGULAR_SUSPENDED, subscription=subscription)


def _settle(change: GiftChange) -> None:
    """Decide from Mollie whether the unsettled `change` happened, and bring the gift in line.

    A stop or a pause happened when Mollie shows the subscription they concerned canceled; a
    new amount when Mollie has it. Whatever it was, the gift ends up as Mollie shows it, and a
    change that happened is announced as if it had gone smoothly (the donor gets the email).
    """
    gift = Subscription.objects.get(pk=change.subscription_id)
    mollie_id = change.details.get("mollie_id") or gift.mollie_id
    data = gateway.subscription_get(customer_id=gift.customer_id, mollie_id=mollie_id)
    happened = True
    with locked(Subscription, gift.pk) as gift:
        current = gift.mollie_id == mollie_id
        canceled = data.status == SubscriptionStatus.CANCELED
        # Who asked for it: recorded in the audit trail once it turns out to have happened.
        actor = Actor.from_json(change.details.get("actor"))
        if not current:
            happened = False  # the gift went on in another Mollie subscription meanwhile
        elif change.kind == Kind.STOP:
            happened = canceled
            if canceled and (gift.status != SubscriptionStatus.CANCELED or gift.paused_until):
                subscription_apply_mollie(gift, data)
                gift.paused_until = None
                gift.save(update_fields=["paused_until"])
                gift_event_announce(GiftEvent.REGULAR_STOPPED, subscription=gift, notify=True)
                gift_audit(actor, audit.SUBSCRIPTION_CANCEL, gift, subscription=mollie_id)
        elif change.kind == Kind.PAUSE and gift.paused_until is None:
            happened = canceled
            if canceled:
                subscription_apply_mollie(gift, data, replaced=True)
                gift.paused_until = parse_date(change.details["resume_on"])
                gift.notice_due = True
                gift.save(update_fields=["paused_until", "notice_due"])
                gift_event_announce(GiftEvent.REGULAR_PAUSED, subscription=gift)
                gift_audit(actor, audit.SUBSCRIPTION_PAUSE, gift, subscription=mollie_id)
        else:
            previous = gift.amount
            subscription_apply_mollie(gift, data, replaced=gift.paused_until is not None)
            if change.kind == Kind.MANDATE and "bank_mandate" in change.details:
                happened = _bank_mandate_settle(gift, change.details, actor)
            if change.kind == Kind.AMOUNT:
                happened = gift.amount == Decimal(change.details["amount"])
                if gift.amount != previous:
                    gift_event_announce(
                        GiftEvent.REGULAR_AMOUNT_CHANGED, subscription=gift, previous=previous
                    )
                    gift_audit(
                        actor,
                        audit.SUBSCRIPTION_AMOUNT,
                        gift,
                        subscription=mollie_id,
                        previous=f"{previous:.2f}",
                        amount=f"{gift.amount:.2f}",
                    )
        GiftChange.objects.filter(pk=change.pk).update(
            status=Status.DONE if happened else Status.FAILED, finished_at=timezone.now()
        )
    # A pause that happened goes on like one whose second step failed: reconciliation makes
    # the Mollie subscription that resumes it (paused, and the old one canceled), unless a
    # lost answer made it already (below).
    strays_resolve(gift)


def _bank_mandate_settle(gift: Subscription, details: dict, actor: Actor) -> bool:
    """A new account whose move Mollie's lost answer left unknown: when Mollie shows the gift
    on the new mandate, the mandate is finished as the change would have (the old ones end, the
    notice goes out); else the new mandate is taken back (ended here, revoked at Mollie) and
    the gift charges what it charged. Returns whether the change happened. The caller holds
    the gift's row lock."""
    mandate = BankMandate.objects.filter(pk=details["bank_mandate"]).first()
    if mandate is None or mandate.status != BankMandate.Status.NEW:
        return mandate is not None and mandate.is_active
    if gift.mandate_id == details["new_mandate"]:
        BankMandate.objects.filter(donation_id=gift.donation_id).exclude(pk=mandate.pk).end(
            BankMandate.End.REPLACED
        )
        mandate.status = BankMandate.Status.ACTIVE
        mandate.notice_sent_at = timezone.now()
        mandate.save(update_fields=["status", "notice_sent_at"])
        MandateChange.objects.create(
            subscription=gift,
            status=MandateChange.Status.DONE,
            old_mandate_id=details.get("old_mandate", ""),
            new_mandate_id=mandate.mollie_id,
            completed_at=timezone.now(),
        )
        gift_audit(actor, audit.MANDATE_REPLACE, gift, reference=mandate.reference)
        gift_event_announce(GiftEvent.MANDATE_GIVEN, mandate=mandate)
        return True
    BankMandate.objects.filter(pk=mandate.pk).end(BankMandate.End.REFUSED)
    with contextlib.suppress(PaymentProviderRefused):
        gateway.mandate_revoke(customer_id=gift.customer_id, mandate_id=details["new_mandate"])
    BankMandate.objects.filter(pk=mandate.pk).update(revoked_at=timezone.now())
    return False


def take_up(gift: Subscription, data: MollieSubscription) -> Subscription:
    """The gift goes on in the Mollie subscription `data` (its old one is remembered, so late
    webhooks for its charges still find the gift). The caller holds the gift's claim."""
    with locked(Subscription, gift.pk) as gift:
        FormerMollieSubscription.objects.get_or_create(
            mollie_id=gift.mollie_id, defaults={"subscription": gift}
        )
        gift.mollie_id = data.id
        gift.save(update_fields=["mollie_id"])
        subscription_apply_mollie(gift, data)
    return gift


def strays_resolve(gift: Subscription) -> int:
    """Mollie subscriptions of this gift that charge, or will, and are not the gift's own: made
    by a call whose answer was lost (the one that resumes a pause, say). A paused gift still
    waiting for that one takes the first stray up; every other stray is canceled, so nothing
    at Mollie charges what the site does not show. Returns how many were found. The caller
    holds the gift's claim."""
    found = 0
    for stray in gateway.subscriptions_of_customer(gift.customer_id):
        gift.refresh_from_db()
        if (
            stray.donation_id != gift.donation_id
            or stray.id == gift.mollie_id
            or stray.status not in ACTIVE_SUBSCRIPTION_STATUSES
        ):
            continue
        found += 1
        if gift.phase == GiftPhase.PAUSED_UNSCHEDULED:
            take_up(gift, stray)
            continue
        with contextlib.suppress(PaymentProviderRefused):  # canceled meanwhile
            gateway.subscription_cancel(customer_id=gift.customer_id, mollie_id=stray.id)
        logger.warning("Canceled Mollie subscription %s of gift %s: not its own", stray.id, gift.pk)
    return found


def changes_settle(*, older_than: timedelta) -> tuple[int, list[str]]:
    """Settle the unsettled changes, and the open ones older than `older_than` whose process
    has ended (reconciliation's part). Returns how many were settled and the errors."""
    settled, errors = 0, []
    stale = timezone.now() - max(older_than, timedelta(seconds=settings.GIFT_CHANGE_STALE_SECONDS))
    waiting = (
        GiftChange.objects.filter(status=Status.UNSETTLED)
        | GiftChange.objects.filter(status=Status.OPEN, created_at__lt=stale)
    ).values_list("subscription_id", flat=True)
    for subscription_id in sorted(set(waiting)):
        gift = Subscription.objects.get(pk=subscription_id)
        try:
            with gift_change(gift, Kind.COMPARE, wait=0):
                settled += 1
        except (GiftError, PaymentProviderError) as error:
            errors.append(f"changes of gift {subscription_id}: {error}")
    return settled, errors
