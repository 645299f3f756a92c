"""Fixtures shared by every test package."""

import pytest
from django.core.cache import cache
from django.db import connection


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
