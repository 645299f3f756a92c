"""Regular gifts by direct-debit mandate (machtiging): a donor gives an IBAN instead of paying
through the checkout. docs/direct-debit.md tells the whole flow; in short:

1. `mandate_gift_start`: within the budgets (per client, per address, per account), the
   supporter is found or made (nothing of theirs reused), the gift gets a Mollie customer of its
   own, and Mollie makes a `directdebit` mandate from the holder's name, the IBAN, today's date
   and our reference. The site keeps the masked account only. MANDATE_GIVEN is announced: the
   supporter area emails the notice.
2. The notice is prepared when it is sent (`mandate_notice_details`): the first collection is
   at least DIRECT_DEBIT_FIRST_NOTICE_DAYS after that moment, and the "this was not me" link is
   made then (only its hash is kept). Once the notice has gone out (`mandate_notice_sent`), the
   gift's Mollie subscription is made, pinned to the mandate, first charged on that day: so
   nothing is ever collected before the donor was told.
3. `mandate_stop_by_link`: the link stops everything, once, without a login: the mandate is
   ended here and revoked at Mollie, and the gift stopped.
4. `mandate_replace`: a proven donor gives a running gift a new account from the area.

Reconciliation (`mandates_follow_up`) makes what a lost answer or an outage left undone.
"""

import contextlib
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from core import ratelimit
from core.actors import Actor
from core.db import locked
from core.models import EmailLog
from supporters.models import mailbox_of
from supporters.services import supporter_get_or_create

from .. import audit, gateway, schedule
from ..audit import gift_audit, mandate_audit
from ..bank import iban_fingerprint, iban_masked, mandate_reference
from ..events import GiftEvent, gift_event_announce
from ..exceptions import (
    AccountRefused,
    DirectDebitLimitReached,
    GiftError,
    GiftNotChangeable,
    MandateNotMade,
    PaymentProviderError,
    PaymentProviderRefused,
)
from ..gateway import MollieMandate
from ..lifecycle import MANDATE_START
from ..models import (
    BankMandate,
    Donation,
    GiftChange,
    GiftPhase,
    MandateChange,
    PaymentRoute,
    Subscription,
    SubscriptionStatus,
)
from .changes import gift_change, subscription_apply_mollie
from .common import gift_source_fields
from .mandates import UNFINISHED, old_mandates_revoke_claimed
from .start import donation_customer
from .subscriptions import (
    restart_claimed,
    subscription_cancel,
    subscription_mandate,
    subscription_start_on_mandate,
)

logger = logging.getLogger(__name__)

DAY = 24 * 3600


@dataclass(frozen=True)
class MandateTerms:
    """What a donor agrees to before signing: shown on the page, then made true."""

    reference: str
    signed_on: date
    first_collection_on: date  # at the earliest; the notice says the final day
    creditor_name: str
    creditor_id: str
    creditor_address: str


def mandate_terms(*, reference: str = "") -> MandateTerms:
    """The terms of a new mandate signed today (a new reference unless one is given)."""
    today = timezone.localdate()
    return MandateTerms(
        reference=reference or mandate_reference(),
        signed_on=today,
        first_collection_on=first_collection(today),
        creditor_name=settings.DIRECT_DEBIT_CREDITOR_NAME,
        creditor_id=settings.DIRECT_DEBIT_CREDITOR_ID,
        creditor_address=settings.DIRECT_DEBIT_CREDITOR_ADDRESS,
    )


def first_collection(notice_day: date) -> date:
    """The earliest first collection after a notice sent on `notice_day`."""
    return notice_day + timedelta(days=settings.DIRECT_DEBIT_FIRST_NOTICE_DAYS)


@sensitive_variables("iban")
def _budgets(iban: str, who: tuple[str, str, int]) -> list[tuple[str, str, int, int]]:
    """The budgets a mandate counts against besides the client's: `who`'s (scope, key, limit a
    day) and the account's."""
    account = ratelimit.hash_key(f"iban:{iban}")
    return [
        (*who[:2], who[2], DAY),
        ("mandate-account", account, settings.DIRECT_DEBIT_PER_IBAN_PER_MONTH, 30 * DAY),
    ]


