"""Many clients at once: no lost or duplicated objects, one payment per idempotency key."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from mollie.api.client import Client
from mollie.api.error import ConflictError

from .helpers import amount, payment_data

THREADS = 20


def _client(sandbox) -> Client:
    # One client per thread: requests sessions are not meant to be shared across threads.
    api = Client(api_endpoint=sandbox.base_url)
    api.set_api_key("test_sandboxtestkey1234567890012345")
    return api


def test_parallel_creates_all_land(sandbox, client):
    def create(n):
        return _client(sandbox).payments.create(payment_data(description=f"Gift {n}")).id

    with ThreadPoolExecutor(THREADS) as pool:
        ids = list(pool.map(create, range(THREADS)))
    assert len(set(ids)) == THREADS
    listed = client.payments.list(limit=250)
    assert len(listed) == THREADS
    assert {p.id for p in listed} == set(ids)


def test_same_idempotency_key_from_many_threads_makes_one_payment(sandbox, client):
    def create(_):
        try:
            return _client(sandbox).payments.create(payment_data(), idempotency_key="same").id
        except ConflictError:
            return "conflict"  # a duplicate that arrived while the first was running

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(create, range(THREADS)))
    ids = {r for r in results if r != "conflict"}
    assert len(ids) == 1
    assert len(client.payments.list()) == 1
    # Once the first request finished, the key replays the same payment.
    assert client.payments.create(payment_data(), idempotency_key="same").id in ids


def test_parallel_refunds_never_exceed_the_amount(sandbox, client):
    payment = client.payments.create(payment_data(amount=amount("10.00")))
    sandbox.checkout(payment.id, "paid")

    def refund(_):
        try:
            _client(sandbox).payments.get(payment.id).refunds.create({"amount": amount("1.00")})
            return True
        except Exception:
            return False

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(refund, range(THREADS)))
    assert results.count(True) == 10
    after = client.payments.get(payment.id)
    assert after.amount_refunded == amount("10.00")
    assert after.amount_remaining == amount("0.00")


def test_parallel_checkout_and_cancel_agree(sandbox, client):
    payment = client.payments.create(payment_data())

    def pay(_):
        try:
            sandbox.checkout(payment.id, "paid")
            return "paid"
        except Exception:
            return "error"

    def cancel(_):
        try:
            _client(sandbox).payments.delete(payment.id)
            return "canceled"
        except Exception:
            return "refused"

    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(pay if n % 2 else cancel, n) for n in range(THREADS)]
        outcomes = [f.result() for f in futures]
    final = client.payments.get(payment.id).status
    assert final in ("paid", "canceled")
    assert outcomes.count("canceled") == (1 if final == "canceled" else 0)
