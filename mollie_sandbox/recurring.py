"""Customers, mandates, subscriptions, subscription charges and the sandbox clock.

Call every function with `store.lock` held. Rule violations raise `ApiError` as Mollie answers
them; refused control actions raise `ControlError`.

Subscription schedule: charge dates are computed from an anchor date (the start date, or the
last charge date after an interval change, as Mollie documents) so monthly dates do not drift
(Jan 31 -> Feb 28 -> Mar 31).
"""

from __future__ import annotations

import datetime as dt

from . import validation as v
from .errors import ApiError, ControlError, not_found, unprocessable
from .payments import SETTLE_DAYS as SANDBOX_SETTLE_DAYS
from .payments import (
    check_reason,
    create_payment,
    expire_due,
    notify,
    transition,
    valid_mandate,
)

TEST_MODE_MAX_CHARGES = 10  # "Test mode subscriptions will get canceled automatically after 10"
ACTIVE = ("active", "pending", "suspended")
CHARGE_OUTCOMES = ("paid", "failed", "pending")
SETTLE_OUTCOMES = ("paid", "failed")
# How long a direct debit stays pending before it settles, by default (SEPA takes days).
SETTLE_DAYS = SANDBOX_SETTLE_DAYS


def _body(body) -> dict:
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


# -- customers ------------------------------------------------------------------------------


def _customer_fields(body: dict) -> dict:
    fields = {}
    for key in ("name", "email"):
        if key in body:
            if body[key] is not None and not isinstance(body[key], str):
                raise unprocessable(f"The {key} is invalid.", key)
            fields[key] = body[key] or None
    if fields.get("email") and "@" not in fields["email"]:
        raise unprocessable("The email address is invalid.", "email")
    if "locale" in body:
        fields["locale"] = v.parse_locale(body["locale"])
    if "metadata" in body:
        fields["metadata"] = v.parse_metadata(body["metadata"])
    return fields


def create_customer(store, body: dict) -> dict:
    record = {
        "resource": "customer",
        "id": store.new_id("cst_", store.customers),
        "mode": "test",
        "name": None,
        "email": None,
        "locale": None,
        "metadata": None,
        "createdAt": store.now_iso(),
    }
    record.update(_customer_fields(_body(body)))
    store.customers[record["id"]] = record
    store.changed()
    return record


def get_customer(store, cid: str) -> dict:
    record = store.customers.get(cid)
    if record is None:
        raise not_found("customer", cid)
    return record


def update_customer(store, cid: str, body: dict) -> dict:
    record = get_customer(store, cid)
    record.update(_customer_fields(_body(body)))
    store.changed()
    return record


def delete_customer(store, cid: str) -> None:
    """Mollie: deleting a customer cancels its subscriptions and mandates as well."""
    get_customer(store, cid)
    for sub in store.subscriptions.values():
        if sub["customerId"] == cid and sub["status"] in ACTIVE:
            _stop(store, sub, "canceled")
    for mandate in store.mandates.values():
        if mandate["customerId"] == cid:
            mandate["status"] = "invalid"
    del store.customers[cid]
    store.changed()


# -- mandates -------------------------------------------------------------------------------


def get_mandate(store, cid: str, mid: str) -> dict:
    get_customer(store, cid)
    record = store.mandates.get(mid)
    if record is None or record["customerId"] != cid:
        raise not_found("mandate", mid)
    return record


def create_mandate(store, cid: str, body: dict) -> dict:
    """POST /v2/customers/{id}/mandates: SEPA Direct Debit only in the sandbox.

    `consumerName` is required and `consumerAccount` must be a valid IBAN of the SEPA area
    (422 with field consumerAccount otherwise); `signatureDate` (YYYY-MM-DD, not in the
    future) defaults to today; `mandateReference` is kept as given. The mandate is valid at
    once, as Mollie's documented examples show.
    """
    get_customer(store, cid)
    body = _body(body)
    if body.get("method") != "directdebit":
        raise unprocessable("The sandbox creates directdebit mandates only.", "method")
    name = body.get("consumerName")
    if not isinstance(name, str) or not name.strip():
        raise unprocessable("The 'consumerName' field is missing.", "consumerName")
    account = v.parse_iban(body.get("consumerAccount"), "consumerAccount")
    signed = store.today()
    if body.get("signatureDate"):
        signed = v.parse_date(body["signatureDate"], "signatureDate")
        if signed > store.today():
            raise unprocessable("The signature date cannot be in the future.", "signatureDate")
    reference = body.get("mandateReference")
    if reference is not None and (not isinstance(reference, str) or len(reference) > 35):
        raise unprocessable("The mandate reference is invalid.", "mandateReference")
    record = {
        "resource": "mandate",
        "id": store.new_id("mdt_", store.mandates),
        "mode": "test",
        "status": "valid",
        "method": "directdebit",
        "details": {
            "consumerName": name.strip(),
            "consumerAccount": account,
            "consumerBic": body.get("consumerBic"),
        },
        "mandateReference": reference,
        "signatureDate": signed.isoformat(),
        "customerId": cid,
        "createdAt": store.now_iso(),
    }
    store.mandates[record["id"]] = record
    store.changed()
    return record


