"""The Mollie v2 REST endpoints: routing from (method, path) to the rules in `payments` and
`recurring`, and rendering of the answers.

`dispatch()` runs one request under the store lock and returns `(status, body)`; `body` is None
for 204. Authentication and idempotency are handled by the server before this is called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import payments as pay
from . import recurring as rec
from . import render
from .errors import ApiError, ControlError


@dataclass
class Call:
    """One API request as the handlers see it."""

    store: object
    base: str
    method: str
    path: str
    query: dict = field(default_factory=dict)
    body: object = None


def _payment(call, record):
    return render.payment(call.store, call.base, record)


def _list(call, name, records, renderer, docs):
    return render.page(call.store, call.base, call.path, name, records, call.query, renderer, docs)


# -- payments -------------------------------------------------------------------------------


def payments_create(call):
    return 201, _payment(call, pay.create_payment(call.store, call.body))


def payments_list(call):
    records = list(call.store.payments.values())
    return 200, _list(call, "payments", records, render.payment, "list-payments")


def payments_get(call, pid):
    return 200, _payment(call, pay.get_payment(call.store, pid))


def payments_update(call, pid):
    return 200, _payment(call, pay.update_payment(call.store, pid, call.body))


def payments_cancel(call, pid):
    return 200, _payment(call, pay.cancel_payment(call.store, pid))


def refunds_create(call, pid):
    refund = pay.create_refund(call.store, pid, call.body)
    answer = render.refund(call.store, call.base, refund)
    pay.settle_refund(call.store, refund)
    return 201, answer


def refunds_list(call, pid):
    pay.get_payment(call.store, pid)
    records = [r for r in call.store.refunds.values() if r["paymentId"] == pid]
    return 200, _list(call, "refunds", records, render.refund, "list-refunds")


def refunds_get(call, pid, rid):
    return 200, render.refund(call.store, call.base, pay.get_refund(call.store, pid, rid))


def refunds_cancel(call, pid, rid):
    pay.cancel_refund(call.store, pid, rid)
    return 204, None


def refunds_all(call):
    records = list(call.store.refunds.values())
    return 200, _list(call, "refunds", records, render.refund, "list-all-refunds")


def chargebacks_list(call, pid):
    pay.get_payment(call.store, pid)
    records = [c for c in call.store.chargebacks.values() if c["paymentId"] == pid]
    return 200, _list(call, "chargebacks", records, render.chargeback, "list-chargebacks")


def chargebacks_get(call, pid, cid):
    found = pay.get_chargeback(call.store, pid, cid)
    return 200, render.chargeback(call.store, call.base, found)


def chargebacks_all(call):
    records = list(call.store.chargebacks.values())
    return 200, _list(call, "chargebacks", records, render.chargeback, "list-all-chargebacks")


# -- customers and mandates -----------------------------------------------------------------


def customers_create(call):
    return 201, render.customer(call.store, call.base, rec.create_customer(call.store, call.body))


def customers_list(call):
    records = list(call.store.customers.values())
    return 200, _list(call, "customers", records, render.customer, "list-customers")


def customers_get(call, cid):
    return 200, render.customer(call.store, call.base, rec.get_customer(call.store, cid))


def customers_update(call, cid):
    record = rec.update_customer(call.store, cid, call.body)
    return 200, render.customer(call.store, call.base, record)


def customers_delete(call, cid):
    rec.delete_customer(call.store, cid)
    return 204, None


def customer_payments_create(call, cid):
    rec.get_customer(call.store, cid)
    return 201, _payment(call, pay.create_payment(call.store, call.body, cid))


def customer_payments_list(call, cid):
    rec.get_customer(call.store, cid)
    records = [p for p in call.store.payments.values() if p.get("customerId") == cid]
    return 200, _list(call, "payments", records, render.payment, "list-customer-payments")


def mandates_list(call, cid):
    rec.get_customer(call.store, cid)
    records = [m for m in call.store.mandates.values() if m["customerId"] == cid]
    return 200, _list(call, "mandates", records, render.mandate, "list-mandates")


def mandates_create(call, cid):
    record = rec.create_mandate(call.store, cid, call.body)
    return 201, render.mandate(call.store, call.base, record)


def mandates_get(call, cid, mid):
    return 200, render.mandate(call.store, call.base, rec.get_mandate(call.store, cid, mid))


def mandates_revoke(call, cid, mid):
    rec.revoke_mandate(call.store, cid, mid)
    return 204, None


# -- subscriptions --------------------------------------------------------------------------


def _sub(call, record):
    return render.subscription(call.store, call.base, record)


def subscriptions_create(call, cid):
    return 201, _sub(call, rec.create_subscription(call.store, cid, call.body))


def subscriptions_list(call, cid):
    rec.get_customer(call.store, cid)
    records = [s for s in call.store.subscriptions.values() if s["customerId"] == cid]
    return 200, _list(call, "subscriptions", records, render.subscription, "list-subscriptions")


def subscriptions_get(call, cid, sid):
    return 200, _sub(call, rec.get_subscription(call.store, cid, sid))


def subscriptions_update(call, cid, sid):
    return 200, _sub(call, rec.update_subscription(call.store, cid, sid, call.body))


def subscriptions_cancel(call, cid, sid):
    return 200, _sub(call, rec.cancel_subscription(call.store, cid, sid))


def subscription_payments(call, cid, sid):
    rec.get_subscription(call.store, cid, sid)
    records = [p for p in call.store.payments.values() if p.get("subscriptionId") == sid]
    docs = "list-subscription-payments"
    return 200, _list(call, "payments", records, render.payment, docs)


def subscriptions_all(call):
    records = list(call.store.subscriptions.values())
    docs = "list-all-subscriptions"
    return 200, _list(call, "subscriptions", records, render.subscription, docs)


def profiles_get(call, pid):
    """Just enough of a profile for `subscription.get_profile()`."""
    store = call.store
    if pid not in (store.profile_id, "me"):
        raise ApiError(404, f"No profile exists with token {pid}.")
    return 200, {
        "resource": "profile",
        "id": store.profile_id,
        "mode": "test",
        "name": "Mollie sandbox",
        "website": call.base,
        "email": "sandbox@example.org",
        "status": "verified",
        "createdAt": store.now_iso(),
        "_links": {
            "self": render.link(f"{call.base}/v2/profiles/{store.profile_id}"),
            "documentation": render.doc("get-profile"),
        },
    }


_ID = r"([A-Za-z0-9_]+)"
_ROUTES = [
    (r"/v2/payments", {"POST": payments_create, "GET": payments_list}),
    (
        rf"/v2/payments/{_ID}",
        {"GET": payments_get, "PATCH": payments_update, "DELETE": payments_cancel},
    ),
    (rf"/v2/payments/{_ID}/refunds", {"POST": refunds_create, "GET": refunds_list}),
    (rf"/v2/payments/{_ID}/refunds/{_ID}", {"GET": refunds_get, "DELETE": refunds_cancel}),
    (rf"/v2/payments/{_ID}/chargebacks", {"GET": chargebacks_list}),
    (rf"/v2/payments/{_ID}/chargebacks/{_ID}", {"GET": chargebacks_get}),
    (r"/v2/refunds", {"GET": refunds_all}),
    (r"/v2/chargebacks", {"GET": chargebacks_all}),
    (r"/v2/customers", {"POST": customers_create, "GET": customers_list}),
    (
        rf"/v2/customers/{_ID}",
        {"GET": customers_get, "PATCH": customers_update, "DELETE": customers_delete},
    ),
    (
        rf"/v2/customers/{_ID}/payments",
        {"POST": customer_payments_create, "GET": customer_payments_list},
    ),
    (rf"/v2/customers/{_ID}/mandates", {"GET": mandates_list, "POST": mandates_create}),
    (rf"/v2/customers/{_ID}/mandates/{_ID}", {"GET": mandates_get, "DELETE": mandates_revoke}),
    (
        rf"/v2/customers/{_ID}/subscriptions",
        {"POST": subscriptions_create, "GET": subscriptions_list},
    ),
    (
        rf"/v2/customers/{_ID}/subscriptions/{_ID}",
        {"GET": subscriptions_get, "PATCH": subscriptions_update, "DELETE": subscriptions_cancel},
    ),
    (rf"/v2/customers/{_ID}/subscriptions/{_ID}/payments", {"GET": subscription_payments}),
    (r"/v2/subscriptions", {"GET": subscriptions_all}),
    (rf"/v2/profiles/{_ID}", {"GET": profiles_get}),
]
_COMPILED = [(re.compile(pattern + r"/?"), methods) for pattern, methods in _ROUTES]


def allowed_methods(path: str) -> list[str] | None:
    """The methods an API path answers (None: no such resource)."""
    for pattern, methods in _COMPILED:
        if pattern.fullmatch(path):
            return sorted(methods)
    return None


def dispatch(call: Call) -> tuple[int, dict | None]:
    """Run one API call; `ApiError` becomes Mollie's error body with its status."""
    for pattern, methods in _COMPILED:
        match = pattern.fullmatch(call.path)
        if not match:
            continue
        handler = methods.get(call.method)
        if handler is None:
            error = ApiError(405, f"The method {call.method} is not allowed on this resource.")
            return error.status, error.body()
        try:
            with call.store.lock:
                return handler(call, *match.groups())
        except ApiError as error:
            return error.status, error.body()
        except ControlError as error:  # a refused state change reached through the API
            error = ApiError(422, error.message)
            return error.status, error.body()
    error = ApiError(404, "The requested resource does not exist.")
    return error.status, error.body()
