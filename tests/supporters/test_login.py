"""Login codes: every rule in docs/security.md's "Login codes", one test each."""

import datetime
import time

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from supporters.models import LoginCode, Supporter

from ..conftest import FIXED_NOW
from .conftest import (
    enter_code,
    last_code,
    log_in,
    make_supporter,
    request_code,
    url,
    wrong_code,
)

pytestmark = pytest.mark.django_db


def test_the_whole_code_flow(client):
    supporter = make_supporter()
    response = request_code(client, "Ann@Example.org ")
    assert response.status_code == 303 and response["Location"] == url("login_code")
    page = client.get(response["Location"]).content.decode()
    assert "a code is on its way" in page
    assert 'value="ann@example.org"' in page  # remembered for the step, and editable
    assert 'inputmode="numeric"' in page and 'autocomplete="one-time-code"' in page
    code = last_code("ann@example.org")
    response = enter_code(client, "ann@example.org", code)
    assert response.status_code == 303 and response["Location"] == url("home")
    overview = client.get(url("home")).content.decode()
    assert "Hello Ann" in overview and supporter.email in overview


def test_code_email_in_both_forms_and_languages(client):
    make_supporter()
    request_code(client, "ann@example.org", language="nl")
    message = mail.outbox[-1]
    assert message.subject == "Je inlogcode"
    html = message.alternatives[0][0]
    code = last_code()
    assert code in html and "font-size:32px" in html  # large, and copyable as text
    assert "10 minuten" in message.body
    assert "negeren" in message.body  # "ignore this if it was not you"
    request_code(client, "ann@example.org", language="en")
    assert mail.outbox[-1].subject == "Your login code"
    assert "ignore this email" in mail.outbox[-1].body


def test_session_key_is_rotated_on_login(client):
    supporter = make_supporter()
    request_code(client, supporter.email)
    before = client.session.session_key
    enter_code(client, supporter.email, last_code())
    after = client.session.session_key
    assert before and after and before != after


def test_logout_flushes_the_session(client):
    supporter = make_supporter()
    log_in(client, supporter)
    key = client.session.session_key
    response = client.post(url("logout"))
    assert response.status_code == 303
    assert client.session.session_key != key and "supporter_id" not in client.session
    assert client.get(url("home")).status_code == 302
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=key).exists()


def test_logout_needs_post(client):
    supporter = make_supporter()
    log_in(client, supporter)
    assert client.get(url("logout")).status_code == 405
    assert client.get(url("home")).status_code == 200


def test_code_expires_after_ten_minutes(client, monkeypatch):
    supporter = make_supporter()
    request_code(client, supporter.email)
    code = last_code()
    later = timezone.now() + timezone.timedelta(minutes=10, seconds=1)
    monkeypatch.setattr("supporters.services.timezone.now", lambda: later)
    response = enter_code(client, supporter.email, code)
    assert response.status_code == 400
    html = response.content.decode()
    assert "That code has expired" in html and "Send a new code" in html


def test_code_works_at_nine_minutes(client, monkeypatch):
    supporter = make_supporter()
    request_code(client, supporter.email)
    later = timezone.now() + timezone.timedelta(minutes=9)
    monkeypatch.setattr("supporters.services.timezone.now", lambda: later)
    assert enter_code(client, supporter.email, last_code()).status_code == 303


def test_code_works_once(client):
    supporter = make_supporter()
    request_code(client, supporter.email)
    code = last_code()
    assert enter_code(client, supporter.email, code).status_code == 303
    client.post(url("logout"))
    response = enter_code(client, supporter.email, code)
    assert response.status_code == 400
    assert "already been used" in response.content.decode()


def test_five_wrong_tries_kill_the_code(client):
    supporter = make_supporter()
    request_code(client, supporter.email)
    code = last_code()
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    messages = [enter_code(client, supporter.email, wrong).content.decode() for _ in range(5)]
    assert all("That code is not right" in m for m in messages[:4])
    assert "Too many wrong tries" in messages[4]
    response = enter_code(client, supporter.email, code)
    assert response.status_code == 429 and "Too many wrong tries" in response.content.decode()
    assert LoginCode.objects.get(supporter=supporter).failed_attempts == 5


