"""Rate limits hold across processes, and the store they use passes the deployment checks.
What they hold off is tested per attacker in tests/security/test_a_flood.py."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from core import checks, ratelimit

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.django_db


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.real_clock  # the other process counts on the real clock
@pytest.mark.django_db(transaction=True)  # the other process reads what this one committed
def test_another_process_counts_in_the_same_window():
    """Two gunicorn workers (or machines) count together, with no Redis configured."""
    assert ratelimit.count_hit(scope="test", key="k", window=60) == 1
    assert ratelimit.count_hit(scope="test", key="k", window=60) == 2
    program = (
        "import django; django.setup(); from core import ratelimit; "
        "print(ratelimit.count_hit(scope='test', key='k', window=60))"
    )
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("CACHE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "3"
    assert ratelimit.count(scope="test", key="k") == 3


def test_a_window_closes_and_a_new_one_opens(fixed_clock):
    import datetime

    assert not ratelimit.hit(scope="t", key="k", limit=0, window=60)
    assert ratelimit.count(scope="t", key="k") == 1
    fixed_clock.shift(datetime.timedelta(seconds=61))
    assert ratelimit.count(scope="t", key="k") == 0
    assert ratelimit.hit(scope="t", key="k", limit=1, window=60)
    fixed_clock.shift(datetime.timedelta(seconds=61))
    assert ratelimit.purge_expired() == 1


def test_the_default_store_is_the_database_and_passes_the_deploy_check(settings):
    assert settings.RATELIMIT_STORE == "database"
    assert checks.rate_limit_store_check(None) == []


@override_settings(RATELIMIT_STORE="cache:default")
def test_deploy_check_warns_about_a_per_process_store_shared_with_pages():
    ids = {warning.id for warning in checks.rate_limit_store_check(None)}
    assert ids == {"core.W002", "core.W003"}


@override_settings(
    RATELIMIT_STORE="cache:ratelimit",
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
            "KEY_PREFIX": "ratelimit",
        },
    },
)
def test_deploy_check_accepts_a_shared_store_of_its_own():
    assert checks.rate_limit_store_check(None) == []


@override_settings(RATELIMIT_STORE="somewhere")
def test_deploy_check_names_an_unknown_store():
    assert [w.id for w in checks.rate_limit_store_check(None)] == ["core.W001"]
