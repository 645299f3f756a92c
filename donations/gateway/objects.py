"""What Mollie answers, as frozen values: Decimal amounts, parsed dates, our enums.

The gateway turns each JSON object Mollie returns into one of these as soon as it arrives, and
the services use nothing else: no service indexes Mollie's JSON. `raw` keeps the JSON, only to
be stored as a record (`mollie_data`), with any bank account in it masked and its holder's name
left out (`donations.bank.redact`): no full IBAN reaches our database. An answer that does not
parse (an unknown status, a missing amount) is an `UnexpectedProviderAnswer`, never half used.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_date, parse_datetime

from ..bank import redact
from ..exceptions import UnexpectedProviderAnswer
from ..models import ZERO, PaymentStatus, SequenceType, SubscriptionStatus


def _amount(value: dict | None) -> Decimal:
    """Mollie's `{"currency": "EUR", "value": "10.00"}` as a Decimal (zero when absent)."""
    if not value:
        return ZERO
    try:
        return Decimal(value["value"])
    except (KeyError, TypeError, InvalidOperation) as error:
        raise UnexpectedProviderAnswer(f"Not an amount: {str(value)[:80]!r}") from error


def _time(value: str | None) -> datetime.datetime | None:
    """One of Mollie's ISO 8601 timestamps as an aware datetime (None when absent)."""
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise UnexpectedProviderAnswer(f"Not a time: {value[:40]!r}")
    return parsed


def _day(value: str | None) -> datetime.date | None:
    if not value:
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise UnexpectedProviderAnswer(f"Not a date: {value[:40]!r}")
    return parsed


def _enum(kind, value):
    try:
        return kind(value)
    except ValueError as error:
        raise UnexpectedProviderAnswer(f"Unknown {kind.__name__}: {str(value)[:40]!r}") from error


def _ours(metadata, name: str) -> int | None:
    """An id of ours that we put in the object's metadata (None when absent or not ours)."""
    value = (metadata or {}).get(name) if isinstance(metadata, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class MolliePayment:
    id: str
    status: PaymentStatus
    sequence_type: SequenceType
    amount: Decimal
    amount_refunded: Decimal
    amount_charged_back: Decimal
    method: str
    created_at: datetime.datetime | None
    paid_at: datetime.datetime | None
    # When it failed, was canceled or expired (whichever Mollie says).
    ended_at: datetime.datetime | None
    customer_id: str
    mandate_id: str
    subscription_id: str
    donation_id: int | None  # from our metadata
    checkout_url: str
    # A direct debit the bank returned: its reason code (details.bankReasonCode), else "".
    bank_reason_code: str
    # Our payment this one tries again (a returned debit's new attempt), from our metadata.
    retry_of: int | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict) -> "MolliePayment":
        details = data.get("details") if isinstance(data.get("details"), dict) else {}
        try:
            return cls(
                id=data["id"],
                status=_enum(PaymentStatus, data["status"]),
                sequence_type=_enum(SequenceType, data.get("sequenceType") or "oneoff"),
                amount=_amount(data["amount"]),
                amount_refunded=_amount(data.get("amountRefunded")),
                amount_charged_back=_amount(data.get("amountChargedBack")),
                method=data.get("method") or "",
                created_at=_time(data.get("createdAt")),
                paid_at=_time(data.get("paidAt")),
                ended_at=_time(
                    data.get("failedAt") or data.get("canceledAt") or data.get("expiredAt")
                ),
                customer_id=data.get("customerId") or "",
                mandate_id=data.get("mandateId") or "",
                subscription_id=data.get("subscriptionId") or "",
                donation_id=_ours(data.get("metadata"), "donation_id"),
                checkout_url=((data.get("_links") or {}).get("checkout") or {}).get("href") or "",
                bank_reason_code=str(details.get("bankReasonCode") or "")[:8],
                retry_of=_ours(data.get("metadata"), "retry_of"),
                raw=redact(data),
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise UnexpectedProviderAnswer(f"Not a payment as Mollie sends one: {error}") from error


@dataclass(frozen=True)
class MollieSubscription:
    id: str
    status: SubscriptionStatus
    amount: Decimal
    interval: str
    start_date: datetime.date | None
    next_payment_date: datetime.date | None
    canceled_at: datetime.datetime | None
    mandate_id: str
    webhook_url: str
    donation_id: int | None  # from our metadata
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict) -> "MollieSubscription":
        try:
            return cls(
                id=data["id"],
                status=_enum(SubscriptionStatus, data["status"]),
                amount=_amount(data["amount"]),
                interval=data.get("interval") or "",
                start_date=_day(data.get("startDate")),
                next_payment_date=_day(data.get("nextPaymentDate")),
                canceled_at=_time(data.get("canceledAt")),
                mandate_id=data.get("mandateId") or "",
                webhook_url=data.get("webhookUrl") or "",
                donation_id=_ours(data.get("metadata"), "donation_id"),
                raw=data,
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise UnexpectedProviderAnswer(f"Not a subscription: {error}") from error


@dataclass(frozen=True)
class MollieCustomer:
    id: str
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict) -> "MollieCustomer":
        return cls(id=data["id"], raw=data)


@dataclass(frozen=True)
class MollieMandate:
    id: str
    status: str  # "valid", "pending" or "invalid"
    method: str
    reference: str  # our mandate reference
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict) -> "MollieMandate":
        try:
            return cls(
                id=data["id"],
                status=data.get("status") or "",
                method=data.get("method") or "",
                reference=data.get("mandateReference") or "",
                raw=redact(data),
            )
        except (KeyError, TypeError) as error:
            raise UnexpectedProviderAnswer(f"Not a mandate: {error}") from error


@dataclass(frozen=True)
class MollieChargeback:
    id: str
    amount: Decimal
    reason_code: str  # the bank's code (direct debits only), else ""

    @classmethod
    def from_json(cls, data: dict) -> "MollieChargeback":
        reason = data.get("reason") if isinstance(data.get("reason"), dict) else {}
        try:
            return cls(
                id=data["id"],
                amount=_amount(data.get("amount")),
                reason_code=str(reason.get("code") or "")[:8],
            )
        except (KeyError, TypeError) as error:
            raise UnexpectedProviderAnswer(f"Not a chargeback: {error}") from error


@dataclass(frozen=True)
class MollieRefund:
    id: str
    amount: Decimal
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict) -> "MollieRefund":
        return cls(id=data["id"], amount=_amount(data.get("amount")), raw=data)
