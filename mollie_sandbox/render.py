"""Turn stored objects into Mollie's HAL JSON, with every API link under the sandbox's base URL.

The official client follows `_links` (pagination, `from_url`) by requesting the href as is when it
starts with its configured endpoint, so API hrefs must use the sandbox's own base URL.
Documentation links point at docs.mollie.com like Mollie's own; nothing follows them.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from .errors import ApiError
from .validation import money

HAL = "application/hal+json"
DOCS = "https://docs.mollie.com/reference/"


def link(href: str, kind: str = HAL) -> dict:
    return {"href": href, "type": kind}


def doc(page: str) -> dict:
    return link(DOCS + page, "text/html")


def public(record: dict) -> dict:
    """Copy of a stored record without the internal "_" keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _sum(records) -> Decimal:
    return sum((Decimal(r["amount"]["value"]) for r in records), Decimal("0"))


def payment_totals(store, payment: dict) -> tuple[Decimal, Decimal, Decimal]:
    """(refunded, charged back, remaining refundable) for a payment.

    Refunds count unless failed or canceled. The remaining amount also excludes charged-back
    money, because that money has already gone back to the customer.
    """
    refunds = [
        r
        for r in store.refunds.values()
        if r["paymentId"] == payment["id"] and r["status"] not in ("failed", "canceled")
    ]
    chargebacks = [c for c in store.chargebacks.values() if c["paymentId"] == payment["id"]]
    refunded, charged_back = _sum(refunds), _sum(chargebacks)
    remaining = max(Decimal(payment["amount"]["value"]) - refunded - charged_back, Decimal("0"))
    return refunded, charged_back, remaining


# Keys Mollie always sends (null when unset); other optional keys are left out when unset.
# Mollie sends these as null rather than leaving them out (details: until the payment is paid).
_PAYMENT_ALWAYS = ("method", "metadata", "details")


def payment(store, base: str, record: dict) -> dict:
    out = {k: v for k, v in public(record).items() if v is not None or k in _PAYMENT_ALWAYS}
    pid = record["id"]
    has_refunds = any(r["paymentId"] == pid for r in store.refunds.values())
    has_chargebacks = any(c["paymentId"] == pid for c in store.chargebacks.values())
    if record["status"] == "paid":
        refunded, charged_back, remaining = payment_totals(store, record)
        out["amountRefunded"] = money(refunded)
        out["amountRemaining"] = money(remaining)
        if charged_back:
            out["amountChargedBack"] = money(charged_back)
    links = {"self": link(f"{base}/v2/payments/{pid}")}
    if record["status"] == "open" and record["sequenceType"] != "recurring":
        links["checkout"] = link(f"{base}/checkout/{pid}", "text/html")
    links["dashboard"] = link(f"{base}/#{pid}", "text/html")
    # Test mode: recurring payments (instead of a checkout) and paid payments get a page to
    # change their state, as on Mollie.
    if record["sequenceType"] == "recurring" or record["status"] == "paid":
        links["changePaymentState"] = link(f"{base}/change-state/{pid}", "text/html")
    if has_refunds:
        links["refunds"] = link(f"{base}/v2/payments/{pid}/refunds")
    if has_chargebacks:
        links["chargebacks"] = link(f"{base}/v2/payments/{pid}/chargebacks")
    cid = record.get("customerId")
    if cid:
        links["customer"] = link(f"{base}/v2/customers/{cid}")
        if record.get("mandateId"):
            links["mandate"] = link(f"{base}/v2/customers/{cid}/mandates/{record['mandateId']}")
        if record.get("subscriptionId"):
            sid = record["subscriptionId"]
            links["subscription"] = link(f"{base}/v2/customers/{cid}/subscriptions/{sid}")
    links["documentation"] = doc("get-payment")
    out["_links"] = links
    return out


