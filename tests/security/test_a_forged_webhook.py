"""Someone forging Mollie: `POST /mollie/webhook/` with any body, as often as they like.

Only a payment Mollie itself returns, that is ours, is ever stored; only well-formed ids reach
Mollie, and only the object asked for is used; ids that are not ours cost Mollie calls only
within a budget per client (and nginx limits the calls per client before that), while Mollie's
own calls are never lost: a refused one is retried by Mollie and caught by reconciliation.
"""

import secrets
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from bench.nginx import NGINX, shipped_nginx
from donations import gateway, services
from donations.exceptions import PaymentNotFound, UnexpectedProviderAnswer
from donations.models import Payment, Subscription
from donations.views import WEBHOOK_MISSES

from ..donations.conftest import (  # noqa: F401 (mollie: a fixture)
    mollie,
    pay,
    return_path,
    start,
    webhook,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_budget():
    """Each test starts with this process's webhook budget unspent."""
    WEBHOOK_MISSES._counts.clear()
    yield
    WEBHOOK_MISSES._counts.clear()


@pytest.fixture
def monthly_gift(client, mollie):  # noqa: F811
    donation, mollie_id = start(client, frequency="monthly", amount="10")
    pay(client, mollie, donation, mollie_id)
    return Subscription.objects.get(donation=donation)


def _mollie_calls(sandbox) -> int:
    return sum(rule["seen"]["requests"] for rule in sandbox.faults.describe()["rules"])


def test_made_up_ids_cost_mollie_calls_only_within_the_budget(client, mollie, settings):  # noqa: F811
    """Finding 7: 300 well-formed random ids became 300 fetches from Mollie."""
    mollie.set_faults([{"pattern": "GET /v2/payments/*"}])  # counts Mollie's payment reads
    answers = [webhook(client, f"tr_{secrets.token_hex(5)}").status_code for _ in range(300)]
    budget = settings.WEBHOOK_UNKNOWN_IDS_PER_CLIENT
    assert answers[:budget] == [200] * budget
    assert set(answers[budget:]) == {503}
    assert _mollie_calls(mollie) == budget


def test_the_budget_is_per_client_and_never_refuses_a_known_payment(client, mollie, settings):  # noqa: F811
    _donation, mollie_id = start(client)
    forger = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(settings.WEBHOOK_UNKNOWN_IDS_PER_CLIENT + 5):
        forger.post(services.webhook_path(), {"id": f"tr_{secrets.token_hex(5)}"})
    mollie.checkout(mollie_id, "paid")
    # Our own payment is handled even from the spent client; another client is unaffected.
    assert forger.post(services.webhook_path(), {"id": mollie_id}).status_code == 200
    assert Payment.objects.get(mollie_id=mollie_id).status == "paid"
    assert webhook(client, f"tr_{secrets.token_hex(5)}").status_code == 200


def test_an_ipv6_client_is_one_client_across_its_64(client, mollie, settings):  # noqa: F811
    for n in range(settings.WEBHOOK_UNKNOWN_IDS_PER_CLIENT):
        Client(REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}").post(
            services.webhook_path(), {"id": f"tr_{secrets.token_hex(5)}"}
        )
    another_address = Client(REMOTE_ADDR="2001:db8:1:2:ffff::9")
    refused = another_address.post(services.webhook_path(), {"id": f"tr_{secrets.token_hex(5)}"})
    assert refused.status_code == 503


def test_a_real_charge_refused_during_a_flood_is_caught_by_reconciliation(
    client,
    mollie,  # noqa: F811
    monthly_gift,
    settings,
):
    for _ in range(settings.WEBHOOK_UNKNOWN_IDS_PER_CLIENT):
        webhook(client, f"tr_{secrets.token_hex(5)}")
    charge = mollie.charge_subscription(monthly_gift.mollie_id)
    assert webhook(client, charge["id"]).status_code == 503  # Mollie would call again later
    assert not Payment.objects.filter(mollie_id=charge["id"]).exists()
    report = services.payments_reconcile(older_than_minutes=0, workers=1)
    assert report.errors == [] and report.payments_adopted == 1
    assert Payment.objects.get(mollie_id=charge["id"]).subscription_id == monthly_gift.pk


