"""The one package that talks to Mollie (through the official `mollie-api-python` client).

Services call these functions with plain Python values and get frozen values back
(`MolliePayment`, `MollieSubscription`, ..., in `objects.py`), never Mollie's JSON. Every client
error is turned into one of our exceptions:

- PaymentProviderUnavailable: network error, timeout, 5xx or a non-JSON answer (try again later);
- PaymentProviderRefused: a 4xx with Mollie's message and field; PaymentNotFound for unknown ids;
  UnexpectedProviderAnswer: an answer that is not the object asked for, or does not parse.

Switching to another client (Mollie's generated SDK, say) means changing only this package.
"""

import contextlib
import hashlib
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from mollie.api.client import Client
from mollie.api.error import (
    Error,
    IdentifierError,
    NotFoundError,
    RequestError,
    RequestSetupError,
    ResponseError,
    ResponseHandlingError,
)
from mollie.api.objects.customer import Customer
from mollie.api.objects.payment import Payment as ClientPayment
from mollie.api.objects.subscription import Subscription as ClientSubscription
from mollie.api.resources import (
    CustomerMandates,
    CustomerPayments,
    CustomerSubscriptions,
    PaymentChargebacks,
    PaymentRefunds,
    SubscriptionPayments,
)

from ..bank import mask_ibans
from ..exceptions import (
    PaymentNotFound,
    PaymentProviderRefused,
    PaymentProviderUnavailable,
    UnexpectedProviderAnswer,
)
from .objects import (
    MollieChargeback,
    MollieCustomer,
    MollieMandate,
    MolliePayment,
    MollieRefund,
    MollieSubscription,
)

__all__ = [
    "MollieChargeback",
    "MollieCustomer",
    "MollieMandate",
    "MolliePayment",
    "MollieRefund",
    "MollieSubscription",
]

CURRENCY = "EUR"

# What Mollie's ids look like: a type prefix and letters and digits, nothing else. An id is
# put into the request path, so anything more (a slash, "..", "?", "#") could make the client
# ask for another resource than the one named.
ID_PREFIXES = {
    "payment": "tr_",
    "customer": "cst_",
    "subscription": "sub_",
    "refund": "re_",
    "mandate": "mdt_",
    "chargeback": "chb_",
}
_ID_BODY = re.compile(r"[A-Za-z0-9]{1,64}")


def id_is_wellformed(value: object, resource: str) -> bool:
    """True when `value` is a string shaped like a Mollie id of `resource` ("payment", ...)."""
    prefix = ID_PREFIXES[resource]
    return (
        isinstance(value, str)
        and value.startswith(prefix)
        and _ID_BODY.fullmatch(value[len(prefix) :]) is not None
    )


def _checked_id(value: object, resource: str) -> str:
    """`value` when it is a well-formed id of `resource`; PaymentNotFound before any request."""
    if not id_is_wellformed(value, resource):
        raise PaymentNotFound(f"Not a {resource} id: {str(value)[:80]!r}", status=404)
    return value


def _expected(data: dict, resource: str, mollie_id: str | None = None) -> dict:
    """`data` when it is the `resource` object asked for (and has id `mollie_id`, if given)."""
    if data.get("resource") != resource or not id_is_wellformed(data.get("id"), resource):
        raise UnexpectedProviderAnswer(
            f"Asked for a {resource}, got a {str(data.get('resource'))[:40]!r} object."
        )
    if mollie_id is not None and data["id"] != mollie_id:
        raise UnexpectedProviderAnswer(f"Asked for {mollie_id}, got {data['id']}.")
    return data


def _installation_key(key: str) -> str:
    """An idempotency key made unique to this installation: ours are built from our own row
    ids, which another installation on the same Mollie key (a test site beside the real one,
    two laptops on one test key) has too, and Mollie would answer theirs for ours."""
    if not key:
        return key
    prefix = (
        settings.MOLLIE_IDEMPOTENCY_PREFIX
        or hashlib.sha256(settings.PUBLIC_BASE_URL.encode()).hexdigest()[:8]
    )
    return f"{prefix}-{key}"


MOLLIE_LOCALES = {"nl": "nl_NL", "en": "en_GB"}