def invalidate_mandate(store, mid: str) -> dict:
    """A mandate stops working without anyone revoking it (a card expires, an account closes).

    Subscriptions that rely on it stay active until their next charge falls due; then Mollie
    finds no valid mandate and suspends them (see `advance_clock`).
    """
    mandate = store.mandates.get(mid)
    if mandate is None:
        raise ControlError(404, f"No mandate {mid}.")
    mandate["status"] = "invalid"
    store.changed()
    return mandate


def revoke_mandate(store, cid: str, mid: str) -> None:
    """DELETE a mandate: it becomes invalid and subscriptions that relied on it are canceled."""
    mandate = get_mandate(store, cid, mid)
    mandate["status"] = "invalid"
    for sub in store.subscriptions.values():
        if sub["customerId"] == cid and sub["status"] in ACTIVE:
            pinned = sub.get("mandateId") == mid
            if pinned or valid_mandate(store, cid, None, sub.get("method")) is None:
                _stop(store, sub, "canceled")
    store.changed()


# -- subscriptions --------------------------------------------------------------------------


def get_subscription(store, cid: str, sid: str) -> dict:
    get_customer(store, cid)
    record = store.subscriptions.get(sid)
    if record is None or record["customerId"] != cid:
        raise not_found("subscription", sid)
    return record


def _check_description(store, cid: str, description: str, own_id: str | None = None) -> None:
    for sub in store.subscriptions.values():
        if (
            sub["customerId"] == cid
            and sub["id"] != own_id
            and sub["status"] in ACTIVE
            and sub["description"] == description
        ):
            raise unprocessable(
                "A subscription with the same description already exists for this customer.",
                "description",
            )


def _check_mandate(store, cid: str, mandate_id, method) -> None:
    if valid_mandate(store, cid, mandate_id, method) is None:
        field = "mandateId" if mandate_id else None
        raise unprocessable("The customer has no valid mandate for this subscription.", field)


def create_subscription(store, cid: str, body: dict) -> dict:
    """POST /v2/customers/{id}/subscriptions; needs a valid mandate, unique description."""
    get_customer(store, cid)
    body = _body(body)
    amount = v.parse_amount(body.get("amount"))
    interval = v.parse_interval(body.get("interval"))
    description = v.parse_description(body.get("description"))
    times = v.parse_times(body.get("times"))
    start = body.get("startDate")
    start = v.parse_date(start, "startDate") if start is not None else store.today()
    if start < store.today():
        raise unprocessable("The start date cannot be in the past.", "startDate")
    method = body.get("method")
    if method is not None and method not in v.MANDATE_METHODS:
        raise unprocessable("The payment method is invalid.", "method")
    mandate_id = body.get("mandateId")
    if method and mandate_id:
        raise unprocessable("Use either method or mandateId, not both.", "mandateId")
    webhook = v.parse_url(body.get("webhookUrl"), "webhookUrl")
    metadata = v.parse_metadata(body.get("metadata"))
    _check_description(store, cid, description)
    _check_mandate(store, cid, mandate_id, method)
    record = {
        "resource": "subscription",
        "id": store.new_id("sub_", store.subscriptions),
        "mode": "test",
        "createdAt": store.now_iso(),
        "status": "active",
        "amount": v.money(amount),
        "times": times,
        "timesRemaining": times,
        "interval": interval,
        "startDate": start.isoformat(),
        "nextPaymentDate": start.isoformat(),
        "description": description,
        "method": method,
        "mandateId": mandate_id,
        "webhookUrl": webhook,
        "metadata": metadata,
        "customerId": cid,
        "canceledAt": None,
        "_anchor": start.isoformat(),
        "_sinceAnchor": 0,
        "_charged": 0,
        "_lastChargeDate": None,
    }
    store.subscriptions[record["id"]] = record
    store.changed()
    return record