@pytest.mark.skipif(not Path(NGINX).exists(), reason="needs nginx (apt-get install nginx)")
@pytest.mark.django_db(transaction=True)  # the live server behind nginx has its own connection
def test_nginx_limits_webhook_calls_per_client(live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]

    def post(_n) -> int:
        request = urllib.request.Request(f"{proxy}/mollie/webhook/", data=b"id=junk")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with shipped_nginx(live_server.url) as proxy:
        answers = [post(n) for n in range(400)]  # faster than 20 a second
    # The first 200 pass on to the app (room for the first of the month's burst). The test
    # server under nginx is Django's own, which closes kept-alive connections that nginx may
    # try again: an occasional 502 there is the test server's, not a refusal.
    assert 503 not in answers[:200] and answers.count(200) >= 150
    assert answers.count(503) > 100


# --- Ids that try to reach something else -----------------------------------------------------


def test_a_forged_id_cannot_walk_the_client_to_another_resource(client, mollie, monthly_gift):  # noqa: F811
    """`tr_/../../customers/<cst>/subscriptions/<sub>` once stored a subscription as a payment."""
    rows_before = set(Payment.objects.values_list("mollie_id", "status", "amount"))
    walk = f"tr_/../../customers/{monthly_gift.customer_id}/subscriptions/{monthly_gift.mollie_id}"
    for forged in (walk, f"tr_x/../../customers/{monthly_gift.customer_id}", "tr_%2e%2e"):
        assert webhook(client, forged).status_code == 200
    assert set(Payment.objects.values_list("mollie_id", "status", "amount")) == rows_before
    assert not Payment.objects.exclude(mollie_id__startswith="tr_").exists()


@pytest.mark.parametrize("suffix", ["?foo=1", "#x", "/", "/refunds", " ", "\n", "%00"])
def test_decorated_ids_of_real_payments_answer_200_and_store_nothing_new(client, mollie, suffix):  # noqa: F811
    """`tr_<real>?foo=1` fetched the real payment under another id: an IntegrityError, a 500."""
    _, mollie_id = start(client)
    mollie.checkout(mollie_id, "paid")
    assert webhook(client, mollie_id + suffix).status_code == 200
    assert list(Payment.objects.values_list("mollie_id", "status")) == [(mollie_id, "open")]
    assert webhook(client, mollie_id).status_code == 200
    assert Payment.objects.get().status == "paid"


def test_malformed_ids_never_reach_mollie(settings, closed_url):
    """Every gateway call that takes an id refuses a malformed one before any request: with
    Mollie unreachable the answer is "not found", not "unavailable"."""
    settings.MOLLIE_API_KEY = "test_stubkey01234567890123456789012"
    settings.MOLLIE_API_ENDPOINT = closed_url
    bad = "tr_/../customers"
    calls = [
        lambda: gateway.payment_get(bad),
        lambda: gateway.refund_create(
            mollie_id=bad,
            amount=Decimal(1),
            description="",
            idempotency_key="k",
        ),
        lambda: gateway.subscription_get(customer_id="cst_/x", mollie_id="sub_abc"),
        lambda: gateway.subscription_get(customer_id="cst_abc", mollie_id="sub_../x"),
        lambda: gateway.subscription_cancel(customer_id="cst_abc", mollie_id="sub_?x"),
        lambda: gateway.subscription_update_amount(
            customer_id="cst_abc", mollie_id="sub_#", amount=Decimal(1)
        ),
        lambda: gateway.subscription_payments(customer_id="cst_abc", mollie_id="tr_abc"),
        lambda: gateway.subscriptions_of_customer("cst_a/b"),
        lambda: gateway.customer_delete("cst_a?b"),
    ]
    for call in calls:
        with pytest.raises(PaymentNotFound):
            call()


