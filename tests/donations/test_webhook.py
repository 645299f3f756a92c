"""Mollie's webhook and outages: junk, unknown and valid ids; Mollie down; parallel calls."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from donations.models import Donation, Payment, Subscription

from .conftest import FORM, donate_url, return_path, start, webhook

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "body",
    [{}, {"id": ""}, {"id": "junk"}, {"id": "tr_" + "x" * 100}, {"id": "tr_unknown123"}],
)
def test_junk_and_unknown_ids_answer_200_and_change_nothing(client, mollie, body):
    _, mollie_id = start(client)
    mollie.checkout(mollie_id, "paid")
    response = client.post("/mollie/webhook/", body)
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
    assert webhook(client, foreign["id"]).status_code == 200
    assert not Payment.objects.filter(mollie_id=foreign["id"]).exists()


def test_valid_id_syncs_with_and_without_the_slash(client, mollie):
    _, first_id = start(client)
    _, second_id = start(client)
    mollie.checkout(first_id, "paid")
    mollie.checkout(second_id, "failed")
    assert client.post("/mollie/webhook/", {"id": first_id}).status_code == 200
    assert client.post("/mollie/webhook", {"id": second_id}).status_code == 200
    assert Payment.objects.get(mollie_id=first_id).status == "paid"
    assert Payment.objects.get(mollie_id=second_id).status == "failed"


def test_webhook_only_accepts_post_and_needs_no_csrf_token(client, mollie):
    strict = Client(enforce_csrf_checks=True)
    _, mollie_id = start(client)
    mollie.checkout(mollie_id, "paid")
    assert strict.get("/mollie/webhook/").status_code == 405
    assert strict.post("/mollie/webhook/", {"id": mollie_id}).status_code == 200


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


def test_the_sandbox_delivers_webhooks_to_the_live_site(client, mollie, settings, live_server):
    settings.MOLLIE_WEBHOOK_BASE_URL = live_server.url
    donation, mollie_id = start(client, frequency="monthly")
    mollie.checkout(mollie_id, "paid")
    assert mollie.wait_for_webhooks(10)
    delivered = [d for d in mollie.deliveries if d["paymentId"] == mollie_id]
    assert delivered and delivered[-1]["status"] == 200, delivered
    assert Payment.objects.get(mollie_id=mollie_id).status == "paid"
    assert Subscription.objects.filter(donation=donation).count() == 1


def test_the_same_webhook_twenty_times_in_parallel_has_one_effect(client, mollie, on_postgres):
    donation, mollie_id = start(client, frequency="monthly")
    mollie.checkout(mollie_id, "paid")
    barrier = threading.Barrier(20)
    statuses = []

    def call() -> None:
        try:
            barrier.wait()
            statuses.append(Client().post("/mollie/webhook/", {"id": mollie_id}).status_code)
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
    assert [m.subject for m in mail.outbox] == ["Welcome as a monthly supporter"]
