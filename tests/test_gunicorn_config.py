"""The shipped gunicorn configuration (`deploy/gunicorn.conf.py`) keeps readers moving while
form posts wait out their minimum answer time.

A login-code or donation form is answered no sooner than a fixed minimum, so that the time
taken tells nothing about the address; the wait holds the thread it runs in. gunicorn keeps a
connection with the worker that accepted it, so a worker must have threads to spare beyond
the waits it holds (docs/deploy.md, "gunicorn: workers and threads"). The server here is the
shipped configuration with one worker, against an empty SQLite file: the invalid form and the
health check need no tables.
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
from pathlib import Path

import pytest
from django.conf import settings

from bench.common import wait_for

ROOT = Path(__file__).resolve().parent.parent
WAITING_POSTS = 4  # as many as a worker had threads before
MIN_ANSWER_SECONDS = 4


@pytest.fixture
def one_worker(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.set_inheritable(True)
    env = {
        # The shipped settings, not whatever this shell overrides.
        **{name: value for name, value in os.environ.items() if not name.startswith("GUNICORN_")},
        "GUNICORN_BIND": f"fd://{sock.fileno()}",
        "GUNICORN_WORKERS": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "CACHE_URL": "locmemcache://",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOGIN_CODE_MIN_RESPONSE_SECONDS": str(MIN_ANSWER_SECONDS),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        pass_fds=(sock.fileno(),),
    )
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        wait_for(f"{url}/healthz", server, seconds=30)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        sock.close()


def _post_invalid_login(url: str, answers: list) -> None:
    data = urllib.parse.urlencode({"email": "not an address"}).encode()
    try:
        urllib.request.urlopen(f"{url}/en/supporters/login/", data=data, timeout=30)
    except urllib.error.HTTPError as error:
        answers.append(error.code)


def test_readers_are_not_queued_behind_waiting_form_posts(one_worker):
    answers: list[int] = []
    posts = [
        threading.Thread(target=_post_invalid_login, args=(one_worker, answers))
        for _ in range(WAITING_POSTS)
    ]
    for post in posts:
        post.start()
    time.sleep(1)  # the posts are in the worker, each waiting out its minimum time
    with urllib.request.urlopen(f"{one_worker}/healthz", timeout=30) as response:
        assert response.status == 200
    # The reader was answered while every post was still waiting.
    assert answers == [] and all(post.is_alive() for post in posts)
    for post in posts:
        post.join()
    assert answers == [400] * WAITING_POSTS


def test_a_worker_keeps_what_it_loaded_out_of_the_garbage_collectors_sight(monkeypatch):
    """What a worker loads at its start and in its first requests lives as long as the worker;
    collected once and frozen, it is not walked by every full collection, which holds all the
    worker's threads. (Counting frozen objects cannot show it: a frozen object is still freed
    when nothing refers to it, so the count moves on its own.)"""
    import gc
    import runpy
    from types import SimpleNamespace

    calls = []
    monkeypatch.setattr(gc, "collect", lambda *args: calls.append("collect"))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    hooks = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    worker = SimpleNamespace(nr=0)
    hooks["post_worker_init"](worker)
    assert calls == ["collect", "freeze"]
    for served in range(1, hooks["FREEZE_AFTER_REQUESTS"] + 5):
        worker.nr = served
        hooks["post_request"](worker, None, {}, None)
        expected = 4 if served >= hooks["FREEZE_AFTER_REQUESTS"] else 2
        assert len(calls) == expected, served  # once more after the warm-up, and only once
    assert calls == ["collect", "freeze"] * 2