def test_a_new_code_replaces_the_old(client):
    supporter = make_supporter()
    request_code(client, supporter.email)
    first = last_code()
    request_code(client, supporter.email)
    second = last_code()
    assert LoginCode.objects.filter(supporter=supporter).count() == 1
    if first != second:
        assert "not right" in enter_code(client, supporter.email, first).content.decode()
    assert enter_code(client, supporter.email, second).status_code == 303


def test_a_new_code_does_not_refill_the_wrong_try_budget(client, fixed_clock):
    """Finding 6: asking for a new code must not buy five more guesses."""
    supporter = make_supporter()
    request_code(client, supporter.email)
    for _ in range(5):
        enter_code(client, supporter.email, wrong_code(last_code()))
    request_code(client, supporter.email)
    refused = enter_code(client, supporter.email, last_code())
    assert refused.status_code == 429 and "Too many wrong tries" in refused.content.decode()
    fixed_clock.shift(datetime.timedelta(minutes=16))  # the budget's window closes
    request_code(client, supporter.email)
    assert enter_code(client, supporter.email, last_code()).status_code == 303


def _answers_after_the_budget(email: str, clock, typed: str | None = None) -> tuple[list, str]:
    browser = Client()
    request_code(browser, email)
    typed = typed or wrong_code(last_code())
    answers = []
    for _ in range(6):
        answers.append(enter_code(browser, email, typed))
    clock.shift(datetime.timedelta(minutes=16))
    answers.append(enter_code(browser, email, typed))
    answers.append(request_code(browser, email))
    answers.append(enter_code(browser, email, typed))
    return [
        (answer.status_code, answer.content.decode().replace(email, "EMAIL")) for answer in answers
    ], typed


def test_wrong_tries_past_the_budget_and_its_window_tell_nothing(client, fixed_clock):
    """Finding 5: six wrong codes, the window passes, one more: the same for both addresses."""
    make_supporter()
    known, typed = _answers_after_the_budget("ann@example.org", fixed_clock)
    # The same six digits for the unknown address (which has no code at all).
    unknown, _ = _answers_after_the_budget("nobody@example.org", fixed_clock, typed)
    assert [status for status, _ in known] == [400, 400, 400, 400, 429, 429, 400, 303, 400]
    assert known == unknown


@pytest.mark.parametrize("email", ["ann@example.org", "nobody@example.org"])
def test_at_most_three_codes_per_address_per_fifteen_minutes(client, email):
    if email == "ann@example.org":
        make_supporter()
    statuses = [
        request_code(client, email, REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(4)
    ]
    assert statuses == [303, 303, 303, 429]
    assert "wait 15 minutes" in request_code(client, email).content.decode()
    sent = [m for m in mail.outbox if m.to == [email]]
    assert len(sent) == (3 if email == "ann@example.org" else 0)


@override_settings(LOGIN_CODE_CLIENT_LIMIT=2)
def test_per_client_limit(client):
    statuses = [
        request_code(client, f"person{n}@example.org", REMOTE_ADDR="203.0.113.5").status_code
        for n in range(3)
    ]
    assert statuses == [303, 303, 429]
    assert request_code(client, "x@example.org", REMOTE_ADDR="203.0.113.6").status_code == 303


def test_only_a_keyed_hash_is_stored(client, monkeypatch):
    # A known code on a stopped clock: no timestamp's microseconds, and no hash of a random
    # code, can then hold the same six digits by chance.
    monkeypatch.setattr("supporters.services.secrets.randbelow", lambda _n: 314159)
    with time_machine.travel(FIXED_NOW, tick=False):
        supporter = make_supporter()
        request_code(client, supporter.email)
    code = last_code()
    assert code == "314159"
    stored = LoginCode.objects.get(supporter=supporter)
    assert len(stored.code_hash) == 64 and code not in stored.code_hash
    assert (
        stored.code_hash
        == salted_hmac(
            "supporters.login-code", f"login:{supporter.pk}:{code}", algorithm="sha256"
        ).hexdigest()
    )
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from introspection)
            assert code not in repr(cursor.fetchall()), table


def test_unknown_addresses_get_the_same_answers(client):
    make_supporter()
    answers = {}
    typed = None
    for email in ("ann@example.org", "nobody@example.org"):
        browser = Client()
        asked = request_code(browser, email)
        typed = typed or wrong_code(last_code())  # wrong for Ann; any code is for nobody
        page = browser.get(asked["Location"])
        wrong = enter_code(browser, email, typed)
        answers[email] = (
            asked.status_code,
            asked["Location"],
            page.status_code,
            page.content.decode().replace(email, "EMAIL"),
            wrong.status_code,
            wrong.content.decode().replace(email, "EMAIL"),
        )
    assert answers["ann@example.org"] == answers["nobody@example.org"]


