"""Mollie's webhook and outages: junk, unknown and valid ids; Mollie down; parallel calls."""

import logging
import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from donations.models import Donation, Payment, Subscription
from donations.services import webhook_path

from .conftest import FORM, donate_url, return_path, start, webhook

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body",
    [{}, {"id": ""}, {"id": "junk"}, {"id": "tr_" + "x" * 100}, {"id": "tr_unknown123"}],
)
def test_junk_and_unknown_ids_answer_200_and_change_nothing(client, mollie, body):
    _, mollie_id = start(client)
    mollie.checkout(mollie_id, "paid")
    response = client.post(webhook_path(), body)
    assert response.status_code == 200
    assert Payment.objects.get(mollie_id=mollie_id).status == "open"


def test_a_payment_that_is_not_ours_is_ignored(client, mollie):
    from donations import gateway

    foreign = gateway.payment_create(
        amount=__import__("decimal").Decimal("5.00"),
        description="someone else",
        redirect_url="https://example.org/",
        webhook_url=None,
        metadata={},
        language="en",
        idempotency_key="foreign-1",
    )
    assert webhook(client, foreign.id).status_code == 200
    assert not Payment.objects.filter(mollie_id=foreign.id).exists()


def test_valid_id_syncs_with_and_without_the_slash(client, mollie):
    _, first_id = start(client)
    _, second_id = start(client)
    mollie.checkout(first_id, "paid")
    mollie.checkout(second_id, "failed")
    assert client.post(webhook_path(), {"id": first_id}).status_code == 200
    assert client.post(webhook_path() + "/", {"id": second_id}).status_code == 200
    assert Payment.objects.get(mollie_id=first_id).status == "paid"
    assert Payment.objects.get(mollie_id=second_id).status == "failed"


def test_webhook_only_accepts_post_and_needs_no_csrf_token(client, mollie):
    strict = Client(enforce_csrf_checks=True)
    _, mollie_id = start(client)
    mollie.checkout(mollie_id, "paid")
    assert strict.get(webhook_path()).status_code == 405
    assert strict.post(webhook_path(), {"id": mollie_id}).status_code == 200


def test_mollie_down_at_start_keeps_the_form_and_the_donation(client, mollie, settings, closed_url):
    settings.MOLLIE_API_ENDPOINT = closed_url
    response = client.post(donate_url(), {**FORM, "name": "Kept Name", "email": "kept@example.org"})
    assert response.status_code == 503
    html = response.content.decode()
    assert "Payments are temporarily unavailable" in html
    assert 'value="Kept Name"' in html and 'value="kept@example.org"' in html
    donation = Donation.objects.get()
    assert donation.supporter.email == "kept@example.org"
    assert "Unable to communicate" in donation.start_error
    assert not Payment.objects.exists()


def test_mollie_down_at_webhook_answers_503_so_mollie_retries(client, mollie, settings, closed_url):
    _, mollie_id = start(client)
    mollie.checkout(mollie_id, "paid")
    settings.MOLLIE_API_ENDPOINT = closed_url
    assert webhook(client, mollie_id).status_code == 503
    settings.MOLLIE_API_ENDPOINT = mollie.base_url
    assert webhook(client, mollie_id).status_code == 200
    assert Payment.objects.get(mollie_id=mollie_id).status == "paid"


def test_return_page_with_mollie_down_shows_processing_not_an_error(
    client, mollie, settings, closed_url
):
    donation, mollie_id = start(client)
    mollie.checkout(mollie_id, "paid")
    settings.MOLLIE_API_ENDPOINT = closed_url
    response = client.get(return_path(donation))
    assert response.status_code == 200
    assert "being processed" in response.content.decode()


@pytest.mark.django_db(transaction=True)  # the live server reads what this test committed
def test_the_sandbox_delivers_webhooks_to_the_live_site(client, mollie, settings, live_server):
    settings.MOLLIE_WEBHOOK_BASE_URL = live_server.url
    donation, mollie_id = start(client, frequency="monthly")
    mollie.checkout(mollie_id, "paid")
    assert mollie.wait_for_webhooks(10)
    delivered = [d for d in mollie.deliveries if d["paymentId"] == mollie_id]
    assert delivered and delivered[-1]["status"] == 200, delivered
    assert Payment.objects.get(mollie_id=mollie_id).status == "paid"
    assert Subscription.objects.filter(donation=donation).count() == 1


@pytest.mark.django_db(transaction=True)  # twenty threads, each with its connection
def test_the_same_webhook_twenty_times_in_parallel_has_one_effect(client, mollie, on_postgres):
    donation, mollie_id = start(client, frequency="monthly")
    mollie.checkout(mollie_id, "paid")
    barrier = threading.Barrier(20)
    statuses = []

    def call() -> None:
        try:
            barrier.wait()
            statuses.append(Client().post(webhook_path(), {"id": mollie_id}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # A call that waited too long for the lock answers 503 and Mollie would call again.
    assert set(statuses) <= {200, 503} and statuses.count(200) >= 1
    webhook(client, mollie_id)
    assert Payment.objects.get(mollie_id=mollie_id).status == "paid"
    assert Subscription.objects.filter(donation=donation).count() == 1
    assert len(mollie.store.subscriptions) == 1
    assert [m.subject for m in mail.outbox] == ["Welcome as a regular supporter"]


@pytest.mark.parametrize(
    "fault",
    [
        {"error": 1},  # Mollie answers 503
        {"timeout": 1, "hang": 2},  # no answer within our read timeout
        {"throttle": 1, "retry_after": 30},  # 429
    ],
)
def test_mollie_failing_at_the_start_says_try_again_and_stores_no_payment(
    client, mollie, settings, fault, caplog
):
    settings.MOLLIE_READ_TIMEOUT = 0.5
    mollie.set_faults([{"pattern": "POST /v2/payments", **fault}])
    with caplog.at_level(logging.WARNING, logger="donations"):
        response = client.post(donate_url(), {**FORM, "email": "retry@example.org"})
    assert response.status_code == 503
    assert "Payments are temporarily unavailable" in response.content.decode()
    assert not Payment.objects.exists()
    (logged,) = [r for r in caplog.records if "unavailable on" in r.getMessage()]
    assert "PaymentProviderUnavailable" in logged.getMessage() and logged.exc_info is None
    mollie.clear_faults()
    again = client.post(donate_url(), {**FORM, "email": "retry@example.org"})
    assert again.status_code == 303  # the second try goes through
    assert Payment.objects.count() == 1


def test_a_webhook_while_mollie_fails_answers_503_and_the_retry_stores_the_payment(
    client, mollie, settings, caplog
):
    _, mollie_id = start(client)
    mollie.checkout(mollie_id, "paid")
    mollie.set_faults([{"pattern": "GET /v2/payments/*", "error": 1, "status": 502}])
    with caplog.at_level(logging.WARNING, logger="donations.views"):
        assert webhook(client, mollie_id).status_code == 503
    # An expected failure, answered and retried: one line with its cause, no traceback.
    (record,) = [r for r in caplog.records if r.name == "donations.views"]
    message = record.getMessage()
    assert mollie_id in message and "PaymentProviderUnavailable" in message
    assert "\n" not in message and record.exc_info is None
    mollie.clear_faults()
    assert webhook(client, mollie_id).status_code == 200
    assert Payment.objects.get(mollie_id=mollie_id).status == "paid"