def update_subscription(store, cid: str, sid: str, body: dict) -> dict:
    """PATCH a subscription with the limits Mollie documents.

    Canceled subscriptions cannot be updated; `times` cannot drop below the charges made;
    `startDate` must be in the future and cannot change once charged; a new `interval` counts
    from the last charge date; setting `mandateId` resets `method` to null.
    """
    record = get_subscription(store, cid, sid)
    body = _body(body)
    if record["status"] == "canceled":
        raise unprocessable("Canceled subscriptions cannot be updated.")
    changes: dict = {}
    if "amount" in body:
        changes["amount"] = v.money(v.parse_amount(body["amount"]))
    if "description" in body:
        changes["description"] = v.parse_description(body["description"])
        _check_description(store, cid, changes["description"], sid)
    if "times" in body:
        times = v.parse_times(body["times"])
        if times is not None and times < record["_charged"]:
            raise unprocessable(
                "The times cannot be less than the number of charges already made.", "times"
            )
        changes["times"] = times
        changes["timesRemaining"] = None if times is None else times - record["_charged"]
    if "startDate" in body:
        start = v.parse_date(body["startDate"], "startDate")
        if record["_charged"]:
            raise unprocessable("The start date cannot change after a charge.", "startDate")
        if start <= store.today():
            raise unprocessable("The start date must be in the future.", "startDate")
        changes.update(startDate=start.isoformat(), _anchor=start.isoformat(), _sinceAnchor=0)
    if "interval" in body:
        changes["interval"] = v.parse_interval(body["interval"])
        if record["_lastChargeDate"]:
            changes.update(_anchor=record["_lastChargeDate"], _sinceAnchor=1)
    if "webhookUrl" in body:
        changes["webhookUrl"] = v.parse_url(body["webhookUrl"], "webhookUrl")
    if "metadata" in body:
        changes["metadata"] = v.parse_metadata(body["metadata"])
    if "mandateId" in body:
        _check_mandate(store, cid, body["mandateId"], None)
        changes.update(mandateId=body["mandateId"], method=None)
    record.update(changes)
    if record["status"] in ACTIVE:
        _schedule(record)
    store.changed()
    return record


def _schedule(record: dict) -> None:
    anchor = dt.date.fromisoformat(record["_anchor"])
    next_date = v.add_interval(anchor, record["interval"], record["_sinceAnchor"])
    record["nextPaymentDate"] = next_date.isoformat()
    if record["times"] is not None and record["_charged"] >= record["times"]:
        _stop(None, record, "completed")


def _stop(store, sub: dict, status: str) -> None:
    sub["status"] = status
    sub["nextPaymentDate"] = None
    if status == "canceled":
        sub["canceledAt"] = store.now_iso()


def cancel_subscription(store, cid: str, sid: str) -> dict:
    """DELETE a subscription: status canceled; 422 when already canceled or completed."""
    record = get_subscription(store, cid, sid)
    if record["status"] in ("canceled", "completed"):
        raise unprocessable(f"The subscription has been {record['status']}.")
    _stop(store, record, "canceled")
    store.changed()
    return record


def _check_outcomes(outcome: str, settle: str | None) -> None:
    if outcome not in CHARGE_OUTCOMES:
        raise ControlError(400, f"Unknown outcome {outcome!r}; use paid, failed or pending.")
    if settle is not None and (outcome != "pending" or settle not in SETTLE_OUTCOMES):
        raise ControlError(400, "settle (paid or failed) goes with the outcome pending.")


