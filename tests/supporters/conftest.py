"""Supporter tests: the login-code flow and the supporter area."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.translation import override

from supporters.models import Supporter

from ..donations.conftest import pay, start

CODE_RE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)


@pytest.fixture(autouse=True)
def quick_login(settings):
    """No minimum answer time, except in the test that measures it."""
    settings.LOGIN_CODE_MIN_RESPONSE_SECONDS = 0


def url(name: str, language: str = "en", **kwargs) -> str:
    with override(language):
        return reverse(f"supporters:{name}", kwargs=kwargs)


def make_supporter(email: str = "ann@example.org", name: str = "Ann", **fields) -> Supporter:
    return Supporter.objects.create(email=email, name=name, **fields)


def last_code(to: str | None = None) -> str:
    """The code in the newest email (to `to`, when given)."""
    messages = [m for m in mail.outbox if to is None or m.to == [to]]
    assert messages, "no email sent"
    match = CODE_RE.search(messages[-1].body)
    assert match, messages[-1].body
    return match.group(1)


def wrong_code(code: str) -> str:
    """A code that is certainly not `code` (a fixed "wrong" code is right once in a million)."""
    return f"{(int(code) + 1) % 10**6:06d}"


def request_code(client, email: str, language: str = "en", **extra):
    return client.post(url("login", language), {"email": email}, **extra)


def enter_code(client, email: str, code: str, language: str = "en"):
    return client.post(url("login_code", language), {"email": email, "code": code})


def log_in(client, supporter: Supporter) -> None:
    """Log in the way a supporter does: ask for a code, read the email, enter the code."""
    mail.outbox.clear()
    assert request_code(client, supporter.email).status_code == 303
    response = enter_code(client, supporter.email, last_code(supporter.email))
    assert response.status_code == 303 and response["Location"] == url("home")


# Every page of the area but the overview: closed to a session not opened with a code.
CLOSED_TO_LIMITED = [
    ("monthly", {}),
    ("monthly_stop", {}),
    ("profile", {}),
    ("privacy", {}),
    ("export", {}),
    ("erase", {}),
    ("email_confirm", {}),
    ("statement", {"year": 2026}),
    ("monthly_pause", {}),
    ("monthly_resume", {}),
    ("payment_method", {}),
    ("payment_method_return", {"token": "x" * 32}),
    ("agreement_new", {}),
    ("agreement", {"number": "PG-2026-00001"}),
    *[
        (name, {"gift": 1})
        for name in (
            "monthly",
            "monthly_stop",
            "monthly_pause",
            "monthly_resume",
            "payment_method",
            "agreement_new",
        )
    ],
]


def give_and_enter(browser, sandbox, **fields):
    """Give from `browser`, pay, and press the success page's button there."""
    donation, mollie_id = start(browser, **fields)
    pay(browser, sandbox, donation, mollie_id)
    response = browser.post(url("enter_after_gift", token=donation.public_token))
    return donation, response