def customer(store, base: str, record: dict) -> dict:
    out = public(record)
    cid = record["id"]
    links = {
        "self": link(f"{base}/v2/customers/{cid}"),
        "dashboard": link(f"{base}/#{cid}", "text/html"),
    }
    if any(m["customerId"] == cid for m in store.mandates.values()):
        links["mandates"] = link(f"{base}/v2/customers/{cid}/mandates")
    if any(s["customerId"] == cid for s in store.subscriptions.values()):
        links["subscriptions"] = link(f"{base}/v2/customers/{cid}/subscriptions")
    if any(p.get("customerId") == cid for p in store.payments.values()):
        links["payments"] = link(f"{base}/v2/customers/{cid}/payments")
    links["documentation"] = doc("get-customer")
    out["_links"] = links
    return out


def mandate(store, base: str, record: dict) -> dict:
    out = public(record)
    cid, mid = record["customerId"], record["id"]
    out["_links"] = {
        "self": link(f"{base}/v2/customers/{cid}/mandates/{mid}"),
        "customer": link(f"{base}/v2/customers/{cid}"),
        "documentation": doc("get-mandate"),
    }
    return out


_SUBSCRIPTION_ALWAYS = ("times", "timesRemaining", "method", "metadata", "webhookUrl")


def subscription(store, base: str, record: dict) -> dict:
    out = {k: v for k, v in public(record).items() if v is not None or k in _SUBSCRIPTION_ALWAYS}
    cid, sid = record["customerId"], record["id"]
    links = {
        "self": link(f"{base}/v2/customers/{cid}/subscriptions/{sid}"),
        # The client reads customer_id from this link; it must always be present.
        "customer": link(f"{base}/v2/customers/{cid}"),
        "profile": link(f"{base}/v2/profiles/{store.profile_id}"),
    }
    if record.get("mandateId"):
        links["mandate"] = link(f"{base}/v2/customers/{cid}/mandates/{record['mandateId']}")
    if any(p.get("subscriptionId") == sid for p in store.payments.values()):
        links["payments"] = link(f"{base}/v2/customers/{cid}/subscriptions/{sid}/payments")
    links["documentation"] = doc("get-subscription")
    out["_links"] = links
    return out


def refund(store, base: str, record: dict) -> dict:
    out = public(record)
    pid, rid = record["paymentId"], record["id"]
    out["_links"] = {
        "self": link(f"{base}/v2/payments/{pid}/refunds/{rid}"),
        "payment": link(f"{base}/v2/payments/{pid}"),
        "documentation": doc("get-refund"),
    }
    return out


def chargeback(store, base: str, record: dict) -> dict:
    out = public(record)
    pid, cid = record["paymentId"], record["id"]
    out["_links"] = {
        "self": link(f"{base}/v2/payments/{pid}/chargebacks/{cid}"),
        "payment": link(f"{base}/v2/payments/{pid}"),
        "documentation": doc("get-chargeback"),
    }
    return out


def page(
    store, base: str, path: str, name: str, records: list, query: dict, renderer, docs: str
) -> dict:
    """One page of a Mollie list: newest first, cursor `from` (inclusive) and `limit` (1-250).

    `records` is in creation order. Raises 400 for a bad limit or an unknown cursor.
    """
    records = list(reversed(records))
    raw_limit = query.get("limit", "50")
    try:
        limit = int(raw_limit)
    except ValueError:
        limit = 0
    if not 1 <= limit <= 250:
        raise ApiError(400, "The limit must be a number between 1 and 250.", "limit")
    start = 0
    if "from" in query:
        ids = [r["id"] for r in records]
        if query["from"] not in ids:
            raise ApiError(400, "The cursor given in 'from' does not exist in this list.", "from")
        start = ids.index(query["from"])
    chunk = records[start : start + limit]

    def href(cursor: str | None) -> str:
        params = {"from": cursor, "limit": limit} if cursor else {"limit": limit}
        return f"{base}{path}?{urlencode(params)}"

    following = records[start + limit] if start + limit < len(records) else None
    previous = records[max(start - limit, 0)] if start > 0 else None
    return {
        "count": len(chunk),
        "_embedded": {name: [renderer(store, base, r) for r in chunk]},
        "_links": {
            "self": link(href(chunk[0]["id"] if chunk else query.get("from"))),
            "previous": link(href(previous["id"])) if previous else None,
            "next": link(href(following["id"])) if following else None,
            "documentation": doc(docs),
        },
    }