@sensitive_variables("iban")
def _budgets_check(*, client_key: str, iban: str, who: tuple[str, str, int]) -> None:
    """DirectDebitLimitReached when a budget is spent. The client's counts this attempt; the
    address's (or supporter's) and the account's count only mandates actually made
    (`_budgets_spend`), so that nobody can spend a stranger's account or address budget with
    attempts that are refused anyway."""
    if not ratelimit.hit(
        scope="mandate-client",
        key=client_key,
        limit=settings.DIRECT_DEBIT_PER_CLIENT_PER_DAY,
        window=DAY,
    ):
        raise DirectDebitLimitReached
    for scope, key, limit, _window in _budgets(iban, who):
        if ratelimit.count(scope=scope, key=key) >= limit:
            raise DirectDebitLimitReached


@sensitive_variables("iban")
def _budgets_spend(*, iban: str, who: tuple[str, str, int]) -> None:
    """Count a mandate that was made against the address's (or supporter's) and the account's
    budgets."""
    for scope, key, _limit, window in _budgets(iban, who):
        ratelimit.count_hit(scope=scope, key=key, window=window)


def _address_budget(email: str) -> tuple[str, str, int]:
    """A typed address's budget: per mailbox, however it is spelt."""
    key = ratelimit.hash_key(f"address:{mailbox_of(email)}")
    return ("mandate-address", key, settings.DIRECT_DEBIT_PER_ADDRESS_PER_DAY)


# A proven supporter giving a running gift a new account, a few times a day at most.
NEW_ACCOUNTS_PER_DAY = 3


@sensitive_variables("iban", "holder")
def _mandate_at_mollie(
    mandate: BankMandate, *, customer_id: str, holder: str, iban: str
) -> MollieMandate:
    """Make the mandate of our row `mandate` at Mollie. When Mollie cannot or will not, the row
    ends as refused; AccountRefused when the account is what Mollie refused."""
    try:
        return gateway.mandate_create(
            customer_id=customer_id,
            holder=holder,
            iban=iban,
            signed_on=mandate.signed_on,
            reference=mandate.reference,
            idempotency_key=f"bank-mandate-{mandate.pk}",
        )
    except PaymentProviderError as error:
        BankMandate.objects.filter(pk=mandate.pk).end(BankMandate.End.REFUSED)
        if isinstance(error, PaymentProviderRefused) and error.field == "consumerAccount":
            raise AccountRefused(str(error)) from None
        raise


def replacement_first_collection(gift: Subscription) -> date | None:
    """The day a new account given to `gift` would first be charged: the gift's next charge,
    the end of its pause, or (halted or suspended: started again) its next regular day."""
    today = timezone.localdate()
    if gift.phase in (GiftPhase.SUSPENDED, GiftPhase.HALTED):
        return schedule.next_regular_day(gift.start_date, today=today)
    if gift.paused_until is not None:
        return gift.paused_until
    return gift.next_payment_date


