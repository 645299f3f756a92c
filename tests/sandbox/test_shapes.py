"""The sandbox's objects carry the keys Mollie documents, and no undocumented ones.

The key sets below are written from Mollie's OpenAPI spec (`mollie/openapi: specs.yaml`, as
generated into the payment, customer, mandate, subscription and refund response models):
REQUIRED keys must always be present, OPTIONAL keys may be present.
"""

from __future__ import annotations

from .helpers import amount, payment_data

PAYMENT_REQUIRED = {
    "resource",
    "id",
    "mode",
    "amount",
    "description",
    "sequenceType",
    "profileId",
    "status",
    "createdAt",
    "_links",
}
PAYMENT_OPTIONAL = {
    "amountRefunded",
    "amountRemaining",
    "amountCaptured",
    "amountChargedBack",
    "settlementAmount",
    "redirectUrl",
    "cancelUrl",
    "webhookUrl",
    "lines",
    "billingAddress",
    "shippingAddress",
    "locale",
    "countryCode",
    "method",
    "restrictPaymentMethodsToCountry",
    "metadata",
    "captureMode",
    "captureDelay",
    "captureBefore",
    "applicationFee",
    "routing",
    "subscriptionId",
    "mandateId",
    "customerId",
    "settlementId",
    "orderId",
    "statusReason",
    "isCancelable",
    "details",
    "authorizedAt",
    "paidAt",
    "canceledAt",
    "expiresAt",
    "expiredAt",
    "failedAt",
}
PAYMENT_LINKS = {
    "self",
    "checkout",
    "mobileAppCheckout",
    "changePaymentState",
    "dashboard",
    "refunds",
    "chargebacks",
    "captures",
    "settlement",
    "customer",
    "mandate",
    "subscription",
    "order",
    "terminal",
    "documentation",
}
CUSTOMER_REQUIRED = {
    "resource",
    "id",
    "mode",
    "name",
    "email",
    "locale",
    "metadata",
    "createdAt",
    "_links",
}
MANDATE_REQUIRED = {
    "resource",
    "id",
    "mode",
    "method",
    "details",
    "signatureDate",
    "mandateReference",
    "status",
    "customerId",
    "createdAt",
    "_links",
}
MANDATE_OPTIONAL = {"scopes"}
SUBSCRIPTION_REQUIRED = {
    "resource",
    "id",
    "mode",
    "status",
    "amount",
    "times",
    "timesRemaining",
    "interval",
    "startDate",
    "description",
    "method",
    "metadata",
    "webhookUrl",
    "customerId",
    "createdAt",
    "_links",
}
SUBSCRIPTION_OPTIONAL = {"nextPaymentDate", "applicationFee", "mandateId", "canceledAt"}
SUBSCRIPTION_LINKS_REQUIRED = {"self", "customer", "profile", "documentation"}
REFUND_REQUIRED = {
    "resource",
    "id",
    "mode",
    "description",
    "amount",
    "metadata",
    "paymentId",
    "status",
    "createdAt",
    "_links",
}
REFUND_OPTIONAL = {"settlementAmount", "settlementId", "externalReference", "routingReversals"}


def _check(obj, required, optional=frozenset()):
    keys = set(obj)
    assert required <= keys, f"missing: {required - keys}"
    assert keys <= required | optional, f"undocumented: {keys - required - optional}"


def test_payment_keys_in_every_state(client, sandbox, mandated_customer):
    open_payment = client.payments.create(payment_data(cancelUrl="https://x.example/c"))
    paid = client.payments.create(payment_data())
    sandbox.checkout(paid.id, "paid")
    paid.refunds.create({"amount": amount("1.00")})
    sandbox.chargeback(paid.id, "1.00")
    failed = client.payments.create(payment_data())
    sandbox.checkout(failed.id, "failed")
    recurring = mandated_customer.payments.create(
        {"amount": amount("1.00"), "description": "r", "sequenceType": "recurring"}
    )
    for payment in (open_payment, paid, failed, recurring):
        fetched = client.payments.get(payment.id)
        _check(fetched, PAYMENT_REQUIRED, PAYMENT_OPTIONAL)
        assert set(fetched["_links"]) <= PAYMENT_LINKS
        assert {"self", "documentation"} <= set(fetched["_links"])
    assert {"refunds", "chargebacks"} <= set(client.payments.get(paid.id)["_links"])
    assert {"customer", "mandate"} <= set(client.payments.get(recurring.id)["_links"])


def test_customer_mandate_subscription_refund_keys(client, sandbox, mandated_customer):
    _check(client.customers.get(mandated_customer.id), CUSTOMER_REQUIRED)
    mandate = mandated_customer.mandates.list()[0]
    _check(mandate, MANDATE_REQUIRED, MANDATE_OPTIONAL)
    sub = mandated_customer.subscriptions.create(
        {"amount": amount("2.00"), "interval": "1 month", "description": "m"}
    )
    _check(sub, SUBSCRIPTION_REQUIRED, SUBSCRIPTION_OPTIONAL)
    assert set(sub["_links"]) >= SUBSCRIPTION_LINKS_REQUIRED
    sandbox.charge_subscription(sub.id)
    canceled = mandated_customer.subscriptions.delete(sub.id)
    _check(canceled, SUBSCRIPTION_REQUIRED, SUBSCRIPTION_OPTIONAL)
    assert "canceledAt" in canceled
    assert "nextPaymentDate" not in canceled
    payment = client.payments.create(payment_data())
    sandbox.checkout(payment.id, "paid")
    refund = payment.refunds.create({"amount": amount("1.00")})
    _check(refund, REFUND_REQUIRED, REFUND_OPTIONAL)
    _check(payment.refunds.get(refund.id), REFUND_REQUIRED, REFUND_OPTIONAL)


def test_list_shape(client):
    client.customers.create({})
    listed = client.customers.list(limit=1)
    assert set(dict.keys(listed)) == {"count", "_embedded", "_links"}
    assert set(listed["_links"]) == {"self", "previous", "next", "documentation"}
    assert listed["_links"]["next"] is None
    assert listed["_links"]["previous"] is None


def test_error_shape(sandbox):
    import json

    from .helpers import raw

    status, headers, body = raw(
        "POST",
        f"{sandbox.base_url}/v2/payments",
        json_body={"amount": amount("1")},
        headers={"Authorization": "Bearer test_shape0123456789012345678901234"},
    )
    error = json.loads(body)
    assert status == 422
    assert headers["Content-Type"] == "application/hal+json"
    assert set(error) == {"status", "title", "detail", "field", "_links"}
    assert error["title"] == "Unprocessable Entity"
    assert error["field"] == "amount.value"
    assert set(error["_links"]["documentation"]) == {"href", "type"}
