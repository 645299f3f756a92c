"""Shared set-up for benchmarks: a fresh database of its own, Django configured for production."""

import os
import secrets
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BENCH_DB = "campaign_bench"


def setup_django() -> str:
    """Point Django at a new, empty benchmark database and migrate it; return its vendor.

    With DATABASE_URL set to PostgreSQL, a database named `campaign_bench` is (re)created on
    the same server; otherwise a temporary SQLite file is used. Production settings (DEBUG
    off), with an in-memory email backend so console output does not skew timings.
    """
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        base = url.rsplit("/", 1)[0]
        with psycopg.connect(f"{base}/postgres".replace("postgres://", "postgresql://", 1)) as db:
            db.autocommit = True
            db.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            db.execute(f'CREATE DATABASE "{BENCH_DB}"')
        os.environ["DATABASE_URL"] = f"{base}/{BENCH_DB}"
    else:
        handle, path = tempfile.mkstemp(prefix="bench-", suffix=".sqlite3")
        os.close(handle)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["DEBUG"] = "0"
    os.environ["HTTPS"] = "0"
    os.environ["EMAIL_URL"] = "memorymail://"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    # The staff pages are timed for their figures, not their login: the benchmark's staff
    # member has the permission it needs and no second factor.
    os.environ["STAFF_OTP_REQUIRED"] = "0"

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.db import connection

    return connection.vendor


def server_workdir(prefix: str, folders: tuple[str, ...]) -> Path:
    """A temporary folder for a server started as root (nginx, php-fpm), whose workers drop
    root rights: they may read it, and write to each of `folders` in it."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    work.chmod(0o755)
    for name in folders:
        (work / name).mkdir()
        (work / name).chmod(0o777)
    return work


def p50_ms(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of `action` in milliseconds over `repeat` runs (after one warm-up)."""
    action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen | None = None, seconds: float = 10) -> None:
    """Wait until `url` answers; stop `process` and raise when it does not in time."""
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    if process is not None:
        process.terminate()
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def start_sandbox_process() -> tuple[str, subprocess.Popen]:
    """Run the Mollie sandbox in its own process (as in `make run`), on a free port."""
    import sys

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mollie_sandbox", "--port", str(port), "--quiet"],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/_sandbox/clock", process)
    return url, process


def sandbox_control(url: str, path: str, timeout: float = 30, **fields) -> dict:
    """POST to one of the sandbox's control endpoints."""
    import json
    import urllib.parse
    import urllib.request

    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(f"{url}{path}", data=data, timeout=timeout) as response:
        return json.loads(response.read())


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User plus system CPU seconds each of `pids` has used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def cpu_used(before: dict[int, float], pids: list[int]) -> float:
    """CPU seconds that `pids` used since `before` (a process started since counts in full)."""
    return sum(now - before.get(pid, 0.0) for pid, now in cpu_seconds(pids).items())


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def postgres_pids() -> list[int]:
    """The local PostgreSQL server's processes (its backends show `postgres:` as their name)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/cmdline").read_bytes().startswith(b"postgres:"):
                    found.append(int(entry))
            except OSError:
                continue
    return found