def money(amount: Decimal) -> dict:
    """Mollie's amount object: the value is a string with exactly two decimals."""
    return {"currency": CURRENCY, "value": f"{amount:.2f}"}


@cache
def _client(api_key: str, endpoint: str, timeout: tuple[float, float]) -> Client:
    client = Client(api_endpoint=endpoint, timeout=timeout)
    client.set_api_key(api_key)
    return client


def client() -> Client:
    """The configured client (one per settings combination, reused between requests)."""
    if not settings.MOLLIE_API_KEY:
        raise PaymentProviderUnavailable("No MOLLIE_API_KEY is configured.")
    timeout = (settings.MOLLIE_CONNECT_TIMEOUT, settings.MOLLIE_READ_TIMEOUT)
    return _client(settings.MOLLIE_API_KEY, settings.MOLLIE_API_ENDPOINT, timeout)


@contextlib.contextmanager
def _translated_errors():
    """Turn the client's exceptions raised in the block into ours."""
    try:
        yield
    except (IdentifierError, NotFoundError) as error:
        raise PaymentNotFound(_said(error), status=404) from None
    except RequestSetupError as error:
        # Our own mistake building the request (bad key, unencodable data).
        raise PaymentProviderRefused(_said(error)) from None
    except (RequestError, ResponseHandlingError) as error:
        raise PaymentProviderUnavailable(_said(error)) from None
    except ResponseError as error:
        if error.status is None or error.status >= 500 or error.status == 429:
            raise PaymentProviderUnavailable(_said(error)) from None
        raise PaymentProviderRefused(_said(error), status=error.status, field=error.field) from None
    except Error as error:
        raise PaymentProviderUnavailable(_said(error)) from None


def _said(error: Exception) -> str:
    """What the client's error says, with any bank account in it masked: the message may end up
    in a log line or on a row (`start_error`). The client's own exception is not chained on
    (`from None`), since it can hold the request that carried the IBAN."""
    return mask_ibans(str(error))


def _customer_stub(customer_id: str) -> Customer:
    # The client's nested resources only need the parent's id; skip fetching the customer.
    return Customer({"id": _checked_id(customer_id, "customer")}, client())


def payment_create(
    *,
    amount: Decimal,
    description: str,
    redirect_url: str,
    webhook_url: str | None,
    metadata: dict,
    language: str,
    idempotency_key: str,
    customer_id: str | None = None,
    first_of_subscription: bool = False,
) -> MolliePayment:
    """Create a one-off payment, or the first payment of a regular gift (needs `customer_id`)."""
    data = {
        "amount": money(amount),
        "description": description,
        "redirectUrl": redirect_url,
        "metadata": metadata,
        "locale": MOLLIE_LOCALES.get(language, "nl_NL"),
    }
    if webhook_url:
        data["webhookUrl"] = webhook_url
    if first_of_subscription:
        data["sequenceType"] = "first"
        data["customerId"] = _checked_id(customer_id, "customer")
    with _translated_errors():
        key = _installation_key(idempotency_key)
        answer = dict(client().payments.create(data, idempotency_key=key))
    return MolliePayment.from_json(_expected(answer, "payment"))


def payment_get(mollie_id: str) -> MolliePayment:
    """The payment `mollie_id`; PaymentNotFound for a malformed id (no request is made)."""
    _checked_id(mollie_id, "payment")
    with _translated_errors():
        answer = dict(client().payments.get(mollie_id))
    return payment_from_json(answer, mollie_id)


def payment_from_json(data: dict, mollie_id: str | None = None) -> MolliePayment:
    """Mollie's JSON for a payment (`mollie_id`, if given) as a MolliePayment;
    UnexpectedProviderAnswer for anything else."""
    return MolliePayment.from_json(_expected(data, "payment", mollie_id))


LIST_PAGE = 250  # the most Mollie gives in one page of a list


def payments_created_since(since: datetime) -> Iterator[list[MolliePayment]]:
    """Every payment of the account created at or after `since`, a page (up to 250) at a time,
    newest first: Mollie's list is ordered that way, so reading stops at the first older one."""
    with _translated_errors():
        page = client().payments.list(limit=LIST_PAGE)
    while True:
        items = [payment_from_json(dict(item)) for item in page]
        if any(item.created_at is None for item in items):
            raise UnexpectedProviderAnswer("A payment without a createdAt.")
        recent = [item for item in items if item.created_at >= since]
        if recent:
            yield recent
        if len(recent) < len(items) or not page.has_next():
            return
        with _translated_errors():
            page = page.get_next()