@sensitive_variables("iban", "holder")
def mandate_gift_start(
    *,
    amount: Decimal,
    frequency: str,
    name: str,
    email: str,
    language: str,
    holder: str,
    iban: str,
    reference: str,
    client_key: str,
    source: dict | None = None,
) -> BankMandate:
    """Start a regular gift by direct-debit mandate; return its mandate (see the module doc).

    `iban` is compact and checked (donations.bank.iban_clean), `reference` the one shown to the
    donor when they signed. Raises DirectDebitLimitReached beyond a budget, AccountRefused when
    Mollie does not accept the account, PaymentProviderError when Mollie cannot be reached or
    refuses otherwise (the donation is kept, with the reason in `start_error`).
    """
    signed_before = BankMandate.objects.filter(reference=reference).first()
    if reference and signed_before is not None:  # the same signed form sent twice
        if signed_before.end == BankMandate.End.REFUSED:
            raise MandateNotMade
        return signed_before
    _budgets_check(client_key=client_key, iban=iban, who=_address_budget(email))
    if not ratelimit.hit(
        scope="donation-start",
        key=client_key,
        limit=settings.DONATION_START_LIMIT_PER_HOUR,
        window=3600,
    ):
        raise DirectDebitLimitReached
    supporter, created = supporter_get_or_create(email=email, name=name, language=language)
    terms = mandate_terms(reference=reference)
    try:
        with transaction.atomic():
            donation = Donation.objects.create(
                supporter=supporter,
                amount=amount,
                frequency=frequency,
                language=language,
                route=PaymentRoute.MANDATE,
                created_supporter=created,
                **gift_source_fields(**(source or {})),
            )
            mandate = BankMandate.objects.create(
                donation=donation,
                reference=terms.reference,
                iban_masked=iban_masked(iban),
                iban_fingerprint=iban_fingerprint(iban),
                holder_name=holder,
                signed_on=terms.signed_on,
                first_collection_on=terms.first_collection_on,
            )
    except IntegrityError:  # the same agreement, sent twice at once: the other one goes on
        return BankMandate.objects.get(reference=terms.reference)
    try:
        customer_id = donation_customer(donation)
        data = _mandate_at_mollie(mandate, customer_id=customer_id, holder=holder, iban=iban)
    except (PaymentProviderError, AccountRefused) as error:
        Donation.objects.filter(pk=donation.pk).update(start_error=str(error)[:2000])
        BankMandate.objects.filter(pk=mandate.pk).end(BankMandate.End.REFUSED)
        raise
    _budgets_spend(iban=iban, who=_address_budget(email))
    with locked(BankMandate, mandate.pk) as mandate:
        mandate.mollie_id = data.id
        mandate.status = BankMandate.Status.ACTIVE
        mandate.save(update_fields=["mollie_id", "status"])
        gift_event_announce(GiftEvent.MANDATE_GIVEN, mandate=mandate)
    return mandate


def _token_hash(token: str) -> str:
    return hashlib.sha256(f"mandate-stop:{token}".encode()).hexdigest()


def mandate_notice_key(mandate: BankMandate) -> str:
    """The outbox's event key of a mandate's notice (one per mandate)."""
    return f"mandate-notice:{mandate.reference}"


def mandate_notice_details(*, mandate_id: int) -> dict:
    """What the notice of a mandate says that is made when it is sent: the first collection,
    at least DIRECT_DEBIT_FIRST_NOTICE_DAYS from now (the email may have waited for a mail
    server), and a new "this was not me" link, whose token exists nowhere but in this email.
    For a mandate that ended meanwhile, no link."""
    token = secrets.token_urlsafe(32)
    with locked(BankMandate, mandate_id) as mandate:
        if not mandate.is_active:
            return {"first_collection_on": None, "stop_url": ""}
        if not Subscription.objects.filter(donation_id=mandate.donation_id).exists():
            # A new gift: its collections begin once this has gone out, the notice period on.
            mandate.first_collection_on = max(
                mandate.first_collection_on, first_collection(timezone.localdate())
            )
        mandate.stop_token_hash = _token_hash(token)
        mandate.stop_link_expires_at = timezone.now() + timedelta(
            days=settings.DIRECT_DEBIT_STOP_LINK_DAYS
        )
        mandate.save(
            update_fields=["first_collection_on", "stop_token_hash", "stop_link_expires_at"]
        )
    subscription = Subscription.objects.filter(donation_id=mandate.donation_id).first()
    path = reverse("donations:mandate_stop", kwargs={"token": token})
    return {
        "first_collection_on": mandate.first_collection_on,
        # A new account for a running gift is charged on the gift's own next day.
        "next_collection_on": subscription.next_payment_date if subscription else None,
        "stop_url": f"{settings.PUBLIC_BASE_URL}{path}",
        "stop_link_days": settings.DIRECT_DEBIT_STOP_LINK_DAYS,
    }


