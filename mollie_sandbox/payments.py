"""Payments, refunds and chargebacks: creation rules, the status machine and webhook triggers.

Every function here must be called with `store.lock` held and calls `store.changed()` itself
after a successful change. Rule violations raise `ApiError` exactly as Mollie answers them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from . import validation as v
from .errors import ApiError, ControlError, not_found, unprocessable
from .render import payment_totals
from .state import parse_timestamp, timestamp

# Status machine: which statuses a payment may move to from each non-final status.
TRANSITIONS = {
    "open": {"pending", "authorized", "paid", "failed", "canceled", "expired"},
    "pending": {"paid", "failed", "canceled", "expired"},
    "authorized": {"paid", "canceled", "expired"},
}
FINAL = ("paid", "failed", "canceled", "expired")
# Mollie calls the webhook for these statuses only (not for open -> pending).
WEBHOOK_STATUSES = ("authorized", "paid", "failed", "canceled", "expired")
CHECKOUT_OUTCOMES = ("paid", "failed", "canceled", "expired", "open")
PAYMENT_UPDATABLE = (
    "description",
    "redirectUrl",
    "cancelUrl",
    "webhookUrl",
    "metadata",
    "method",
    "locale",
    "restrictPaymentMethodsToCountry",
)
EXPIRY = dt.timedelta(minutes=15)  # iDEAL's expiry period; the sandbox uses it for all methods

_STAMP = {
    "paid": "paidAt",
    "failed": "failedAt",
    "canceled": "canceledAt",
    "expired": "expiredAt",
    "authorized": "authorizedAt",
}


def mandate_method(payment_method: str | None) -> str:
    """Mollie: cards give a creditcard mandate, PayPal a paypal one, nearly all others SEPA."""
    if payment_method in ("creditcard", "paypal"):
        return payment_method
    return "directdebit"


def notify(store, payment: dict, event: str) -> None:
    """Queue a webhook call for `payment` if it has a webhookUrl (Mollie's classic webhook)."""
    url = payment.get("webhookUrl")
    if url and store.webhook_sink is not None:
        store.webhook_sink(url, payment["id"], event)


# A SEPA direct debit is pending this many (sandbox) days before it is paid or fails.
SETTLE_DAYS = 3
# Mollie collects SEPA direct debits under its own creditor identifier (its help centre).
CREDITOR_ID = "NL08ZZZ502057730000"
# The bank's reasons for a returned direct debit that the sandbox can give (the European
# Payments Council's codes; Mollie puts them in details.bankReasonCode and bankReason, and a
# chargeback's in reason.code and reason.description). The descriptions are the sandbox's own.
BANK_REASONS = {
    "AC01": "Account identifier incorrect",
    "AC04": "Account closed",
    "AC06": "Account blocked",
    "AC13": "Debtor account type not allowed",
    "AG01": "Direct debit forbidden on this account",
    "AG02": "Operation not valid for this account",
    "AM04": "Insufficient funds",
    "BE05": "Creditor not recognised",
    "MD01": "No valid mandate",
    "MD02": "Mandate data missing or incorrect",
    "MD06": "Refund requested by the debtor",
    "MD07": "Debtor deceased",
    "MS02": "Refused by the debtor",
    "MS03": "Reason not specified",
    "RC01": "Bank identifier incorrect",
    "SL01": "Specific service offered by the debtor's bank",
}


def check_reason(reason: str | None) -> str | None:
    """A bank reason code the sandbox knows, upper case (None stays None)."""
    if reason in (None, ""):
        return None
    code = str(reason).strip().upper()
    if code not in BANK_REASONS:
        known = ", ".join(sorted(BANK_REASONS))
        raise ControlError(400, f"Unknown bank reason {reason!r}; use one of {known}.")
    return code


def get_payment(store, pid: str) -> dict:
    record = store.payments.get(pid)
    if record is None:
        raise not_found("payment", pid)
    return record


def valid_mandate(store, customer_id: str, mandate_id=None, method=None) -> dict | None:
    """The mandate to charge: the given one if valid and the customer's, else any valid one."""
    if mandate_id is not None:
        found = store.mandates.get(mandate_id)
        if found and found["customerId"] == customer_id and found["status"] == "valid":
            return found
        return None
    for found in store.mandates.values():
        usable = found["customerId"] == customer_id and found["status"] == "valid"
        if usable and method in (None, found["method"]):
            return found
    return None


def create_payment(store, body: dict, customer_id: str | None = None) -> dict:
    """POST /v2/payments (and /v2/customers/{id}/payments, which passes `customer_id`)."""
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    amount = v.parse_amount(body.get("amount"))
    description = v.parse_description(body.get("description"))
    sequence = body.get("sequenceType") or "oneoff"
    if sequence not in v.SEQUENCE_TYPES:
        raise unprocessable("The sequence type is invalid.", "sequenceType")
    redirect = v.parse_url(body.get("redirectUrl"), "redirectUrl", required=sequence != "recurring")
    cancel = v.parse_url(body.get("cancelUrl"), "cancelUrl")
    webhook = v.parse_url(body.get("webhookUrl"), "webhookUrl")
    locale = v.parse_locale(body.get("locale"))
    metadata = v.parse_metadata(body.get("metadata"))
    method = v.parse_method(body.get("method"))
    customer_id = customer_id or body.get("customerId")
    if customer_id is not None and customer_id not in store.customers:
        raise unprocessable("The customer id is invalid.", "customerId")
    if sequence != "oneoff" and customer_id is None:
        raise unprocessable(
            f"A customer id is required for a payment with sequence type {sequence}.",
            "customerId",
        )
    mandate = None
    if sequence == "recurring":
        mandate = valid_mandate(store, customer_id, body.get("mandateId"))
        if mandate is None:
            field = "mandateId" if body.get("mandateId") else None
            raise unprocessable("The customer has no valid mandate for this payment.", field)
        method = mandate["method"]
    now = store.now()
    record = {
        "resource": "payment",
        "id": store.new_id("tr_", store.payments),
        "mode": "test",
        "createdAt": timestamp(now),
        "amount": v.money(amount),
        "description": description,
        "method": method,
        "metadata": metadata,
        "status": "open",
        "isCancelable": _cancelable("open", method),
        "expiresAt": timestamp(now + EXPIRY),
        "profileId": store.profile_id,
        "sequenceType": sequence,
        "redirectUrl": redirect,
        "cancelUrl": cancel,
        "webhookUrl": webhook,
        "locale": locale,
        "customerId": customer_id,
        "mandateId": mandate["id"] if mandate else None,
        "subscriptionId": None,
        "details": None,
    }
    if sequence == "recurring":
        # Recurring charges are submitted in the background and start as pending; a direct
        # debit made this way is collected like a subscription's: paid SETTLE_DAYS later (a
        # test makes it fail with the status control endpoint, with a bank reason).
        record.update(status="pending", expiresAt=None, isCancelable=_cancelable("pending", method))
        if method == "directdebit":
            record["details"] = _debit_details(store, record)
            settle_on = store.today() + dt.timedelta(days=SETTLE_DAYS)
            record["_settleOn"], record["_settleTo"] = settle_on.isoformat(), "paid"
    store.payments[record["id"]] = record
    store.changed()
    return record


def _cancelable(status: str, method) -> bool:
    """Mollie lets a payment be canceled only while the method allows it: a bank transfer that
    is still open, a direct debit that is still pending, an authorization not yet captured.
    An open iDEAL or card payment cannot be."""
    if status == "open":
        return method == "banktransfer"
    if status == "authorized":
        return True
    return status == "pending" and method == "directdebit"


def update_payment(store, pid: str, body: dict) -> dict:
    """PATCH /v2/payments/{id}: only open payments; no webhook (Mollie sends none)."""
    record = get_payment(store, pid)
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    if record["status"] != "open":
        raise unprocessable(f"The payment cannot be updated because it is {record['status']}.")
    changes = {}
    for key in PAYMENT_UPDATABLE:
        if key not in body:
            continue
        raw = body[key]
        if key == "description":
            changes[key] = v.parse_description(raw)
        elif key in ("redirectUrl", "cancelUrl", "webhookUrl"):
            required = key == "redirectUrl" and record["sequenceType"] != "recurring"
            changes[key] = v.parse_url(raw, key, required=required)
        elif key == "metadata":
            changes[key] = v.parse_metadata(raw)
        elif key == "method":
            changes[key] = v.parse_method(raw)
        elif key == "locale":
            changes[key] = v.parse_locale(raw)
        else:
            changes[key] = raw
    record.update(changes)
    record["isCancelable"] = _cancelable(record["status"], record["method"])
    store.changed()
    return record


def _details(method: str) -> dict | None:
    if method == "creditcard":
        return {
            "cardHolder": "T. TEST",
            "cardNumber": "6787",
            "cardLabel": "Mastercard",
            "cardCountryCode": "NL",
            "cardSecurity": "normal",
        }
    if method == "paypal":
        return {"consumerName": "T. TEST", "consumerAccount": "test@example.org"}
    if method in ("ideal", "directdebit", "bancontact", "banktransfer", "belfius", "kbc", "eps"):
        return {
            "consumerName": "T. TEST",
            "consumerAccount": "NL55INGB0000000000",
            "consumerBic": "INGBNL2A",
        }
    return None


def _debit_details(store, payment: dict) -> dict:
    """A direct debit's details: the mandate's account, Mollie as the creditor, the day it is
    collected."""
    mandate = store.mandates.get(payment.get("mandateId") or "") or {}
    account = dict(mandate.get("details") or _details("directdebit"))
    return {
        "consumerName": account.get("consumerName"),
        "consumerAccount": account.get("consumerAccount"),
        "consumerBic": account.get("consumerBic"),
        "creditorIdentifier": CREDITOR_ID,
        "dueDate": (store.today() + dt.timedelta(days=1)).isoformat(),
        "signatureDate": mandate.get("signatureDate"),
        "transferReference": f"SD{payment['id'][3:]}",
    }


def _create_mandate(store, payment: dict) -> dict:
    method = mandate_method(payment["method"])
    details = _details(method) or {}
    if method == "creditcard":
        details = {k: details[k] for k in ("cardHolder", "cardNumber", "cardLabel")}
        details["cardExpiryDate"] = f"{store.today().year + 3}-12-31"
    elif method == "directdebit":
        details = {k: details[k] for k in ("consumerName", "consumerAccount", "consumerBic")}
    record = {
        "resource": "mandate",
        "id": store.new_id("mdt_", store.mandates),
        "mode": "test",
        "status": "valid",
        "method": method,
        "details": details,
        "mandateReference": None,
        "signatureDate": store.today().isoformat(),
        "customerId": payment["customerId"],
        "createdAt": store.now_iso(),
    }
    store.mandates[record["id"]] = record
    return record


def transition(
    store, payment: dict, status: str, method: str | None = None, reason: str | None = None
) -> dict:
    """Move a payment to `status`, with Mollie's side effects.

    Sets the matching timestamp, drops `expiresAt`/`isCancelable` once final, fills `details`,
    creates a valid mandate when a `first` payment is paid, and queues the webhook for the
    statuses Mollie reports. A direct debit that fails gets the bank's `reason` (a code of
    BANK_REASONS, or the one given when it was charged) in its details. A no-op when the
    payment already has that status.
    Raises ControlError(409) for a change Mollie never makes (e.g. paid -> failed).
    """
    current = payment["status"]
    if status == current:
        return payment
    if status not in TRANSITIONS.get(current, ()):
        raise ControlError(409, f"Payment {payment['id']} cannot go from {current} to {status}.")
    if method is not None:
        if method not in v.PAYMENT_METHODS:
            raise ControlError(400, f"Unknown payment method {method!r}.")
        payment["method"] = method
    elif isinstance(payment["method"], list):
        payment["method"] = payment["method"][0]
    if payment["method"] is None and status in ("paid", "pending", "authorized"):
        payment["method"] = "ideal"
    payment["status"] = status
    if status in _STAMP:
        payment[_STAMP[status]] = store.now_iso()
    if status in FINAL:
        payment["expiresAt"] = None
        payment["isCancelable"] = None
    else:
        payment["isCancelable"] = _cancelable(status, payment["method"])
    debit = payment["method"] == "directdebit" and payment["sequenceType"] == "recurring"
    if debit:
        payment["details"] = _debit_details(store, payment)
        reason = reason or payment.get("_reason")
        if status == "failed" and reason:
            payment["details"]["bankReasonCode"] = reason
            payment["details"]["bankReason"] = BANK_REASONS[reason]
    if status == "paid":
        if not debit:
            payment["details"] = _details(payment["method"])
        payment["settlementAmount"] = dict(payment["amount"])
        if payment["sequenceType"] == "first" and payment["customerId"]:
            payment["mandateId"] = _create_mandate(store, payment)["id"]
    if status in WEBHOOK_STATUSES:
        notify(store, payment, f"payment.{status}")
    store.changed()
    return payment


def cancel_payment(store, pid: str) -> dict:
    """DELETE /v2/payments/{id}: cancel while `isCancelable`, else 422."""
    record = get_payment(store, pid)
    if not record.get("isCancelable"):
        raise unprocessable(f"The payment cannot be canceled because it is {record['status']}.")
    return transition(store, record, "canceled")


def checkout(store, pid: str, status: str, method: str | None = None) -> str:
    """Apply the outcome picked on the test checkout page and return where to send the person.

    `status` is one of CHECKOUT_OUTCOMES ("open" leaves the payment open). A payment that is no
    longer open is left alone (as on Mollie's hosted page). Returns the redirectUrl, or the
    cancelUrl when the person canceled and the payment has one.
    """
    record = store.payments.get(pid)
    if record is None:
        raise ControlError(404, f"No payment {pid}.")
    if status not in CHECKOUT_OUTCOMES:
        raise ControlError(400, f"Unknown outcome {status!r}.")
    if record["sequenceType"] == "recurring":
        raise ControlError(409, "Recurring payments have no checkout.")
    if record["status"] == "open" and status != "open":
        transition(store, record, status, method)
    if status == "canceled" and record.get("cancelUrl"):
        return record["cancelUrl"]
    return record["redirectUrl"]


def expire_due(store) -> list[str]:
    """Expire open payments whose `expiresAt` has passed on the sandbox clock."""
    now, expired = store.now(), []
    for record in list(store.payments.values()):
        due = record.get("expiresAt")
        if record["status"] == "open" and due and parse_timestamp(due) <= now:
            transition(store, record, "expired")
            expired.append(record["id"])
    return expired


def create_refund(store, pid: str, body: dict) -> dict:
    """POST /v2/payments/{id}/refunds. Only paid payments; at most the remaining amount.

    The refund is answered as `pending` and then settled at once (status `refunded`, webhook),
    the sandbox's stand-in for Mollie processing it in a later batch.
    """
    record = get_payment(store, pid)
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    if record["status"] != "paid":
        raise unprocessable(f"The payment is {record['status']} and cannot be refunded.")
    amount = v.parse_amount(body.get("amount"))
    _, _, remaining = payment_totals(store, record)
    if amount > remaining:
        raise unprocessable(
            f"The amount is higher than the amount remaining ({remaining:.2f}).", "amount"
        )
    description = body.get("description") or ""
    if not isinstance(description, str):
        raise unprocessable("The description is invalid.", "description")
    refund = {
        "resource": "refund",
        "id": store.new_id("re_", store.refunds),
        "mode": "test",
        "description": description[: v.DESCRIPTION_MAX],
        "amount": v.money(amount),
        "settlementAmount": v.money(-amount),
        "metadata": v.parse_metadata(body.get("metadata")),
        "paymentId": pid,
        "status": "pending",
        "createdAt": store.now_iso(),
    }
    store.refunds[refund["id"]] = refund
    store.changed()
    return refund


def settle_refund(store, refund: dict) -> None:
    if refund["status"] in ("queued", "pending", "processing"):
        refund["status"] = "refunded"
        notify(store, store.payments[refund["paymentId"]], "refund.refunded")
        store.changed()


def get_refund(store, pid: str, rid: str) -> dict:
    get_payment(store, pid)
    refund = store.refunds.get(rid)
    if refund is None or refund["paymentId"] != pid:
        raise not_found("refund", rid)
    return refund


def cancel_refund(store, pid: str, rid: str) -> None:
    """DELETE a refund: Mollie allows it only while queued or pending."""
    refund = get_refund(store, pid, rid)
    if refund["status"] not in ("queued", "pending"):
        raise unprocessable(f"The refund is {refund['status']} and cannot be canceled.")
    refund["status"] = "canceled"
    store.changed()


def create_chargeback(
    store, pid: str, amount: str | None = None, reason: str | None = None
) -> dict:
    """Record a chargeback on a paid payment (control endpoint) and queue the webhook.

    `amount` defaults to everything not yet charged back. A direct debit's chargeback has the
    bank's reason (`reason`, default MD06: the account holder asked for the money back); other
    methods' have none, as on Mollie. Raises ControlError when the payment is unknown or not
    paid, or the amount is invalid or too high.
    """
    record = store.payments.get(pid)
    if record is None:
        raise ControlError(404, f"No payment {pid}.")
    if record["status"] != "paid":
        raise ControlError(409, f"Payment {pid} is {record['status']}, not paid.")
    _, charged_back, _ = payment_totals(store, record)
    available = Decimal(record["amount"]["value"]) - charged_back
    try:
        value = available if amount in (None, "") else Decimal(str(amount))
    except ArithmeticError:
        raise ControlError(400, f"Invalid amount {amount!r}.") from None
    if value <= 0 or value > available or value != value.quantize(Decimal("0.01")):
        raise ControlError(400, f"The chargeback amount must be 0.01 to {available:.2f}.")
    chargeback = {
        "resource": "chargeback",
        "id": store.new_id("chb_", store.chargebacks),
        "amount": v.money(value),
        "settlementAmount": v.money(-value),
        "createdAt": store.now_iso(),
        "reason": _chargeback_reason(record, check_reason(reason)),
        "reversedAt": None,
        "paymentId": pid,
    }
    store.chargebacks[chargeback["id"]] = chargeback
    notify(store, record, "chargeback.received")
    store.changed()
    return chargeback


def get_chargeback(store, pid: str, cid: str) -> dict:
    get_payment(store, pid)
    found = store.chargebacks.get(cid)
    if found is None or found["paymentId"] != pid:
        raise not_found("chargeback", cid)
    return found


def _chargeback_reason(payment: dict, code: str | None) -> dict | None:
    if payment["method"] != "directdebit":
        return None
    code = code or "MD06"
    return {"code": code, "description": BANK_REASONS[code]}