def _payment_stub(mollie_id: str) -> ClientPayment:
    return ClientPayment({"id": _checked_id(mollie_id, "payment")}, client())


def refund_create(
    *, mollie_id: str, amount: Decimal, description: str, idempotency_key: str
) -> MollieRefund:
    payment = _payment_stub(mollie_id)
    with _translated_errors():
        refund = PaymentRefunds(client(), payment).create(
            {"amount": money(amount), "description": description},
            idempotency_key=_installation_key(idempotency_key),
        )
    return MollieRefund.from_json(_expected(dict(refund), "refund"))


def customer_create(
    *, name: str, email: str, language: str, idempotency_key: str
) -> MollieCustomer:
    with _translated_errors():
        customer = client().customers.create(
            {"name": name, "email": email, "locale": MOLLIE_LOCALES.get(language, "nl_NL")},
            idempotency_key=_installation_key(idempotency_key),
        )
    return MollieCustomer.from_json(_expected(dict(customer), "customer"))


def subscription_create(
    *,
    customer_id: str,
    amount: Decimal,
    interval: str,
    start_date: date,
    description: str,
    webhook_url: str | None,
    metadata: dict,
    idempotency_key: str,
    mandate_id: str | None = None,
) -> MollieSubscription:
    """Create a subscription; with `mandate_id` it charges that mandate (else any valid one)."""
    data = {
        "amount": money(amount),
        "interval": interval,
        "startDate": start_date.isoformat(),
        "description": description,
        "metadata": metadata,
    }
    if webhook_url:
        data["webhookUrl"] = webhook_url
    if mandate_id:
        data["mandateId"] = _checked_id(mandate_id, "mandate")
    resource = CustomerSubscriptions(client(), _customer_stub(customer_id))
    with _translated_errors():
        answer = dict(resource.create(data, idempotency_key=_installation_key(idempotency_key)))
    return MollieSubscription.from_json(_expected(answer, "subscription"))


def subscription_get(*, customer_id: str, mollie_id: str) -> MollieSubscription:
    resource = CustomerSubscriptions(client(), _customer_stub(customer_id))
    _checked_id(mollie_id, "subscription")
    with _translated_errors():
        answer = dict(resource.get(mollie_id))
    return MollieSubscription.from_json(_expected(answer, "subscription", mollie_id))


def subscriptions_of_customer(customer_id: str) -> list[MollieSubscription]:
    resource = CustomerSubscriptions(client(), _customer_stub(customer_id))
    with _translated_errors():
        items = [dict(item) for item in _all_pages(resource.list(limit=250))]
    return [MollieSubscription.from_json(_expected(item, "subscription")) for item in items]


def subscription_update_amount(
    *, customer_id: str, mollie_id: str, amount: Decimal
) -> MollieSubscription:
    return subscription_update(customer_id=customer_id, mollie_id=mollie_id, amount=amount)


def subscription_update(
    *,
    customer_id: str,
    mollie_id: str,
    amount: Decimal | None = None,
    start_date: date | None = None,
    mandate_id: str | None = None,
    webhook_url: str | None = None,
) -> MollieSubscription:
    """Change a running subscription: the amount of future charges, the first charge's date
    (only before anything was charged), the mandate it charges or the webhook it calls."""
    resource = CustomerSubscriptions(client(), _customer_stub(customer_id))
    _checked_id(mollie_id, "subscription")
    data = {}
    if amount is not None:
        data["amount"] = money(amount)
    if start_date is not None:
        data["startDate"] = start_date.isoformat()
    if mandate_id is not None:
        data["mandateId"] = _checked_id(mandate_id, "mandate")
    if webhook_url is not None:
        data["webhookUrl"] = webhook_url
    with _translated_errors():
        answer = dict(resource.update(mollie_id, data))
    return MollieSubscription.from_json(_expected(answer, "subscription", mollie_id))


