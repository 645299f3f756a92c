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

import dataclasses
import datetime
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor
from core.audit import audit_record
from supporters.models import Supporter

from .. import audit
from ..bank import mask_ibans
from ..bank_statement import Statement, Transfer, statement_is_of
from ..exceptions import GiftNotChangeable, SimilarGiftExists, StatementNotOurs
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
# Looked for in a description squeezed to letters and digits, overlapping: in "GIFT KENMERK
# GIFT-87K1-ARET" the first "GIFT" takes letters of the word after it, and must not hide the
# reference itself.
REFERENCE_RE = re.compile(rf"(?=({REFERENCE_PREFIX}[{REFERENCE_ALPHABET}]{{8}}))")
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
    key: str | None = None,
    similar_is_fine: bool = True,
) -> Payment:
    """Record a gift that did not come through Mollie, with its audit row, in one transaction.

    `key` is the recording form's own: the same form sent twice (two clicks, at once or one
    after the other) records one gift, the first; the key with other details raises
    GiftNotChangeable. Unless `similar_is_fine`, a gift of the same amount recorded for the
    supporter within SAME_GIFT_DAYS (by hand or from the bank) raises SimilarGiftExists: it may
    be this very money. Raises GiftNotChangeable for an agreement of another supporter or a
    day outside it."""
    if agreement is not None and agreement.supporter_id != supporter.pk:
        raise GiftNotChangeable(_("This agreement belongs to another supporter."))
    if agreement is not None and not _pays(agreement, paid_on):
        raise GiftNotChangeable(_("This day is outside the years of the agreement."))
    if key and (earlier := Payment.objects.filter(record_key=key).first()) is not None:
        return _the_same(earlier, supporter, amount, paid_on)
    if not similar_is_fine and (similar := _similar_gift(supporter, amount, paid_on)):
        raise SimilarGiftExists(similar)
    try:
        return _gift_record(
            supporter, paid_on, amount, method, reference, actor, origin, agreement, key
        )
    except IntegrityError:
        if key and (earlier := Payment.objects.filter(record_key=key).first()) is not None:
            return _the_same(earlier, supporter, amount, paid_on)  # the other click, at once
        raise


def _the_same(earlier: Payment, supporter: Supporter, amount: Decimal, paid_on) -> Payment:
    """The gift a form's key recorded before, when it is the one asked for again."""
    if (earlier.supporter_id, earlier.amount, timezone.localdate(earlier.paid_at)) != (
        supporter.pk,
        amount,
        paid_on,
    ):
        raise GiftNotChangeable(_("This form was sent before with other details: open it anew."))
    return earlier


def _similar_gift(supporter: Supporter, amount: Decimal, day: datetime.date) -> Payment | None:
    """A counting gift recorded outside Mollie for `supporter` of `amount` near `day`."""
    window = datetime.timedelta(days=SAME_GIFT_DAYS)
    return (
        Payment.objects.filter(
            supporter=supporter,
            status=PaymentStatus.PAID,
            amount=amount,
            paid_at__date__gte=day - window,
            paid_at__date__lte=day + window,
        )
        .exclude(origin=PaymentOrigin.MOLLIE)
        .order_by("paid_at")
        .first()
    )