def charge_subscription(
    store,
    sid: str,
    outcome: str = "paid",
    settle: str | None = None,
    settle_days: int = SETTLE_DAYS,
    reason: str | None = None,
) -> dict:
    """Create the subscription's next recurring payment now, with status `outcome`.

    With `settle` ("paid" or "failed"; outcome "pending"), the payment stays pending for
    `settle_days` sandbox days and then becomes `settle` when the clock passes that day, as a
    SEPA direct debit does. A direct debit that fails gets the bank's `reason` (a code of
    payments.BANK_REASONS) in its details.

    The payment copies amount, description, metadata and webhookUrl from the subscription and
    uses its mandate. Advances nextPaymentDate and timesRemaining; completes the subscription
    after `times` charges, and cancels it after 10 charges as Mollie does in test mode.
    Raises ControlError when the subscription is unknown, not active or has no valid mandate.
    """
    sub = store.subscriptions.get(sid)
    if sub is None:
        raise ControlError(404, f"No subscription {sid}.")
    _check_outcomes(outcome, settle)
    if sub["status"] != "active":
        raise ControlError(409, f"Subscription {sid} is {sub['status']} and is not charged.")
    cid = sub["customerId"]
    mandate = valid_mandate(store, cid, sub.get("mandateId"), sub.get("method"))
    if mandate is None:
        raise ControlError(409, f"Subscription {sid} has no valid mandate to charge.")
    charge_date = sub["nextPaymentDate"]
    if charge_date is None or charge_date > store.today().isoformat():
        charge_date = store.today().isoformat()  # charged ahead of its day, by request
    body = {
        "amount": sub["amount"],
        "description": sub["description"],
        "sequenceType": "recurring",
        "mandateId": mandate["id"],
        "metadata": sub["metadata"],
        "webhookUrl": sub["webhookUrl"],
    }
    payment = create_payment(store, body, cid)
    payment.pop("_settleOn", None)  # settled below, as the caller asked
    payment.pop("_settleTo", None)
    payment["subscriptionId"] = sid
    payment["_reason"] = check_reason(reason)
    sub["_charged"] += 1
    sub["_sinceAnchor"] += 1
    sub["_lastChargeDate"] = charge_date
    if sub["times"] is not None:
        sub["timesRemaining"] = sub["times"] - sub["_charged"]
    _schedule(sub)
    if sub["status"] == "active" and sub["_charged"] >= TEST_MODE_MAX_CHARGES:
        _stop(store, sub, "canceled")
    if outcome != "pending" and mandate["method"] == "directdebit":
        # A SEPA direct debit is pending for days, then paid or failed (as on Mollie).
        outcome, settle = "pending", outcome
    if outcome != "pending":
        transition(store, payment, outcome)
    elif settle is not None:
        transition(store, payment, "pending")
        charged_on = dt.date.fromisoformat(charge_date)
        payment["_settleOn"] = (charged_on + dt.timedelta(days=int(settle_days))).isoformat()
        payment["_settleTo"] = settle
    store.changed()
    return payment


def settle_due(store) -> list[str]:
    """Pending charges whose settle day has come become paid or failed (with their webhook)."""
    today = store.today().isoformat()
    settled = []
    for payment in store.payments.values():
        if payment.get("_settleOn") and payment["_settleOn"] <= today:
            if payment["status"] == "pending":
                transition(store, payment, payment["_settleTo"])
                settled.append(payment["id"])
            del payment["_settleOn"], payment["_settleTo"]
    return settled


def advance_clock(
    store,
    days: int = 0,
    months: int = 0,
    to=None,
    outcome="paid",
    settle: str | None = None,
    settle_days: int = SETTLE_DAYS,
    reason: str | None = None,
) -> dict:
    """Move the sandbox's today forward, then run what falls due.

    Settles pending charges whose day has come, charges every active subscription as often as
    its nextPaymentDate has come (with status `outcome`, and `settle` as in
    `charge_subscription`), expires open payments past their expiresAt, and settles pending
    refunds.
    Moving the clock backwards is refused (ControlError 400).
    """
    today = store.today()
    if to is not None:
        try:
            target = dt.date.fromisoformat(str(to))
        except ValueError:
            raise ControlError(400, f"Invalid date {to!r}; use YYYY-MM-DD.") from None
    else:
        target = v.add_months(today, int(months)) + dt.timedelta(days=int(days))
    if target < today:
        raise ControlError(400, "The sandbox clock cannot go backwards.")
    _check_outcomes(outcome, settle)
    store.clock_offset += dt.timedelta(days=(target - today).days)
    settled = settle_due(store)
    charged = []
    for sub in list(store.subscriptions.values()):
        while sub["status"] == "active" and sub["nextPaymentDate"] <= target.isoformat():
            if valid_mandate(store, sub["customerId"], sub.get("mandateId"), sub["method"]):
                charge = charge_subscription(store, sub["id"], outcome, settle, settle_days, reason)
                charged.append(charge["id"])
            else:
                sub["status"] = "suspended"  # no usable mandate left; Mollie stops charging
    settled += settle_due(store)  # debits charged on the way that have settled by now
    expired = expire_due(store)
    for refund in store.refunds.values():
        if refund["status"] in ("queued", "pending", "processing"):
            refund["status"] = "refunded"
            notify(store, store.payments[refund["paymentId"]], "refund.refunded")
    store.changed()
    return {
        "today": store.today().isoformat(),
        "charged": charged,
        "settled": settled,
        "expired": expired,
    }
