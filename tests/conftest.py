"""Fixtures shared by every test package."""

import datetime
import socket

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection, transaction
from django.test import override_settings

from mollie_sandbox import start_in_thread

# Webhook retries a fraction of a second apart, so tests of retrying finish quickly.
SANDBOX_WEBHOOK_SCHEDULE = (0, 0.05, 0.1, 0.2)


@pytest.fixture(autouse=True, scope="session")
def _media_in_a_temporary_folder(tmp_path_factory):
    """Uploads (and the image sizes made from them) go to a folder of the test run's own."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture(autouse=True)
def _documented_limits(settings):
    """The limits the tests count against are the documented defaults, whatever the
    environment of the test run says."""
    settings.LOGIN_CODE_CLIENT_LIMIT = 10
    settings.LOGIN_CODE_CLIENT_WRONG_TRIES = 20
    settings.LOGIN_CODE_VALID_MINUTES = 10
    settings.LOGIN_CODE_WRONG_TRIES = 5
    settings.LOGIN_CODE_WINDOW_MINUTES = 15
    settings.LOGIN_CODES_PER_ADDRESS = 3
    settings.DONATION_START_LIMIT_PER_HOUR = 10
    settings.DIRECT_DEBIT_PER_CLIENT_PER_DAY = 3
    settings.DIRECT_DEBIT_PER_ADDRESS_PER_DAY = 2
    settings.DIRECT_DEBIT_PER_IBAN_PER_MONTH = 2
    settings.OBJECTION_LIMIT_PER_HOUR = 5
    settings.PUBLIC_CACHE_SECONDS = 60
    # No minimum answer times (tests of them set their own): they would only slow the run.
    settings.DONATION_START_MIN_RESPONSE_SECONDS = 0
    settings.LOGIN_CODE_MIN_RESPONSE_SECONDS = 0


@pytest.fixture(autouse=True)
def _commits_run_their_hooks(request, monkeypatch):
    """In a test that runs inside one transaction (plain `django_db`, rolled back at the end,
    much faster than emptying every table), what runs "after the commit" runs when the outermost
    block of the code under test ends, as in production: emails are sent, tasks queued. Without
    this, `transaction.on_commit` would wait for a commit that never comes.

    Tests with threads or other processes use `django_db(transaction=True)` and commit for real.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None or marker.kwargs.get("transaction") or (marker.args and marker.args[0]):
        yield
        return
    original = transaction.Atomic.__exit__

    def exit_then_run_hooks(self, exc_type, exc_value, traceback):
        result = original(self, exc_type, exc_value, traceback)
        connection = transaction.get_connection(self.using)
        only_the_tests_own = connection.in_atomic_block and all(
            block._from_testcase for block in connection.atomic_blocks
        )
        if only_the_tests_own and connection.run_on_commit and not connection.needs_rollback:
            hooks, connection.run_on_commit = connection.run_on_commit, []
            for _savepoints, hook, _robust in hooks:
                hook()
        return result

    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_then_run_hooks)
    original_on_commit = transaction.on_commit

    def on_commit_now_outside_a_block(func, using=None, robust=False):
        connection = transaction.get_connection(using)
        if connection.in_atomic_block and all(
            block._from_testcase for block in connection.atomic_blocks
        ):
            func()  # not inside a block of the code under test: as with autocommit
            return
        original_on_commit(func, using=using, robust=robust)

    monkeypatch.setattr(transaction, "on_commit", on_commit_now_outside_a_block)
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: no page, rate-limit count or lock leaks between."""
    cache.clear()
    yield
    cache.clear()


# Every test runs on a fixed clock: noon in Amsterdam in the middle of a month, a year and a
# summer-time period, so no test can cross midnight, a month or year boundary or a DST change
# while it runs. The clock ticks (timeouts and the sandbox's webhook timers still work).
FIXED_NOW = datetime.datetime(2026, 6, 15, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def fixed_clock(request):
    """The fixed clock above; tests marked `real_clock` or `browser` keep the real one."""
    marker = request.node.get_closest_marker
    if marker("real_clock") or marker("browser"):
        yield None
        return
    with time_machine.travel(FIXED_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def closed_url():
    """An address on this machine where connections are refused, for "Mollie is down".

    The port is bound but never listened on for the test's whole run, so no other program
    can take it (a fixed port such as 9 might be open on some machine).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://...)")


@pytest.fixture(scope="session")
def sandbox():
    """The local Mollie sandbox on a free port, for the whole test session (real HTTP)."""
    running = start_in_thread(webhook_schedule=SANDBOX_WEBHOOK_SCHEDULE, webhook_timeout=2)
    yield running
    running.stop()


@pytest.fixture
def staff(client, django_user_model):
    """A client logged in as a staff superuser, reading the admin in English."""
    user = django_user_model.objects.create_user(
        "staff", "staff@example.org", "pw", is_staff=True, is_superuser=True
    )
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
