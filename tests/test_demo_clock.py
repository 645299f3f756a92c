"""`make run`: the site keeps the sandbox's time, so a charge the sandbox's clock brought is in
the right month on the site too (and the area's dates agree with it)."""

import datetime

import pytest
from django.utils import timezone

from core.demo_clock import demo_clock_install, demo_clock_refresh, demo_clock_uninstall


@pytest.fixture
def demo_sandbox(settings, sandbox):
    settings.MOLLIE_API_ENDPOINT = sandbox.base_url
    sandbox.reset()
    demo_clock_install()
    yield sandbox
    demo_clock_uninstall()
    sandbox.reset()


def test_the_site_follows_the_sandbox_s_clock_in_the_demo(demo_sandbox):
    before = timezone.now()
    demo_sandbox.advance_clock(days=40)
    demo_clock_refresh(force=True)
    moved = timezone.now() - before
    assert datetime.timedelta(days=39, hours=23) < moved < datetime.timedelta(days=40, hours=1)
    assert (
        timezone.localdate()
        == (before + datetime.timedelta(days=40)).astimezone(timezone.get_current_timezone()).date()
    )


def test_without_the_demo_the_site_keeps_its_own_time(settings):
    from django.conf import settings as live

    assert "core.demo_clock.DemoClockMiddleware" not in live.MIDDLEWARE
    assert timezone.now.__module__ == "django.utils.timezone"
