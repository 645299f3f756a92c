"""A flood: one client, or one network, sending as many requests as it can.

Each budget is counted in a store every app process shares and page traffic cannot evict
(core/ratelimit.py), or per process where a per-process bound is enough (Mollie's webhook,
tests/security/test_a_forged_webhook.py); an IPv6 client counts as its whole /64. The answer
is the same for every address, known or not.
"""

import pytest
from django.core import mail
from django.test import Client

from core import ratelimit
from supporters.models import Supporter

from ..supporters.conftest import enter_code, last_code, make_supporter, request_code, url

pytestmark = pytest.mark.django_db


def test_guessing_codes_across_many_addresses_from_one_client_runs_out(settings):
    """Finding 6: 30 addresses, 5 wrong codes each, from one client: only the budget per
    address applied, never one for the client."""
    guesser = Client(REMOTE_ADDR="198.51.100.23")
    answers = []
    for n in range(30):
        email = f"person{n}@example.org"
        if n % 2:
            make_supporter(email, f"Person {n}")
        answers += [enter_code(guesser, email, "123456") for _ in range(5)]
    statuses = [answer.status_code for answer in answers]
    budget = settings.LOGIN_CODE_CLIENT_WRONG_TRIES
    per_address = [400] * (settings.LOGIN_CODE_WRONG_TRIES - 1) + [429]
    assert statuses[:budget] == per_address * (budget // settings.LOGIN_CODE_WRONG_TRIES)
    assert set(statuses[budget:]) == {429}
    # The same words for every address, known or not.
    refusals = {a.content.decode().replace(e, "EMAIL") for a, e in _with_emails(answers, budget)}
    assert len(refusals) == 1 and "Too many wrong tries" in next(iter(refusals))


def _with_emails(answers, budget):
    emails = [f"person{n}@example.org" for n in range(30) for _ in range(5)]
    return list(zip(answers, emails, strict=True))[budget:]


def test_the_right_code_from_a_client_that_guessed_too_much_waits_too(settings, fixed_clock):
    ann = make_supporter()
    guesser = Client(REMOTE_ADDR="198.51.100.24")
    for n in range(settings.LOGIN_CODE_CLIENT_WRONG_TRIES):
        enter_code(guesser, f"nobody{n // 4}@example.org", "123456")
    request_code(guesser, ann.email)
    assert enter_code(guesser, ann.email, last_code()).status_code == 429
    # Ann herself, from her own network, is not held up by it.
    assert enter_code(Client(), ann.email, last_code()).status_code == 303


def test_an_ipv6_client_is_counted_by_its_64(settings):
    for n in range(settings.LOGIN_CODE_CLIENT_WRONG_TRIES):
        browser = Client(REMOTE_ADDR=f"2001:db8:aa:bb::{n + 1:x}")
        enter_code(browser, f"someone{n}@example.org", "123456")
    elsewhere_in_the_64 = Client(REMOTE_ADDR="2001:db8:aa:bb:1234:5678:9abc:def0")
    assert enter_code(elsewhere_in_the_64, "last@example.org", "123456").status_code == 429
    another_64 = Client(REMOTE_ADDR="2001:db8:aa:bc::1")
    assert enter_code(another_64, "last@example.org", "123456").status_code == 400


def test_client_keys_group_ipv6_by_64_and_keep_ipv4_whole():
    net = ratelimit.client_network
    assert net("2001:db8:1:2:3:4:5:6") == net("2001:db8:1:2::9") == "2001:db8:1:2::/64"
    assert net("2001:db8:1:3::1") != net("2001:db8:1:2::1")
    assert net("::ffff:198.51.100.7") == net("198.51.100.7") == "198.51.100.7"
    assert net("198.51.100.7") != net("198.51.100.8")
    assert net("") == "" and net("not an address") == "not an address"


def test_page_traffic_cannot_reset_a_login_code_limit(client):
    Supporter.objects.create(email="ann@example.org", name="Ann")
    ask = lambda: client.post(url("login"), {"email": "ann@example.org"})  # noqa: E731
    assert [ask().status_code for _ in range(3)] == [303, 303, 303]
    for n in range(400):  # more pages than the local-memory cache keeps (300)
        client.get(f"/en/?flood={n}")
    assert ask().status_code == 429
    assert len(mail.outbox) == 3


def test_page_traffic_cannot_reset_the_wrong_code_budget(settings):
    guesser = Client(REMOTE_ADDR="198.51.100.25")
    for n in range(settings.LOGIN_CODE_CLIENT_WRONG_TRIES):
        enter_code(guesser, f"x{n}@example.org", "123456")
    for n in range(400):
        guesser.get(f"/en/?flood={n}")
    assert enter_code(guesser, "y@example.org", "123456").status_code == 429