def subscription_cancel(*, customer_id: str, mollie_id: str) -> MollieSubscription:
    resource = CustomerSubscriptions(client(), _customer_stub(customer_id))
    _checked_id(mollie_id, "subscription")
    with _translated_errors():
        answer = dict(resource.delete(mollie_id))
    return MollieSubscription.from_json(_expected(answer, "subscription", mollie_id))


def subscription_payments(*, customer_id: str, mollie_id: str) -> list[MolliePayment]:
    """Every payment Mollie made for a subscription (all pages)."""
    customer = _customer_stub(customer_id)
    subscription = ClientSubscription({"id": _checked_id(mollie_id, "subscription")}, client())
    resource = SubscriptionPayments(client(), customer, subscription)
    with _translated_errors():
        items = [dict(item) for item in _all_pages(resource.list(limit=250))]
    return [payment_from_json(item) for item in items]


def _all_pages(page) -> Iterator:
    while True:
        yield from page
        if not page.has_next():
            return
        page = page.get_next()


@sensitive_variables("iban", "holder", "data")
def mandate_create(
    *,
    customer_id: str,
    holder: str,
    iban: str,
    signed_on: date,
    reference: str,
    idempotency_key: str,
) -> MollieMandate:
    """Create a SEPA direct-debit mandate from an IBAN (`iban`, compact, already checked) and
    its holder's name, signed on `signed_on`, with our mandate `reference`. Mollie answers 422
    (PaymentProviderRefused, field consumerAccount) for an account it does not accept."""
    data = {
        "method": "directdebit",
        "consumerName": holder,
        "consumerAccount": iban,
        "signatureDate": signed_on.isoformat(),
        "mandateReference": reference,
    }
    resource = CustomerMandates(client(), _customer_stub(customer_id))
    with _translated_errors():
        answer = dict(resource.create(data, idempotency_key=_installation_key(idempotency_key)))
    return MollieMandate.from_json(_expected(answer, "mandate"))


def payment_create_recurring(
    *,
    customer_id: str,
    mandate_id: str,
    amount: Decimal,
    description: str,
    webhook_url: str | None,
    metadata: dict,
    idempotency_key: str,
) -> MolliePayment:
    """Charge `amount` once from a customer's mandate, without the donor (a returned debit's
    new attempt): a `recurring` payment on that mandate."""
    data = {
        "amount": money(amount),
        "description": description,
        "sequenceType": "recurring",
        "mandateId": _checked_id(mandate_id, "mandate"),
        "metadata": metadata,
    }
    if webhook_url:
        data["webhookUrl"] = webhook_url
    resource = CustomerPayments(client(), _customer_stub(customer_id))
    with _translated_errors():
        answer = dict(resource.create(data, idempotency_key=_installation_key(idempotency_key)))
    return MolliePayment.from_json(_expected(answer, "payment"))


def chargebacks_of(mollie_id: str) -> list[MollieChargeback]:
    """The chargebacks of a payment (a donor's bank took the money back), with their reasons."""
    resource = PaymentChargebacks(client(), _payment_stub(mollie_id))
    with _translated_errors():
        items = [dict(item) for item in _all_pages(resource.list())]
    return [MollieChargeback.from_json(_expected(item, "chargeback")) for item in items]


def mandates_of_customer(customer_id: str) -> list[MollieMandate]:
    """Every mandate of a customer (all pages)."""
    resource = CustomerMandates(client(), _customer_stub(customer_id))
    with _translated_errors():
        items = [dict(item) for item in _all_pages(resource.list(limit=250))]
    return [MollieMandate.from_json(_expected(item, "mandate")) for item in items]


def mandate_revoke(*, customer_id: str, mandate_id: str) -> None:
    """Revoke a mandate: it can never be charged again (subscriptions pinned to it end)."""
    resource = CustomerMandates(client(), _customer_stub(customer_id))
    _checked_id(mandate_id, "mandate")
    with _translated_errors():
        resource.delete(mandate_id)


def customer_delete(customer_id: str) -> None:
    """Delete a customer at Mollie (their mandates and subscriptions end with it)."""
    _checked_id(customer_id, "customer")
    with _translated_errors():
        client().customers.delete(customer_id)