def mandate_notice_sent(*, mandate_id: int) -> None:
    """The notice of mandate `mandate_id` has gone out: note it, and let the collections
    begin (a Mollie call; should it fail, reconciliation begins them)."""
    BankMandate.objects.filter(pk=mandate_id, notice_sent_at__isnull=True).update(
        notice_sent_at=timezone.now()
    )
    mandate = BankMandate.objects.get(pk=mandate_id)
    try:
        mandate_collection_begin(mandate=mandate)
    except (GiftError, PaymentProviderError) as error:
        logger.warning("Gift of mandate %s not begun: %s", mandate.pk, error)


def mandate_collection_begin(*, mandate: BankMandate) -> Subscription | None:
    """Make the Mollie subscription of a gift given by mandate, once its notice has gone out:
    pinned to the mandate, first charged on the day the notice named (or tomorrow, if that
    day has passed while Mollie was away). Exactly once; nothing for a mandate that ended, or
    a gift that has one already. A mandate stopped while this ran stops the gift again."""
    mandate.refresh_from_db()
    donation = mandate.donation
    if (
        not mandate.is_active
        or mandate.notice_sent_at is None
        or Subscription.objects.filter(donation=donation).exists()
    ):
        return None
    start = max(mandate.first_collection_on, schedule.tomorrow(timezone.localdate()))
    gift = subscription_start_on_mandate(
        donation=donation, mandate_id=mandate.mollie_id, start_date=start
    )
    mandate.refresh_from_db()
    if not mandate.is_active and gift.is_active:  # stopped with the link meanwhile
        subscription_cancel(subscription=gift, actor=Actor.system())
    return gift


def mandate_by_stop_token(token: str) -> BankMandate | None:
    """The active mandate whose unused, unexpired stop link carries `token`, if any."""
    if not token or len(token) > 100:
        return None
    return BankMandate.objects.filter(
        stop_token_hash=_token_hash(token),
        status=BankMandate.Status.ACTIVE,
        stop_link_expires_at__gt=timezone.now(),
    ).first()


def mandate_stop_by_link(*, token: str, actor: Actor) -> bool:
    """Stop the mandate whose notice carried `token`, and its gift: whoever holds the link
    says it was not them, or that they changed their mind. Once: the link then stops working.
    Returns False for a link that does not (or no longer) work.

    The mandate is ended here first (so no collection can begin after this); Mollie's side
    (the revocation, the gift's stop) follows, and reconciliation finishes it when Mollie
    cannot be reached now.
    """
    found = mandate_by_stop_token(token)
    if found is None:
        return False
    with locked(BankMandate, found.pk) as mandate:
        if mandate.stop_token_hash != _token_hash(token) or not mandate.is_active:
            return False  # used at this very moment by another click
        BankMandate.objects.filter(pk=mandate.pk).end(BankMandate.End.NOT_ME)
        mandate_audit(actor, audit.MANDATE_STOP, mandate)
        gift_event_announce(GiftEvent.MANDATE_STOPPED, mandate=mandate)
    with contextlib.suppress(GiftError, PaymentProviderError):
        _mandate_ended_at_mollie(mandate)
    return True


def _mandate_ended_at_mollie(mandate: BankMandate) -> None:
    """Bring Mollie in line with an ended mandate: revoked (which ends what charges from it)
    and the gift stopped, unless the gift moved to another mandate. Raises
    PaymentProviderError and GiftError; reconciliation tries again."""
    mandate.refresh_from_db()
    donation = mandate.donation
    gift = Subscription.objects.filter(donation=donation).first()
    pending = gift is not None and gift.payments.filter(status__in=UNFINISHED).exists()
    if mandate.end == BankMandate.End.GIFT_STOPPED and pending:
        return  # a debit from it is still being collected: revoked once it has settled
    if mandate.mollie_id:
        with contextlib.suppress(PaymentProviderRefused):  # revoked already
            gateway.mandate_revoke(
                customer_id=donation.mollie_customer_id, mandate_id=mandate.mollie_id
            )
    if (
        gift is not None
        and gift.is_active
        and mandate.end == BankMandate.End.NOT_ME
        and gift.mandate_id in ("", mandate.mollie_id)
    ):
        # The donor was told with MANDATE_STOPPED, not the usual "your gift has stopped".
        subscription_cancel(subscription=gift, actor=Actor.system(), notify=False)
    BankMandate.objects.filter(pk=mandate.pk).update(revoked_at=timezone.now())


