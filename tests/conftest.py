"""Fixtures shared by every test package."""

import pytest
from django.core.cache import cache
from django.db import connection

from mollie_sandbox import start_in_thread

# Webhook retries a fraction of a second apart, so tests of retrying finish quickly.
SANDBOX_WEBHOOK_SCHEDULE = (0, 0.05, 0.1, 0.2)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: no page, rate-limit count or lock leaks between."""
    cache.clear()
    yield
    cache.clear()


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
