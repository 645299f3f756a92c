"""The gateway: the only module that talks to Mollie, and how it reports trouble."""

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from donations import gateway
from donations.exceptions import (
    PaymentNotFound,
    PaymentProviderRefused,
    PaymentProviderUnavailable,
)
from donations.services import webhook_path

from .conftest import start

pytestmark = pytest.mark.django_db


class Answer(BaseHTTPRequestHandler):
    """Answers every request with the status and body set on the server."""

    def do_GET(self):
        status, content_type, body = self.server.answer
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.end_headers()
        self.wfile.write(body.encode())

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def stub(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    settings.MOLLIE_API_KEY = "test_stubkey01234567890123456789012"
    settings.MOLLIE_API_ENDPOINT = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def error_body(status: int, field: str | None = None) -> str:
    body = {"status": status, "title": "x", "detail": f"detail {status}"}
    if field:
        body["field"] = field
    return json.dumps(body)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ((503, "application/hal+json", error_body(503)), PaymentProviderUnavailable),
        ((502, "text/html", "<html>bad gateway</html>"), PaymentProviderUnavailable),
        ((429, "application/hal+json", error_body(429)), PaymentProviderUnavailable),
        ((404, "application/hal+json", error_body(404)), PaymentNotFound),
        ((401, "application/hal+json", error_body(401)), PaymentProviderRefused),
    ],
)
def test_errors_are_translated(stub, answer, expected):
    stub.answer = answer
    with pytest.raises(expected):
        gateway.payment_get("tr_abc123")


def test_a_refusal_carries_mollies_message_and_field(stub):
    stub.answer = (422, "application/hal+json", error_body(422, "amount.value"))
    with pytest.raises(PaymentProviderRefused) as refused:
        gateway.payment_create(
            amount=Decimal("1.00"),
            description="x",
            redirect_url="https://example.org/",
            webhook_url=None,
            metadata={},
            language="nl",
            idempotency_key="k",
        )
    assert refused.value.field == "amount.value" and refused.value.status == 422
    assert refused.value.message == "detail 422"


def test_unreachable_and_malformed_ids(settings, closed_url):
    settings.MOLLIE_API_KEY = "test_stubkey01234567890123456789012"
    settings.MOLLIE_API_ENDPOINT = closed_url
    with pytest.raises(PaymentProviderUnavailable):
        gateway.payment_get("tr_abc123")
    with pytest.raises(PaymentNotFound):
        gateway.payment_get("not-a-payment-id")


def test_no_key_means_unavailable(settings):
    settings.MOLLIE_API_KEY = ""
    with pytest.raises(PaymentProviderUnavailable):
        gateway.payment_get("tr_abc123")


def test_amounts_are_sent_as_two_decimal_strings():
    assert gateway.money(Decimal("10")) == {"currency": "EUR", "value": "10.00"}
    assert gateway.money(Decimal("7.5")) == {"currency": "EUR", "value": "7.50"}


def test_webhook_url_only_when_mollie_can_reach_us(client, mollie, settings):
    _, without = start(client)
    assert mollie.store.payments[without]["webhookUrl"] is None
    settings.MOLLIE_WEBHOOK_BASE_URL = "https://gifts.example.org"
    _, with_url = start(client)
    assert mollie.store.payments[with_url]["webhookUrl"] == (
        "https://gifts.example.org" + webhook_path()
    )
    record = mollie.store.payments[with_url]
    assert record["amount"] == {"currency": "EUR", "value": "25.00"}
    assert record["locale"] == "en_GB" and record["metadata"]["donation_id"] > 0


def test_two_installations_on_one_mollie_key_do_not_share_idempotency_keys(settings):
    """A second installation on the same sandbox got the first one's answers (both number
    their donations from 1)."""
    settings.PUBLIC_BASE_URL = "https://gifts.example.org"
    real = gateway._installation_key("donation-1-payment")
    settings.PUBLIC_BASE_URL = "https://test.gifts.example.org"
    test = gateway._installation_key("donation-1-payment")
    assert real != test and real.endswith("-donation-1-payment")
    settings.MOLLIE_IDEMPOTENCY_PREFIX = "laptop-ann"
    assert gateway._installation_key("k") == "laptop-ann-k"
    assert gateway._installation_key("") == ""