def test_an_answer_that_is_not_the_object_asked_for_is_never_used(client, mollie, monthly_gift):  # noqa: F811
    subscription_json = dict(mollie.store.subscriptions[monthly_gift.mollie_id])
    first = Payment.objects.get(subscription=monthly_gift)
    with pytest.raises(UnexpectedProviderAnswer):
        data = gateway.payment_from_json(subscription_json, first.mollie_id)
        services.payment_sync(mollie_id=first.mollie_id, data=data)
    other = dict(mollie.store.payments[first.mollie_id], id="tr_someoneelse1")
    with pytest.raises(UnexpectedProviderAnswer):
        data = gateway.payment_from_json(other)
        services.payment_sync(mollie_id=first.mollie_id, data=data)
    assert Payment.objects.count() == 1


# --- The webhook's address carries a token ------------------------------------------------------


def test_without_our_token_nothing_is_fetched(client, mollie):  # noqa: F811
    """Attacked again: another Mollie account can give our address as its webhook, so Mollie
    itself posted ids that were not ours and used up the budget Mollie's own calls need."""
    _donation, mollie_id = start(client)
    mollie.checkout(mollie_id, "paid")
    mollie.set_faults([{"pattern": "GET /v2/payments/*"}])  # counts Mollie's payment reads
    assert client.post("/mollie/webhook/", {"id": mollie_id}).status_code == 200
    wrong = "/mollie/webhook/" + "a" * 32
    assert client.post(wrong, {"id": mollie_id}).status_code == 404
    assert _mollie_calls(mollie) == 0
    assert Payment.objects.get(mollie_id=mollie_id).status == "open"
    assert webhook(client, mollie_id).status_code == 200
    assert Payment.objects.get(mollie_id=mollie_id).status == "paid"


def test_the_address_given_to_mollie_carries_the_token(client, mollie, settings):  # noqa: F811
    settings.MOLLIE_WEBHOOK_BASE_URL = "https://gifts.example.org"
    _donation, mollie_id = start(client)
    hook = mollie.store.payments[mollie_id]["webhookUrl"]
    assert hook == "https://gifts.example.org" + services.webhook_path()
    assert services.webhook_path().startswith("/mollie/webhook/")
    assert len(services.webhook_path().rsplit("/", 1)[1]) == 32


def test_a_key_rotation_keeps_the_old_address_working(client, mollie, settings):  # noqa: F811
    _donation, mollie_id = start(client)
    old_path = services.webhook_path()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert services.webhook_path() != old_path
    mollie.checkout(mollie_id, "paid")
    assert client.post(old_path, {"id": mollie_id}).status_code == 200
    assert Payment.objects.get(mollie_id=mollie_id).status == "paid"


def test_reconciliation_moves_an_older_subscription_to_the_address_with_the_token(
    client,
    mollie,  # noqa: F811
    monthly_gift,
    settings,
):
    settings.MOLLIE_WEBHOOK_BASE_URL = "https://gifts.example.org"
    with mollie.store.lock:
        mollie.store.subscriptions[monthly_gift.mollie_id]["webhookUrl"] = (
            "https://gifts.example.org/mollie/webhook"
        )
    services.payments_reconcile(older_than_minutes=0, workers=1, all_subscriptions=True)
    hook = mollie.store.subscriptions[monthly_gift.mollie_id]["webhookUrl"]
    assert hook == "https://gifts.example.org" + services.webhook_path()


@pytest.mark.django_db(transaction=True)  # the page is loaded from many threads at once
def test_a_known_payment_posted_again_and_again_is_not_fetched_again_and_again(
    client,
    mollie,  # noqa: F811
):
    """Attacked again: 200 posts of one known id made 200 calls to Mollie; behind the token
    only Mollie can post, and a page loaded many times at once asks Mollie one at a time."""
    donation, _mollie_id = start(client)
    mollie.set_faults([{"pattern": "GET /v2/payments/*", "latency": [0.3, 0.3]}])
    path = return_path(donation)

    def load(_n) -> int:
        try:
            return Client().get(path).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(load, range(30)))
    assert set(answers) == {200}
    assert _mollie_calls(mollie) <= 6  # not 30