def _gift_record(supporter, paid_on, amount, method, reference, actor, origin, agreement, key):
    paid_at = datetime.datetime.combine(paid_on, NOON, tzinfo=timezone.get_current_timezone())
    with transaction.atomic():
        donation = Donation.objects.create(
            supporter=supporter,
            amount=amount,
            frequency=Frequency.ONEOFF,
            language=supporter.language,
            route=PaymentRoute.RECORDED,
            first_paid_at=paid_at,
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
            record_key=key or None,
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
# A transfer matched without staff: at most the largest gift staff may record by hand.
MATCH_MAX_AMOUNT = Decimal("1000000")
# A gift recorded by hand this close to a transfer's day, with its amount, may be that transfer.
SAME_GIFT_DAYS = 10


@dataclass
class Match:
    """Whose a transfer is, and whether it may be recorded without staff (`note` says why not)."""

    supporter: Supporter | None = None
    agreement: PeriodicAgreement | None = None
    note: str = ""

    @property
    def automatic(self) -> bool:
        return self.supporter is not None and not self.note


def _match(transfer: Transfer) -> Match:
    """Whose transfer this is (docs/recorded-gifts.md). A donor's transfer reference is secret
    and random: it matches. An agreement's number is not secret (it runs in order), so it only
    matches from an account that paid that donor before, in the agreement's years; otherwise
    the transfer waits, with a note for staff. At most three queries."""
    text = f"{transfer.remittance} {transfer.end_to_end_id}".upper()
    codes = set(REFERENCE_RE.findall(_squeezed(text)))
    by_reference = (
        TransferReference.objects.filter(code__in=codes).select_related("supporter").first()
        if codes
        else None
    )
    numbers = {f"PG-{year}-{number}" for year, number in AGREEMENT_NUMBER_RE.findall(text)}
    agreement = (
        PeriodicAgreement.objects.filter(
            transaction_number__in=numbers, status=PeriodicAgreement.Status.ACTIVE
        )
        .select_related("supporter")
        .first()
        if numbers
        else None
    )
    if agreement is not None and not _pays(agreement, transfer.booked_on):
        agreement = None  # outside the agreement's years: an ordinary gift, if anyone's
    if by_reference is not None:
        supporter = by_reference.supporter
        if agreement is not None and agreement.supporter_id != supporter.pk:
            agreement = None
        return _checked_match(transfer, Match(supporter, agreement))
    if agreement is None:
        return Match()
    match = Match(agreement.supporter, agreement)
    if not _account_known(agreement.supporter, transfer.payer_iban_fingerprint):
        match.note = _("Names agreement %(number)s, from an account not seen for this donor.") % {
            "number": agreement.transaction_number
        }
    return _checked_match(transfer, match)


def _pays(agreement: PeriodicAgreement, day: datetime.date) -> bool:
    return agreement.start_date <= day and agreement.covers_year(day.year)


def _account_known(supporter: Supporter, fingerprint: str) -> bool:
    """Whether money from this account reached us as `supporter`'s gift before: a transfer
    matched or assigned to them that still counts. Not a mandate by IBAN: anyone can give
    one with any address and their own account, before anything is collected."""
    if not fingerprint:
        return False
    return BankTransfer.objects.filter(
        payer_fingerprint=fingerprint,
        payment__supporter=supporter,
        payment__status=PaymentStatus.PAID,
        status__in=[BankTransfer.Status.MATCHED, BankTransfer.Status.ASSIGNED],
    ).exists()


def _checked_match(transfer: Transfer, match: Match) -> Match:
    """The match, with a note when staff should look first: a large amount, or a gift of the
    same amount recorded by hand around that day (perhaps this very transfer)."""
    if match.note:
        return match
    if transfer.amount > MATCH_MAX_AMOUNT:
        match.note = _("A large amount: check it before it becomes a gift.")
        return match
    similar = _similar_gift(match.supporter, transfer.amount, transfer.booked_on)
    if similar is not None:
        match.note = _(
            "A gift of this amount was recorded for this donor on %(day)s: perhaps this transfer."
        ) % {"day": timezone.localdate(similar.paid_at).isoformat()}
    return match


def statement_import(*, statement: Statement, filename: str, actor: Actor) -> ImportReport:
    """Store the statement's incoming transfers (each once) and record the gifts of those that
    match; report what happened. One transaction: all of it or nothing. Safe to run twice, and
    twice at once: a transfer's key is unique, and the second import of it counts as read."""
    if not statement_is_of(statement, settings.ORGANISATION["iban"]):
        raise StatementNotOurs
    report = ImportReport(skipped=statement.skipped)
    with transaction.atomic():
        # In the order of their keys: two imports at once take the rows' locks in one order.
        for transfer in sorted(_with_references(statement.transfers), key=lambda t: t.key):
            _transfer_import(transfer, filename, actor, report)
        audit_record(
            actor=actor,
            action=audit.STATEMENT_IMPORT,
            subject_type="statement",
            subject_id=filename[:64],
            supporter_id=None,
            data={"file": filename[:200], **report.__dict__},
        )
    return report


def _with_references(transfers: tuple[Transfer, ...]) -> list[Transfer]:
    """The transfers, each key with the donor's reference in its description, if any: two
    transfers alike but for the donor they name stay two, whichever of them a statement
    covering part of a day holds (numbered again within what is alike, in file order)."""
    seen: dict[str, int] = {}
    keyed = []
    for transfer in transfers:
        codes = REFERENCE_RE.findall(_squeezed(transfer.remittance))
        base = transfer.key.split("#", 1)[0] + (f":{codes[0]}" if codes else "")
        seen[base] = seen.get(base, 0) + 1
        key = base if seen[base] == 1 else f"{base}#{seen[base]}"
        keyed.append(dataclasses.replace(transfer, key=key))
    return keyed


def _transfer_import(transfer: Transfer, filename: str, actor: Actor, report: ImportReport):
    if BankTransfer.objects.filter(key=transfer.key).exists():
        report.repeated += 1
        return
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
            match = _match(transfer) if transfer.currency == "EUR" else Match()
            if match.automatic:
                _transfer_settle(
                    row, match.supporter, match.agreement, actor, BankTransfer.Status.MATCHED
                )
            elif match.note:
                row.note, row.suggested = match.note[:300], match.supporter
                row.save(update_fields=["note", "suggested"])
    except IntegrityError:  # the same transfer stored by an import running at once
        report.repeated += 1
        return
    report.new += 1
    if transfer.currency != "EUR":
        report.other_currency += 1
    if row.status == BankTransfer.Status.MATCHED:
        report.matched += 1
    else:
        report.waiting += 1


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
            raise GiftNotChangeable(_("This transfer has been dealt with already."))
        if row.currency != "EUR":
            raise GiftNotChangeable(_("Only transfers in euros can become gifts."))
        _transfer_settle(row, supporter, agreement, actor, BankTransfer.Status.ASSIGNED)
    return row


def transfer_ignore(*, transfer_id: int, actor: Actor) -> BankTransfer:
    """Staff say a waiting transfer is no gift (a refund from a supplier, say)."""
    with transaction.atomic():
        row = BankTransfer.objects.select_for_update().filter(pk=transfer_id).first()
        if row is None or row.status != BankTransfer.Status.WAITING:
            raise GiftNotChangeable(_("This transfer has been dealt with already."))
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


def gift_void(*, payment_id: int, actor: Actor) -> Payment:
    """Undo a recorded gift staff got wrong (the wrong donor, a typing error, twice): it no
    longer counts anywhere, and a bank transfer it came from waits for staff again. Audited.
    Raises GiftNotChangeable for a gift that came through Mollie or is void already."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None or not payment.is_recorded or payment.status != PaymentStatus.PAID:
            raise GiftNotChangeable(_("Only a recorded gift that counts can be undone."))
        payment.status, payment.failed_at = PaymentStatus.CANCELED, timezone.now()
        payment.save(update_fields=["status", "failed_at"])
        # The transfer waits again, still saying whose gift it was (and so erased with them).
        reopened = BankTransfer.objects.filter(payment=payment).update(
            payment=None,
            status=BankTransfer.Status.WAITING,
            decided_at=None,
            suggested_id=payment.supporter_id,
            note=_("Was recorded as this donor's gift, then undone."),
        )
        audit_record(
            actor=actor,
            action=audit.GIFT_VOID,
            subject_type="payment",
            subject_id=payment.pk,
            supporter_id=payment.supporter_id,
            data={"amount": str(payment.amount), "transfer_reopened": bool(reopened)},
        )
    return payment
