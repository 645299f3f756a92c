"""Periodic gift agreements ("periodieke gift"): proposing one for a running gift, signing it.

See docs/periodic-gifts.md for what the agreement must contain and how it is signed.
"""

import datetime
import secrets
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor
from core.audit import audit_record
from core.db import locked
from supporters.models import Supporter

from .. import audit
from ..audit import gift_audit
from ..events import GiftEvent, gift_event_announce
from ..exceptions import GiftNotChangeable
from ..models import AGREEMENT_MIN_YEARS, PeriodicAgreement, Subscription

DONOR_FIELDS = (
    "donor_surname",
    "donor_first_names",
    "donor_birth_date",
    "donor_birth_place",
    "donor_street",
    "donor_postcode",
    "donor_city",
    "donor_country",
    "partner_name",
    "partner_birth_date",
    "partner_birth_place",
)


def agreement_yearly_amount(subscription: Subscription) -> Decimal:
    """What the running gift brings in a year: the fixed amount the agreement promises."""
    return subscription.amount * (12 // subscription.months)


def agreement_sign(
    *,
    subscription: Subscription,
    years: int | None,
    ends_on_income_loss: bool,
    signed_name: str,
    signed_place: str,
    details: dict,
    actor: Actor,
) -> PeriodicAgreement:
    """Record the agreement the supporter signed for `subscription`, with its transaction
    number, and announce AGREEMENT_SIGNED (the supporter gets a copy).

    `years` is at least AGREEMENT_MIN_YEARS, or None for an indefinite period; `details`
    holds the donor's (and partner's) particulars (DONOR_FIELDS). The yearly amount is the
    gift's own, and the agreement runs from the gift's next charge. Raises GiftNotChangeable
    when the gift already has an active agreement or is not running.
    """
    if years is not None and years < AGREEMENT_MIN_YEARS:
        raise ValueError(f"A periodic gift runs for at least {AGREEMENT_MIN_YEARS} years.")
    with locked(Subscription, subscription.pk) as subscription:
        if not subscription.is_active:
            raise GiftNotChangeable(_("Only a running gift can become a periodic gift."))
        if subscription.agreements.filter(status=PeriodicAgreement.Status.ACTIVE).exists():
            raise GiftNotChangeable(_("This gift already has a periodic gift agreement."))
        agreement = _agreement_create(
            supporter_id=subscription.supporter_id,
            subscription=subscription,
            yearly_amount=agreement_yearly_amount(subscription),
            start_date=subscription.next_payment_date or timezone.localdate(),
            years=years,
            ends_on_income_loss=ends_on_income_loss,
            signed_name=signed_name,
            signed_place=signed_place,
            details=details,
        )
        gift_audit(
            actor, audit.AGREEMENT_SIGN, subscription, agreement=agreement.transaction_number
        )
    return agreement


# The same agreement signed twice within this time (two clicks) is the one agreement.
SAME_SIGNATURE_SECONDS = 10 * 60


def agreement_sign_by_transfer(
    *,
    supporter: Supporter,
    yearly_amount: Decimal,
    years: int | None,
    ends_on_income_loss: bool,
    signed_name: str,
    signed_place: str,
    details: dict,
    actor: Actor,
) -> PeriodicAgreement:
    """Record an agreement the supporter pays by bank transfer (no regular gift through
    Mollie): transfers that name its number count against it (docs/recorded-gifts.md). The
    same agreement sent twice (two clicks) gives the first one back."""
    if years is not None and years < AGREEMENT_MIN_YEARS:
        raise ValueError(f"A periodic gift runs for at least {AGREEMENT_MIN_YEARS} years.")
    with locked(Supporter, supporter.pk) as supporter:
        recent = PeriodicAgreement.objects.filter(
            supporter=supporter,
            subscription__isnull=True,
            yearly_amount=yearly_amount,
            status=PeriodicAgreement.Status.ACTIVE,
            signed_at__gte=timezone.now() - datetime.timedelta(seconds=SAME_SIGNATURE_SECONDS),
        ).first()
        if recent is not None:
            return recent
        agreement = _agreement_create(
            supporter_id=supporter.pk,
            subscription=None,
            yearly_amount=yearly_amount,
            start_date=timezone.localdate(),
            years=years,
            ends_on_income_loss=ends_on_income_loss,
            signed_name=signed_name,
            signed_place=signed_place,
            details=details,
        )
        audit_record(
            actor=actor,
            action=audit.AGREEMENT_SIGN,
            subject_type="supporter" if actor.is_supporter else "periodicagreement",
            subject_id=supporter.pk if actor.is_supporter else agreement.pk,
            supporter_id=supporter.pk,
            data={"agreement": agreement.transaction_number, "paid_by": "transfer"},
        )
    return agreement


def _agreement_create(
    *,
    supporter_id: int,
    subscription: Subscription | None,
    yearly_amount: Decimal,
    start_date: datetime.date,
    years: int | None,
    ends_on_income_loss: bool,
    signed_name: str,
    signed_place: str,
    details: dict,
) -> PeriodicAgreement:
    """The agreement row with its transaction number, announced (the donor gets a copy)."""
    organisation = settings.ORGANISATION
    agreement = PeriodicAgreement.objects.create(
        # Replaced below, once the row has its number; unique meanwhile.
        transaction_number=f"new-{secrets.token_hex(6)}",
        supporter_id=supporter_id,
        subscription=subscription,
        yearly_amount=yearly_amount,
        years=years,
        start_date=start_date,
        ends_on_income_loss=ends_on_income_loss,
        signed_name=signed_name,
        signed_place=signed_place,
        signed_at=timezone.now(),
        organisation_name=organisation["name"],
        organisation_rsin=organisation["rsin"],
        organisation_signatory=organisation["signatory"],
        **{name: details.get(name) or _blank(name) for name in DONOR_FIELDS},
    )
    # Readable, unique and never reused: the year it was signed and the row's number.
    agreement.transaction_number = f"PG-{agreement.signed_at:%Y}-{agreement.pk:05d}"
    agreement.save(update_fields=["transaction_number"])
    gift_event_announce(GiftEvent.AGREEMENT_SIGNED, agreement=agreement)
    return agreement


def _blank(name: str):
    return None if name.endswith("_date") else ""
