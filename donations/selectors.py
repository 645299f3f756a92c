"""Reads of donation data, for this app's pages and for the supporter area.

The supporter area reads gifts only through these functions (see docs/architecture.md).
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from core.export import export_money, export_time
from supporters.models import Supporter

from .models import (
    GIFT_DAY,
    NET_AMOUNT,
    PAYMENT_HISTORY_COLUMNS,
    ZERO,
    BankMandate,
    BankTransfer,
    Donation,
    MandateChange,
    Payment,
    PaymentOrigin,
    PaymentStatus,
    PeriodicAgreement,
    SequenceType,
    Subscription,
    TransferReference,
)

# What new_public_token makes: URL-safe base64 (letters, digits, "-" and "_").
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def donation_latest_payment(*, donation: Donation) -> Payment | None:
    return donation.payments.order_by("-created_at", "-pk").first()


def donation_is_paid(*, donation: Donation) -> bool:
    latest = donation_latest_payment(donation=donation)
    return latest is not None and latest.is_paid


def donation_bank_mandate(*, donation: Donation) -> BankMandate | None:
    """The direct-debit mandate a gift was given with (the first one; None for a checkout
    gift)."""
    return donation.bank_mandates.order_by("created_at", "pk").first()


def subscription_bank_mandate(*, subscription: Subscription) -> BankMandate | None:
    """The mandate by IBAN the gift charges now, if it charges one (else None)."""
    return BankMandate.objects.filter(
        donation_id=subscription.donation_id,
        status=BankMandate.Status.ACTIVE,
        mollie_id=subscription.mandate_id,
    ).first()


def payment_is_known(mollie_id: str) -> bool:
    """Whether we store the payment `mollie_id`."""
    return Payment.objects.filter(mollie_id=mollie_id).exists()


def donation_by_token(*, token: str) -> Donation | None:
    """The donation with this public token; None for any string that is not one of our tokens
    (checked before the database sees it: PostgreSQL refuses, say, a NUL byte with an error)."""
    if not TOKEN_RE.fullmatch(token or ""):
        return None
    return Donation.objects.select_related("supporter").filter(public_token=token).first()


HISTORY_GIFT_COLUMNS = (
    "donation__frequency",
    "subscription__donation__frequency",
)


# A checkout at Mollie (a one-off gift, the first payment of a regular gift, a payment method
# check) that the payer canceled or let run out: no money moved. A regular gift's charges, a
# refused payment and a gift staff recorded and then undid are other things, and stay listed.
ABANDONED = (PaymentStatus.CANCELED, PaymentStatus.EXPIRED)
CHECKOUTS = (SequenceType.ONEOFF, SequenceType.FIRST)


def supporter_payments(*, supporter: Supporter) -> QuerySet[Payment]:
    """Every payment of `supporter`, newest first, with only the fields the history shows,
    but for abandoned checkouts (ABANDONED, CHECKOUTS): a donor who left the payment page and
    came back to pay saw "open", then "expired", beside the real gift. A checkout still open
    is listed until it runs out (about 15 minutes for iDEAL, up to two weeks for a bank
    transfer), since it may yet be paid. The export keeps every payment.

    Mollie's raw JSON and the bookkeeping dates stay in the database: a page of gifts loads
    eight columns per row (with the key), not sixteen.
    """
    return (
        Payment.objects.filter(supporter=supporter)
        .exclude(origin=PaymentOrigin.MOLLIE, sequence_type__in=CHECKOUTS, status__in=ABANDONED)
        # The gift's frequency ("monthly", "every quarter") comes along in the same query.
        .select_related("donation", "subscription__donation")
        .only(*PAYMENT_HISTORY_COLUMNS, *HISTORY_GIFT_COLUMNS)
        # By the date the list shows (paid, else made): a gift recorded later for an earlier
        # day takes its place among the others.
        .order_by(Coalesce(GIFT_DAY, "created_at").desc(), "-pk")
    )


def supporter_payments_of_donations(
    *, supporter: Supporter, donation_tokens: tuple[str, ...]
) -> QuerySet[Payment]:
    """The payments of `supporter`'s donations with these public tokens, newest first.

    What a limited session (one not opened with a code) may see: only what that browser
    started itself, a monthly gift's later charges included.
    """
    tokens = list(donation_tokens)
    return supporter_payments(supporter=supporter).filter(
        Q(donation__public_token__in=tokens) | Q(subscription__donation__public_token__in=tokens)
    )


def _running_gifts(supporter: Supporter) -> QuerySet[Subscription]:
    """`supporter`'s running (or paused) regular gifts, each with its active periodic gift
    agreement's number and yearly amount (`agreement_number`, `agreement_amount`; None
    without one), and the masked account of the mandate by IBAN it charges (`bank_account`;
    None when it charges a mandate of a checkout payment)."""
    agreement = PeriodicAgreement.objects.filter(
        subscription=OuterRef("pk"), status=PeriodicAgreement.Status.ACTIVE
    ).order_by("-signed_at")
    mandate = BankMandate.objects.filter(
        donation_id=OuterRef("donation_id"),
        mollie_id=OuterRef("mandate_id"),
        status=BankMandate.Status.ACTIVE,
    )
    return (
        Subscription.objects.active()
        .filter(supporter=supporter)
        .annotate(
            agreement_number=Subquery(agreement.values("transaction_number")[:1]),
            agreement_amount=Subquery(agreement.values("yearly_amount")[:1]),
            bank_account=Subquery(mandate.values("iban_masked")[:1]),
        )
        .order_by("started_at", "pk")
    )


def supporter_running_gifts(*, supporter: Supporter) -> list[Subscription]:
    """Every running (or paused) regular gift of `supporter`, oldest first, in one query.

    All of them: a gift someone else started with the supporter's address is theirs to see
    and stop too.
    """
    return list(_running_gifts(supporter))


def supporter_running_gift(*, supporter: Supporter, pk: int) -> Subscription | None:
    """`supporter`'s running (or paused) regular gift `pk`; None for anyone else's."""
    return _running_gifts(supporter).filter(pk=pk).first()


@dataclass
class GivingTotals:
    this_year: Decimal
    all_time: Decimal
    years: list[int]


def _year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    return datetime.datetime(year, 1, 1, tzinfo=zone), datetime.datetime(
        year + 1, 1, 1, tzinfo=zone
    )


def supporter_totals(*, supporter: Supporter) -> GivingTotals:
    """What the supporter gave this year and in all (refunds and chargebacks deducted)."""
    paid = Payment.objects.paid().filter(supporter=supporter)
    year = timezone.localdate().year
    start, end = _year_bounds(year)
    this_year = Q(gift_day__gte=start, gift_day__lt=end)
    sums = paid.annotate(gift_day=GIFT_DAY).aggregate(
        this_year=Coalesce(Sum(NET_AMOUNT, filter=this_year), ZERO),
        all_time=Coalesce(Sum(NET_AMOUNT), ZERO),
    )
    # A paid row without a payment date (made by hand, say) has no year: no statement link.
    dated = paid.filter(paid_at__isnull=False).annotate(year=ExtractYear(GIFT_DAY))
    years = sorted(set(dated.values_list("year", flat=True).distinct()), reverse=True)
    return GivingTotals(years=years, **sums)


@dataclass
class Statement:
    year: int
    payments: list[Payment]
    gross: Decimal
    refunded: Decimal
    net: Decimal
    agreements: list[PeriodicAgreement]


def supporter_statement(*, supporter: Supporter, year: int) -> Statement:
    """The supporter's paid gifts that count on a day of `year` (GIFT_DAY, docs/gift-dates.md),
    for a yearly statement (refunds deducted)."""
    start, end = _year_bounds(year)
    payments = list(
        Payment.objects.paid()
        .annotate(gift_day=GIFT_DAY)
        .select_related("donation", "subscription__donation")
        .filter(supporter=supporter, gift_day__gte=start, gift_day__lt=end)
        .order_by("gift_day", "pk")
    )
    gross = sum((p.amount for p in payments), ZERO)
    refunded = sum((p.amount_returned for p in payments), ZERO)
    agreements = [a for a in supporter_agreements(supporter=supporter) if a.covers_year(year)]
    for agreement in agreements:
        # What was paid against the agreement this year: its regular gift's charges, and the
        # transfers that named it (by hand or from a bank statement).
        agreement.paid_in_year = sum(
            (p.net_amount for p in payments if _pays_agreement(p, agreement)), ZERO
        )
    return Statement(
        year=year,
        payments=payments,
        gross=gross,
        refunded=refunded,
        net=gross - refunded,
        agreements=agreements,
    )


def _pays_agreement(payment: Payment, agreement: PeriodicAgreement) -> bool:
    """Whether a paid payment counts against `agreement`: a transfer that named it, or a charge
    of its regular gift, from the agreement's first day."""
    if timezone.localdate(payment.gift_at) < agreement.start_date:
        return False
    if payment.agreement_id == agreement.pk:
        return True
    return bool(agreement.subscription_id) and payment.subscription_id == agreement.subscription_id


