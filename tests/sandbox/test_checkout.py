"""The test checkout page: every outcome, the redirect back, and the change-state page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from .helpers import REDIRECT, payment_data, raw

CANCEL = "https://site.example/cancel/abc"


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.radios, self.labels, self.html_lang = [], set(), None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if tag == "input" and attrs.get("type") == "radio":
            self.radios.append(attrs)
        if tag == "label" and "for" in attrs:
            self.labels.add(attrs["for"])


def test_checkout_page_offers_labelled_outcomes_and_methods(client, sandbox):
    payment = client.payments.create(payment_data())
    status, headers, body = raw("GET", payment.checkout_url)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    parser = _Inputs()
    parser.feed(body)
    assert parser.html_lang == "en"
    outcomes = {r["value"] for r in parser.radios if r["name"] == "status"}
    assert outcomes == {"paid", "failed", "canceled", "expired", "open"}
    assert "ideal" in {r["value"] for r in parser.radios if r["name"] == "method"}
    assert all(r["id"] in parser.labels for r in parser.radios)
    assert "http://" not in body.replace(REDIRECT, "")  # no external assets


@pytest.mark.parametrize("outcome", ["paid", "failed", "expired", "canceled", "open"])
def test_form_post_applies_outcome_and_redirects(client, outcome):
    payment = client.payments.create(payment_data())
    status, headers, _ = raw("POST", payment.checkout_url, form={"status": outcome})
    assert status == 303
    assert headers["Location"] == REDIRECT
    fetched = client.payments.get(payment.id)
    assert fetched.status == outcome
    if outcome == "paid":
        assert fetched.is_paid()
        assert fetched.method == "ideal"
        assert fetched.paid_at
        assert fetched.amount_remaining == {"currency": "EUR", "value": "10.00"}
        assert fetched.checkout_url is None
        assert fetched.changepaymentstate_url
    elif outcome == "open":
        assert fetched.checkout_url == payment.checkout_url
    else:
        assert fetched[f"{outcome}At"]
        assert not fetched.is_paid()


def test_cancel_goes_to_cancel_url_when_given(client):
    payment = client.payments.create(payment_data(cancelUrl=CANCEL))
    status, headers, _ = raw("POST", payment.checkout_url, form={"status": "canceled"})
    assert status == 303
    assert headers["Location"] == CANCEL
    paid = client.payments.create(payment_data(cancelUrl=CANCEL))
    _, headers, _ = raw("POST", paid.checkout_url, form={"status": "paid"})
    assert headers["Location"] == REDIRECT


def test_chosen_method_is_recorded(client):
    payment = client.payments.create(payment_data())
    raw("POST", payment.checkout_url, form={"status": "paid", "method": "creditcard"})
    fetched = client.payments.get(payment.id)
    assert fetched.method == "creditcard"
    assert fetched.details["cardNumber"]


def test_final_payment_is_not_changed_again(client, sandbox):
    payment = client.payments.create(payment_data())
    sandbox.checkout(payment.id, "failed")
    status, headers, _ = raw("POST", payment.checkout_url, form={"status": "paid"})
    assert status == 303
    assert headers["Location"] == REDIRECT
    assert client.payments.get(payment.id).status == "failed"
    status, _, body = raw("GET", payment.checkout_url)
    assert status == 200
    assert "already failed" in body


def test_bad_outcome_and_unknown_payment(client, sandbox):
    payment = client.payments.create(payment_data())
    status, _, _ = raw("POST", payment.checkout_url, form={"status": "refunded"})
    assert status == 400
    status, _, _ = raw("GET", f"{sandbox.base_url}/checkout/tr_unknown12345")
    assert status == 404


def test_helper_returns_redirect(client, sandbox):
    payment = client.payments.create(payment_data(cancelUrl=CANCEL))
    assert sandbox.checkout(payment.id, "canceled") == CANCEL


def test_change_state_page_for_paid_payment_offers_chargeback(client, sandbox):
    payment = client.payments.create(payment_data())
    sandbox.checkout(payment.id, "paid")
    url = client.payments.get(payment.id).changepaymentstate_url
    status, _, body = raw("GET", url)
    assert status == 200
    assert "chargeback" in body.lower()
    status, headers, _ = raw(
        "POST",
        f"{sandbox.base_url}/_sandbox/payments/{payment.id}/chargeback",
        form={"amount": "4.00", "next": f"/change-state/{payment.id}"},
    )
    assert status == 303
    assert headers["Location"] == f"/change-state/{payment.id}"
    assert client.payments.get(payment.id)["amountChargedBack"]["value"] == "4.00"


def test_change_state_form_sets_status(client, sandbox, mandated_customer):
    payment = mandated_customer.payments.create(
        {
            "amount": {"currency": "EUR", "value": "5.00"},
            "description": "Recurring",
            "sequenceType": "recurring",
        }
    )
    assert payment.status == "pending"
    assert payment.checkout_url is None
    status, _, _ = raw("POST", payment.changepaymentstate_url, form={"status": "paid"})
    assert status == 303
    assert client.payments.get(payment.id).status == "paid"
    status, _, body = raw("POST", payment.changepaymentstate_url, form={"status": "failed"})
    assert status == 409
    assert "cannot go from paid" in body