def test_unknown_addresses_answer_in_the_same_timing_class(client, settings):
    settings.LOGIN_CODE_MIN_RESPONSE_SECONDS = 0.3
    make_supporter()
    timings = {}
    for email in ("ann@example.org", "nobody@example.org"):
        started = time.monotonic()
        request_code(Client(), email)
        timings[email] = time.monotonic() - started
    known, unknown = timings["ann@example.org"], timings["nobody@example.org"]
    assert known >= 0.3 and unknown >= 0.3, timings
    assert abs(known - unknown) < 0.2, timings


def test_too_many_tries_also_for_unknown_addresses(client):
    messages = [
        enter_code(client, "nobody@example.org", "111111").content.decode() for _ in range(6)
    ]
    assert "not right" in messages[0] and "Too many wrong tries" in messages[5]


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "12 34 5x", ""])
def test_malformed_codes_get_a_message(client, code):
    response = enter_code(client, "ann@example.org", code)
    assert response.status_code == 400
    assert 'id="id_code_error"' in response.content.decode()


def test_codes_with_spaces_are_accepted(client):
    supporter = make_supporter()
    request_code(client, supporter.email)
    code = last_code()
    assert enter_code(client, supporter.email, f"{code[:3]} {code[3:]}").status_code == 303


def test_a_login_code_never_opens_the_admin(client):
    get_user_model().objects.create_user(
        "boss", "boss@example.org", "pw", is_staff=True, is_superuser=True
    )
    make_supporter(email="boss@example.org", name="Boss")
    log_in(client, Supporter.objects.get(email="boss@example.org"))
    assert client.get(url("home")).status_code == 200
    admin = client.get("/admin/")
    assert admin.status_code == 302 and "/admin/login/" in admin["Location"]
    assert "_auth_user_id" not in client.session


def test_messages_are_translated(client):
    make_supporter()
    request_code(client, "ann@example.org", language="nl")
    response = enter_code(client, "ann@example.org", wrong_code(last_code()), language="nl")
    assert "Die code klopt niet" in response.content.decode()


def test_forms_from_other_sites_are_refused(client):
    make_supporter()
    cross = {"headers": {"Sec-Fetch-Site": "cross-site"}}
    assert client.post(url("login"), {"email": "ann@example.org"}, **cross).status_code == 403
    assert mail.outbox == []
    response = client.post(url("login_code"), {"email": "a@b.org", "code": "123456"}, **cross)
    assert response.status_code == 403


def test_reading_the_login_pages_sets_no_cookie(client):
    for name in ("login", "login_code"):
        response = client.get(url(name))
        assert response.status_code == 200 and not response.cookies, name


def test_next_leads_back_but_never_off_site(client):
    supporter = make_supporter()
    response = client.get(url("profile"))
    assert response["Location"] == f"{url('login')}?next=%2Fen%2Fsupporters%2Fprofile%2F"
    asked = client.post(response["Location"], {"email": supporter.email})
    assert asked["Location"] == f"{url('login_code')}?next=%2Fen%2Fsupporters%2Fprofile%2F"
    request_code(client, supporter.email)
    code = last_code()
    back = client.post(
        url("login_code") + "?next=/en/supporters/profile/",
        {"email": supporter.email, "code": code},
    )
    assert back["Location"] == "/en/supporters/profile/"
    client.post(url("logout"))
    request_code(client, supporter.email)
    away = client.post(
        url("login_code") + "?next=https://evil.example/",
        {"email": supporter.email, "code": last_code()},
    )
    assert away["Location"] == url("home")


def test_a_key_rotation_keeps_sessions_and_codes_in_flight(client, settings):
    """Keyed hashes come from salted_hmac and are checked against SECRET_KEY_FALLBACKS."""
    ann = make_supporter()
    log_in(client, ann)
    browser = Client()
    request_code(browser, ann.email)
    code = last_code()
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-key-after-rotation-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert client.get(url("home")).status_code == 200
    assert enter_code(browser, ann.email, code).status_code == 303
    settings.SECRET_KEY_FALLBACKS = []  # the old key retired: its sessions end
    assert client.get(url("home")).status_code == 302