def supporter_agreements(*, supporter: Supporter) -> list[PeriodicAgreement]:
    return list(PeriodicAgreement.objects.filter(supporter=supporter).order_by("-signed_at"))


def supporter_transfer_agreements(*, supporter: Supporter) -> list[PeriodicAgreement]:
    """The supporter's active agreements paid by bank transfer (no regular gift), 1 query."""
    return list(
        PeriodicAgreement.objects.filter(
            supporter=supporter,
            subscription__isnull=True,
            status=PeriodicAgreement.Status.ACTIVE,
        ).order_by("signed_at")
    )


def supporter_agreement(*, supporter: Supporter, number: str) -> PeriodicAgreement | None:
    """One of `supporter`'s agreements by its transaction number (None for anyone else's)."""
    return PeriodicAgreement.objects.filter(supporter=supporter, transaction_number=number).first()


def supporter_mandate_change(*, supporter: Supporter, token: str):
    """`supporter`'s payment-method change with this public token (None for anyone else's)."""
    if not TOKEN_RE.fullmatch(token or ""):
        return None
    return (
        MandateChange.objects.select_related("payment", "subscription")
        .filter(public_token=token, subscription__supporter=supporter)
        .first()
    )


def supporter_gifts_export(*, supporter: Supporter) -> dict:
    """Everything the donations app holds about `supporter`, as plain data for a JSON download."""
    return {
        "donations": [
            {
                "created_at": export_time(d.created_at),
                "amount": export_money(d.amount),
                "frequency": d.frequency,
                "language": d.language,
                "mollie_customer_id": d.mollie_customer_id or None,
            }
            for d in Donation.objects.filter(supporter=supporter).order_by("created_at")
        ],
        "payments": [
            {
                "mollie_id": p.mollie_id,
                "created_at": export_time(p.created_at),
                "paid_at": export_time(p.paid_at),
                "status": p.status,
                "kind": p.sequence_type,
                "amount": export_money(p.amount),
                "amount_refunded": export_money(p.amount_refunded),
                "amount_charged_back": export_money(p.amount_charged_back),
                "method": p.method,
                "origin": p.origin,
                "reference": p.reference or None,
                "periodic_gift_agreement": p.agreement.transaction_number if p.agreement else None,
            }
            for p in Payment.objects.filter(supporter=supporter)
            .select_related("agreement")
            .order_by("created_at")
        ],
        "bank_transfers": [
            {
                "booked_on": export_time(t.booked_on),
                "amount": export_money(t.amount),
                "payer": t.payer_name or None,
                "account": t.payer_account or None,  # masked: the full IBAN is never stored
                "description": t.remittance or None,
            }
            for t in BankTransfer.objects.filter(payment__supporter=supporter).order_by(
                "booked_on", "pk"
            )
        ],
        "transfer_reference": TransferReference.objects.filter(supporter=supporter)
        .values_list("code", flat=True)
        .first(),
        "direct_debit_mandates": [
            {
                "reference": m.reference,
                "account": m.iban_masked,  # Mollie holds the IBAN itself; we never store it
                "holder": m.holder_name or None,
                "signed_on": export_time(m.signed_on),
                "first_collection_on": export_time(m.first_collection_on),
                "status": m.status,
                "ended": m.end or None,
            }
            for m in BankMandate.objects.filter(donation__supporter=supporter).order_by(
                "created_at"
            )
        ],
        "periodic_gift_agreements": [
            {
                "transaction_number": a.transaction_number,
                "yearly_amount": export_money(a.yearly_amount),
                "years": a.years,
                "start_date": export_time(a.start_date),
                "signed_at": export_time(a.signed_at),
                "status": a.status,
            }
            for a in PeriodicAgreement.objects.filter(supporter=supporter).order_by("signed_at")
        ],
        "monthly_gifts": [
            {
                "mollie_id": s.mollie_id,
                "mandate_id": s.mandate_id or None,
                "amount": export_money(s.amount),
                "status": s.status,
                "started_at": export_time(s.started_at),
                "next_payment_date": export_time(s.next_payment_date),
                "canceled_at": export_time(s.canceled_at),
            }
            for s in Subscription.objects.filter(supporter=supporter).order_by("started_at")
        ],
    }


def agreement_by_number(*, number: str) -> PeriodicAgreement | None:
    """The agreement with this transaction number, with its supporter (1 query)."""
    return (
        PeriodicAgreement.objects.filter(transaction_number=number)
        .select_related("supporter")
        .first()
    )


def transfers_waiting(limit: int = 200) -> list[BankTransfer]:
    """Imported transfers that wait for staff to assign or ignore them, oldest first."""
    waiting = BankTransfer.objects.filter(status=BankTransfer.Status.WAITING)
    return list(waiting.select_related("suggested").order_by("booked_on", "pk")[:limit])