@sensitive_variables("iban", "holder")
def _lost_mandate_revoke(mandate: BankMandate) -> None:
    """A mandate we gave up on when Mollie did not answer: if Mollie made it after all (found by
    our reference), it is revoked, so that no valid mandate of that account is left behind."""
    donation = mandate.donation
    gift = Subscription.objects.filter(donation=donation).first()
    customer_id = gift.customer_id if gift is not None else donation.mollie_customer_id
    if customer_id:
        for found in gateway.mandates_of_customer(customer_id):
            if found.reference == mandate.reference and found.status != "invalid":
                with contextlib.suppress(PaymentProviderRefused):
                    gateway.mandate_revoke(customer_id=customer_id, mandate_id=found.id)
    BankMandate.objects.filter(pk=mandate.pk).update(revoked_at=timezone.now())


def mandate_replace(
    *,
    subscription: Subscription,
    holder: str,
    iban: str,
    actor: Actor,
    client_key: str,
    reference: str = "",
) -> BankMandate:
    """A new account for a running gift, from the supporter area: a new mandate by IBAN, the
    gift moved onto it at Mollie (or started again, when the bank had stopped it), the old
    mandate revoked once no debit on it is pending. The donor gets the new mandate's notice.
    `reference` is the one the donor was shown (a new one when empty or taken).

    Raises DirectDebitLimitReached, AccountRefused, GiftNotChangeable for a stopped gift,
    GiftBusy and PaymentProviderError (the gift is then as it was).
    """
    supporter_key = ratelimit.hash_key(f"supporter:{subscription.supporter_id}")
    who = ("mandate-new-account", supporter_key, NEW_ACCOUNTS_PER_DAY)
    _budgets_check(client_key=client_key, iban=iban, who=who)
    with gift_change(subscription, GiftChange.Kind.MANDATE) as claim:
        gift = claim.subscription
        if gift.phase not in MANDATE_START.accepts:
            raise GiftNotChangeable(MANDATE_START.refusal_in(gift.phase))
        given = BankMandate.objects.filter(
            donation_id=gift.donation_id, reference=reference, status=BankMandate.Status.ACTIVE
        ).first()
        if reference and given is not None:  # the same agreement sent twice
            claim.nothing_to_do()
            return given
        try:
            old_mandate = subscription_mandate(gift)
        except PaymentProviderRefused:
            old_mandate = ""
        taken = BankMandate.objects.filter(reference=reference).exists()
        terms = mandate_terms(reference="" if taken else reference)
        mandate = BankMandate.objects.create(
            donation_id=gift.donation_id,
            reference=terms.reference,
            iban_masked=iban_masked(iban),
            iban_fingerprint=iban_fingerprint(iban),
            holder_name=holder,
            signed_on=terms.signed_on,
            # The donor agreed to the day shown: the gift's next charge, from this account.
            first_collection_on=replacement_first_collection(gift) or terms.first_collection_on,
        )
        data = _mandate_at_mollie(mandate, customer_id=gift.customer_id, holder=holder, iban=iban)
        _budgets_spend(iban=iban, who=who)
        # Known before the gift moves: should Mollie's answer to the move be lost, settling the
        # change finishes this mandate (or takes it back) from what Mollie shows.
        BankMandate.objects.filter(pk=mandate.pk).update(mollie_id=data.id)
        claim.record(
            bank_mandate=mandate.pk,
            new_mandate=data.id,
            old_mandate=old_mandate,
            actor=actor.as_json(),
        )
        moved = None
        if gift.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING):
            moved = gateway.subscription_update(
                customer_id=gift.customer_id, mollie_id=gift.mollie_id, mandate_id=data.id
            )
        with locked(Subscription, gift.pk) as gift:
            if moved is not None:
                subscription_apply_mollie(gift, moved)
            else:  # paused, suspended or halted: what is made next charges the new mandate
                gift.mandate_id = data.id
            gift.notice_due = True  # the first charge from the new account is announced
            gift.save(update_fields=["mandate_id", "notice_due"])
            BankMandate.objects.filter(donation_id=gift.donation_id).exclude(pk=mandate.pk).end(
                BankMandate.End.REPLACED
            )
            mandate.mollie_id = data.id
            mandate.status = BankMandate.Status.ACTIVE
            mandate.notice_sent_at = timezone.now()  # the gift runs: nothing waits for it
            mandate.save(update_fields=["mollie_id", "status", "notice_sent_at"])
            MandateChange.objects.create(
                subscription=gift,
                status=MandateChange.Status.DONE,
                old_mandate_id=old_mandate,
                new_mandate_id=data.id,
                completed_at=timezone.now(),
            )
            gift_audit(actor, audit.MANDATE_REPLACE, gift, reference=mandate.reference)
            gift_event_announce(GiftEvent.MANDATE_GIVEN, mandate=mandate)
        if gift.phase in (GiftPhase.SUSPENDED, GiftPhase.HALTED):
            restart_claimed(gift)
        old_mandates_revoke_claimed(gift)
    return mandate


