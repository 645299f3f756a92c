"""Gifts that did not come through Mollie: recorded by staff, or read from a bank statement.

A recorded gift is a Donation (one-off, route "recorded") with one paid Payment whose origin
is staff or the bank and which has no Mollie id. Being a Payment, it is in the donor's history
and yearly statement and in every staff figure, marked as recorded. Nothing here talks to
Mollie, and nothing here sends the donor an email (docs/recorded-gifts.md).

Importing a statement (`statement_import`) stores each incoming transfer once, by the bank's
own reference: importing the same statement again changes nothing. A transfer is matched to a
supporter by the reference the site gave them (`transfer_reference_for`) or by a periodic gift
agreement's number in its description; the rest wait for staff to assign or ignore them.
"""

import datetime
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.actors import Actor
from core.audit import audit_record
from supporters.models import Supporter

from .. import audit
from ..bank import mask_ibans
from ..bank_statement import Statement, Transfer
from ..exceptions import GiftNotChangeable
from ..models import (
    BankTransfer,
    Donation,
    Frequency,
    Payment,
    PaymentOrigin,
    PaymentRoute,
    PaymentStatus,
    PeriodicAgreement,
    SequenceType,
    TransferReference,
)
from .common import donor_first_gift

# Crockford's base 32 without I, L, O and U: nothing to misread on a bank's form.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "GIFT"
REFERENCE_RE = re.compile(rf"{REFERENCE_PREFIX}[{REFERENCE_ALPHABET}]{{8}}")
# A recorded gift is dated at noon: whatever the zone, it stays on the day given.
NOON = datetime.time(12)


def transfer_reference_for(*, supporter: Supporter) -> str:
    """The supporter's reference for gifts by transfer (made the first time it is asked for),
    shown as `GIFT-XXXX-XXXX`; matching ignores spaces, hyphens and case."""
    existing = TransferReference.objects.filter(supporter=supporter).first()
    if existing is not None:
        return _grouped(existing.code)
    while True:
        code = REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
        try:
            with transaction.atomic():
                made, _ = TransferReference.objects.get_or_create(
                    supporter=supporter, defaults={"code": code}
                )
            return _grouped(made.code)
        except IntegrityError:  # the same code drawn twice (1 in 10^12): draw again
            continue


def _grouped(code: str) -> str:
    body = code.removeprefix(REFERENCE_PREFIX)
    return f"{REFERENCE_PREFIX}-{body[:4]}-{body[4:]}"


def _squeezed(text: str) -> str:
    """Upper case letters and digits only: how a reference is looked for in a description."""
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def gift_record(
    *,
    supporter: Supporter,
    paid_on: datetime.date,
    amount: Decimal,
    method: str,
    reference: str,
    actor: Actor,
    origin: str = PaymentOrigin.STAFF,
    agreement: PeriodicAgreement | None = None,
) -> Payment:
    """Record a gift that did not come through Mollie, with its audit row, in one transaction.
    Raises GiftNotChangeable for an agreement of another supporter."""
    if agreement is not None and agreement.supporter_id != supporter.pk:
        raise GiftNotChangeable("This agreement belongs to another supporter.")
    paid_at = datetime.datetime.combine(paid_on, NOON, tzinfo=timezone.get_current_timezone())
    with transaction.atomic():
        donation = Donation.objects.create(
            supporter=supporter,
            amount=amount,
            frequency=Frequency.ONEOFF,
            language=supporter.language,
            route=PaymentRoute.RECORDED,
        )
        payment = Payment.objects.create(
            donation=donation,
            supporter=supporter,
            status=PaymentStatus.PAID,
            sequence_type=SequenceType.ONEOFF,
            amount=amount,
            method=method,
            paid_at=paid_at,
            origin=origin,
            reference=mask_ibans(reference)[:140],
            recorded_by_id=actor.user_id if actor.kind == "staff" else None,
            agreement=agreement,
        )
        donor_first_gift(supporter_id=supporter.pk, paid_at=paid_at)
        audit_record(
            actor=actor,
            action=audit.GIFT_RECORD,
            subject_type="payment",
            subject_id=payment.pk,
            supporter_id=supporter.pk,
            data={
                "amount": str(amount),
                "paid_on": paid_on.isoformat(),
                "method": method,
                "origin": origin,
                "agreement": agreement.transaction_number if agreement else "",
            },
        )
    return payment


# --- Bank statements -----------------------------------------------------------------------


@dataclass
class ImportReport:
    new: int = 0
    matched: int = 0
    waiting: int = 0
    repeated: int = 0
    skipped: int = 0
    other_currency: int = 0


# An agreement's number as the site writes it (PG-2026-00012), however the payer spaced it.
AGREEMENT_NUMBER_RE = re.compile(r"PG[\s./-]*(\d{4})[\s./-]*(\d{5,9})(?!\d)")


