"""Two app servers sharing PostgreSQL and Redis: effects happen once, limits hold across both.

Starts two gunicorn processes on two ports against the test database and a Redis database of
their own, then sends the same webhooks and the same login-code requests to both at once.
Skipped (with the reason) without PostgreSQL or without Redis.
"""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from core.models import EmailLog
from donations import services
from donations.models import Payment, Subscription

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("SCALE_OUT_REDIS_URL", "redis://127.0.0.1:6379/15")

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]


def _redis_available() -> bool:
    parts = urllib.parse.urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def _listening_socket() -> socket.socket:
    """A socket bound and listening on a free port, handed to gunicorn as it is.

    Picking a port, closing the probe and letting the server bind later could give both
    servers the same port, or one another program took in between.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _post(url: str, data: dict) -> int:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode())
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def two_servers(sandbox, tmp_path, on_postgres):
    if not _redis_available():
        pytest.skip(f"needs Redis at {REDIS_URL}")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    sandbox.wait_for_webhooks(5)
    sandbox.reset()
    database = connection.settings_dict
    # The servers inherit PYTEST_VERSION, so they use the test settings' defaults (plain static
    # files, the same secret key); what they share with each other is set explicitly here.
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "CACHE_URL": REDIS_URL,
        "EMAIL_URL": f"filemail:///{tmp_path}",  # django-environ drops one leading slash
        "MOLLIE_API_KEY": "test_scaleout0123456789012345678901",
        "MOLLIE_API_ENDPOINT": sandbox.base_url,
        "MOLLIE_WEBHOOK_BASE_URL": "",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOGIN_CODE_MIN_RESPONSE_SECONDS": "0",
    }
    servers, urls = [], []
    sockets = [_listening_socket() for _ in range(2)]
    for sock in sockets:
        servers.append(
            subprocess.Popen(
                [
                    *(
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "config.wsgi",
                        "-b",
                        f"fd://{sock.fileno()}",
                    ),
                    *("--workers", "2", "--threads", "4", "--log-level", "warning"),
                ],
                cwd=ROOT,
                env=env,
                pass_fds=(sock.fileno(),),
            )
        )
        urls.append(f"http://127.0.0.1:{sock.getsockname()[1]}")
    try:
        for url in urls:
            for _ in range(100):
                try:
                    with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                        break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail(f"{url} did not start")
        yield urls, tmp_path
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        for sock in sockets:
            sock.close()


def test_webhooks_on_two_servers_have_one_effect(two_servers, sandbox, settings):
    (first, second), mail_dir = two_servers
    settings.MOLLIE_API_KEY = "test_scaleout0123456789012345678901"
    settings.MOLLIE_API_ENDPOINT = sandbox.base_url
    settings.MOLLIE_WEBHOOK_BASE_URL = ""
    donation, _ = services.donation_start(
        amount=Decimal("10.00"),
        frequency="monthly",
        name="Two Servers",
        email="two@example.org",
        language="en",
        site_url=first,
        client_key="test",
    )
    mollie_id = donation.payments.get().mollie_id
    sandbox.checkout(mollie_id, "paid")

    statuses = []
    barrier = threading.Barrier(20)

    def call(url: str) -> None:
        barrier.wait()
        statuses.append(_post(f"{url}{services.webhook_path()}", {"id": mollie_id}))

    threads = [threading.Thread(target=call, args=(url,)) for url in [first, second] * 10]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) <= {200, 503} and 200 in statuses, statuses
    if 503 in statuses:  # a call that met a busy lock asks Mollie to come back; it does
        assert _post(f"{first}{services.webhook_path()}", {"id": mollie_id}) == 200

    assert Payment.objects.get(mollie_id=mollie_id).status == "paid"
    assert Subscription.objects.filter(donation=donation).count() == 1
    assert len(sandbox.store.subscriptions) == 1
    assert EmailLog.objects.filter(kind="donations/welcome_monthly").count() == 1
    sent = list(mail_dir.iterdir())
    assert len(sent) == 1, sent
    assert "Welcome as a regular supporter" in sent[0].read_text()


def test_login_code_limits_hold_across_both_servers(two_servers):
    (first, second), mail_dir = two_servers
    from supporters.models import Supporter

    Supporter.objects.create(email="limits@example.org", name="Limits")
    statuses = [
        _post(f"{url}/en/supporters/login/", {"email": "limits@example.org"})
        for url in (first, second, first, second, first)
    ]
    assert statuses == [303, 303, 303, 429, 429]
    assert len(list(mail_dir.iterdir())) == 3
