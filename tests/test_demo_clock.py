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


def test_the_demo_reconciles_with_the_sandbox_in_the_background(monkeypatch):
    """The sandbox sends no webhook for a charge it is still collecting; `make run` runs
    reconciliation every minute, as production's timer does, so the area shows it."""
    import subprocess
    import threading

    from core.management.commands import run_dev

    ran = []
    called = threading.Event()

    def run(command, **kwargs):
        ran.append((command, kwargs["cwd"]))
        called.set()
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(run_dev.subprocess, "run", run)
    stop = run_dev.Command()._reconcile_every(0.01)
    try:
        assert called.wait(5)
    finally:
        stop.set()
    command, cwd = ran[0]
    assert command[1:3] == ["manage.py", "sync_payments"] and (cwd / "manage.py").exists()
    assert run_dev.RECONCILE_SECONDS <= 60


def test_reconciliation_beside_the_demo_keeps_the_sandbox_s_time(demo_sandbox, settings):
    """`make run`'s reconciliation runs as a command, outside any request: it keeps the
    sandbox's time too, or a gift compared "a day ago" by the moved clock would never be due
    again by the real one (the area's next date stayed behind the sandbox's)."""
    from core.demo_clock import demo_clock_for_command

    demo_clock_uninstall()
    demo_sandbox.advance_clock(days=40)
    settings.MIDDLEWARE = ["core.demo_clock.DemoClockMiddleware", *settings.MIDDLEWARE]
    before = timezone.now()
    assert demo_clock_for_command()
    assert timezone.now() - before > datetime.timedelta(days=39)
    settings.MIDDLEWARE = settings.MIDDLEWARE[1:]
    demo_clock_uninstall()
    assert not demo_clock_for_command()  # without the demo: the real clock
    assert timezone.now() - before < datetime.timedelta(days=1)