def _match(transfer: Transfer) -> tuple[Supporter | None, PeriodicAgreement | None]:
    """Whose transfer this is: an active agreement's number in the description first (it names
    the agreement too), then a supporter's transfer reference; (None, None) when neither.
    Two queries at most, whatever the number of agreements and supporters."""
    text = f"{transfer.remittance} {transfer.end_to_end_id}".upper()
    numbers = {f"PG-{year}-{number}" for year, number in AGREEMENT_NUMBER_RE.findall(text)}
    if numbers:
        agreement = (
            PeriodicAgreement.objects.filter(
                transaction_number__in=numbers, status=PeriodicAgreement.Status.ACTIVE
            )
            .select_related("supporter")
            .first()
        )
        if agreement is not None:
            return agreement.supporter, agreement
    codes = set(REFERENCE_RE.findall(_squeezed(text)))
    if codes:
        match = TransferReference.objects.filter(code__in=codes).select_related("supporter").first()
        if match is not None:
            return match.supporter, None
    return None, None


def statement_import(*, statement: Statement, filename: str, actor: Actor) -> ImportReport:
    """Store the statement's incoming transfers (each once) and record the gifts of those that
    match; report what happened. Safe to run twice, and twice at once: a transfer's key is
    unique, and the second import of it counts as repeated."""
    report = ImportReport(skipped=statement.skipped)
    for transfer in statement.transfers:
        if BankTransfer.objects.filter(key=transfer.key).exists():
            report.repeated += 1
            continue
        try:
            with transaction.atomic():
                row = BankTransfer.objects.create(
                    key=transfer.key,
                    booked_on=transfer.booked_on,
                    amount=transfer.amount,
                    currency=transfer.currency,
                    remittance=transfer.remittance[:500],
                    payer_name=transfer.payer_name[:200],
                    payer_account=transfer.payer_iban_masked,
                    payer_fingerprint=transfer.payer_iban_fingerprint,
                    statement_name=filename[:200],
                )
                supporter, agreement = (
                    _match(transfer) if transfer.currency == "EUR" else (None, None)
                )
                if supporter is not None:
                    _transfer_settle(row, supporter, agreement, actor, BankTransfer.Status.MATCHED)
        except IntegrityError:  # the same transfer stored by an import running at once
            report.repeated += 1
            continue
        report.new += 1
        if transfer.currency != "EUR":
            report.other_currency += 1
        if row.status == BankTransfer.Status.MATCHED:
            report.matched += 1
        else:
            report.waiting += 1
    audit_record(
        actor=actor,
        action=audit.STATEMENT_IMPORT,
        subject_type="statement",
        subject_id=filename[:200],
        supporter_id=None,
        data=report.__dict__,
    )
    return report


def _transfer_settle(
    row: BankTransfer,
    supporter: Supporter,
    agreement: PeriodicAgreement | None,
    actor: Actor,
    status: str,
) -> None:
    payment = gift_record(
        supporter=supporter,
        paid_on=row.booked_on,
        amount=row.amount,
        method="banktransfer",
        reference=row.remittance,
        actor=actor,
        origin=PaymentOrigin.BANK,
        agreement=agreement,
    )
    row.payment, row.status, row.decided_at = payment, status, timezone.now()
    row.save(update_fields=["payment", "status", "decided_at"])


def transfer_assign(
    *,
    transfer_id: int,
    supporter: Supporter,
    agreement: PeriodicAgreement | None,
    actor: Actor,
) -> BankTransfer:
    """Staff say whose a waiting transfer is: it becomes their recorded gift. Raises
    GiftNotChangeable when it no longer waits (two staff members at once) or is not in euros."""
    with transaction.atomic():
        row = BankTransfer.objects.select_for_update().filter(pk=transfer_id).first()
        if row is None or row.status != BankTransfer.Status.WAITING:
            raise GiftNotChangeable("This transfer has been dealt with already.")
        if row.currency != "EUR":
            raise GiftNotChangeable("Only transfers in euros can become gifts.")
        _transfer_settle(row, supporter, agreement, actor, BankTransfer.Status.ASSIGNED)
    return row


def transfer_ignore(*, transfer_id: int, actor: Actor) -> BankTransfer:
    """Staff say a waiting transfer is no gift (a refund from a supplier, say)."""
    with transaction.atomic():
        row = BankTransfer.objects.select_for_update().filter(pk=transfer_id).first()
        if row is None or row.status != BankTransfer.Status.WAITING:
            raise GiftNotChangeable("This transfer has been dealt with already.")
        row.status, row.decided_at = BankTransfer.Status.IGNORED, timezone.now()
        row.save(update_fields=["status", "decided_at"])
        audit_record(
            actor=actor,
            action=audit.TRANSFER_IGNORE,
            subject_type="banktransfer",
            subject_id=row.pk,
            supporter_id=None,
            data={"amount": str(row.amount), "booked_on": row.booked_on.isoformat()},
        )
    return row