def mandates_follow_up() -> tuple[int, list[str]]:
    """Reconciliation's part: notices that went out without the next step being taken (the
    worker died, Mollie was away), notices that could not be sent at all (the mandate ends:
    nothing is collected without one), and mandates ended here but not yet at Mollie. Returns
    how many were dealt with, and the errors."""
    done, errors = 0, []
    unsent = BankMandate.objects.filter(
        status=BankMandate.Status.ACTIVE,
        notice_sent_at__isnull=True,
        created_at__lt=timezone.now() - timedelta(minutes=10),
    )
    for mandate in unsent:
        notice = EmailLog.objects.filter(event_key=mandate_notice_key(mandate)).first()
        if notice is not None and notice.status == EmailLog.Status.SENT:
            BankMandate.objects.filter(pk=mandate.pk).update(notice_sent_at=timezone.now())
        elif notice is not None and notice.status == EmailLog.Status.FAILED:
            # The notice never reached the donor (the address bounces): nothing may be
            # collected, so the mandate ends, and is revoked below.
            BankMandate.objects.filter(pk=mandate.pk).end(BankMandate.End.UNNOTIFIED)
    waiting = BankMandate.objects.filter(
        status=BankMandate.Status.ACTIVE,
        notice_sent_at__isnull=False,
        donation__subscription__isnull=True,
    )
    # Stopped with the link, or with the gift, not yet at Mollie. (A replaced mandate is
    # revoked with the gift's payment-method change, once no debit on it is pending; a halted
    # gift's with the halt.)
    ended = BankMandate.objects.filter(
        status=BankMandate.Status.ENDED,
        end__in=[
            BankMandate.End.NOT_ME,
            BankMandate.End.GIFT_STOPPED,
            BankMandate.End.UNNOTIFIED,
        ],
        revoked_at__isnull=True,
    ).exclude(mollie_id="")
    # Refused while Mollie's answer was lost: the mandate may exist at Mollie all the same.
    lost = BankMandate.objects.filter(
        end=BankMandate.End.REFUSED,
        mollie_id="",
        revoked_at__isnull=True,
        created_at__lt=timezone.now() - timedelta(minutes=10),
    ).select_related("donation")
    for mandate in lost:
        try:
            _lost_mandate_revoke(mandate)
        except PaymentProviderError as error:
            errors.append(f"mandate {mandate.reference}: {error}")
            continue
        done += 1
    for mandate in [*waiting, *ended]:
        try:
            if mandate.is_active:
                mandate_collection_begin(mandate=mandate)
            else:
                _mandate_ended_at_mollie(mandate)
        except (GiftError, PaymentProviderError) as error:
            errors.append(f"mandate {mandate.reference}: {error}")
            continue
        done += 1
    return done, errors
