"""Figures measured against the site running under gunicorn with production settings.

R1 home page ÷ a static file (WhiteNoise), R3 our overhead on starting a donation, R5 supporter
overview with 120 payments ÷ with 1, M1 worker memory growth, W1 home page weight. wrk drives
the load when it is installed (Debian package `wrk`); otherwise these figures are skipped.
"""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path

from .common import children, free_port, p50_ms, wait_for

ROOT = Path(__file__).resolve().parent.parent
MIXED_PATHS = ["/nl/", "/en/", "/nl/guide/", "/en/search/?q=GDPR", "/en/giving/", "/healthz"]


def start_gunicorn(sandbox_url: str, workers: int = 2) -> tuple[str, subprocess.Popen]:
    """gunicorn with production settings on a free port, whose PUBLIC_BASE_URL is its own
    address (absolute links and Mollie's redirect URL, as in production)."""
    port = free_port()
    env = {
        **os.environ,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "DEMO": "1",  # the demo organisation's details and logo, as `make run` shows them
        # ... but not the demo's clock, which asks the sandbox for its time every two seconds
        # from within a request: production has no such call.
        "DEMO_FOLLOWS_SANDBOX_CLOCK": "0",
        "SERVE_MEDIA": "1",  # the hero image, which nginx would serve
        "MOLLIE_API_KEY": "test_benchmarkkey012345678901234567",
        "MOLLIE_API_ENDPOINT": sandbox_url,
        "MOLLIE_WEBHOOK_BASE_URL": "",
        "DONATION_START_LIMIT_PER_HOUR": "1000000",
        "OBJECTION_LIMIT_PER_HOUR": "1000000",
        "BENCHMARK_REFERENCE_VIEW": "1",  # R4's yardstick
        # R3 measures our own work in a donation start. The deployed site waits until the
        # answer is 0.8 s old (a known and an unknown email address take the same time); that
        # wait is a constant, not work, and would hide the work it covers.
        "DONATION_START_MIN_RESPONSE_SECONDS": "0",
    }
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}"),
            *("--workers", str(workers), "--threads", "4", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/healthz", process)
    return url, process


def wrk(
    url: str,
    *,
    seconds: int = 5,
    connections: int = 32,
    script: str | None = None,
    headers: dict | None = None,
) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s"]
    if script:
        command += ["-s", script]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    requests_per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": requests_per_second,
        "requests": total,
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


# What every browser sends; the benchmarks take each figure with it and without.
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def page_vs_static(
    page_url: str,
    static_url: str,
    rounds: int = 5,
    seconds: int = 3,
    headers: dict | None = None,
) -> dict:
    """wrk on a page and a static file in turns (page, file, page, ...); the ratio of the medians.

    Taking turns and the median keeps a passing hiccup of this machine out of one side only.
    """
    samples: tuple[list, list] = ([], [])
    for _ in range(rounds):
        for url, runs in zip((page_url, static_url), samples, strict=True):
            runs.append(wrk(url, seconds=seconds, headers=headers))
    page, static = (statistics.median(run["rps"] for run in runs) for runs in samples)
    return {
        "home_rps": page,
        "static_rps": static,
        "ratio": round(page / static, 3),
        "non_2xx": sum(run["non_2xx"] for runs in samples for run in runs),
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# An opener that reports a redirect instead of following it (as HTTPError with its code).
NO_REDIRECTS = urllib.request.build_opener(_NoRedirect)


def _post_status(url: str, data: dict) -> int:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode())
    try:
        with NO_REDIRECTS.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def r1_home_vs_static(url: str) -> dict:
    from django.contrib.staticfiles.storage import staticfiles_storage

    static_path = staticfiles_storage.url("css/site.css")
    wrk(f"{url}/nl/", seconds=2)  # warm the page cache in every worker
    plain = page_vs_static(f"{url}/nl/", f"{url}{static_path}")
    compressed = page_vs_static(f"{url}/nl/", f"{url}{static_path}", headers=BROWSER)
    return {**compressed, "plain": plain}


def r3_donation_overhead(url: str, sandbox_url: str, repeat: int = 60) -> dict:
    from donations import gateway

    form = {
        "frequency": "oneoff",
        "amount": "25",
        "other_amount": "",
        "name": "Bench",
        "email": "bench-r3@example.org",
        "website": "",
    }

    def start() -> None:
        assert _post_status(f"{url}/nl/donate/", form) == 303

    counter = iter(range(10**9))

    def direct() -> None:
        gateway.payment_create(
            amount=Decimal("25.00"),
            description="bench",
            redirect_url="http://127.0.0.1/return",
            webhook_url=None,
            metadata={"donation_id": 0},
            language="nl",
            idempotency_key=f"bench-direct-{next(counter)}",
        )

    from django.conf import settings

    site = p50_ms(start, repeat)
    mollie = p50_ms(direct, repeat)
    return {
        # Without the deployed minimum answer time (see start_gunicorn); a donor waits for
        # the longer of the two.
        "answer_floor_ms": settings.DONATION_START_MIN_RESPONSE_SECONDS * 1000,
        "donate_p50_ms": round(site, 1),
        "sandbox_p50_ms": round(mollie, 1),
        "overhead_ms": round(site - mollie, 1),
    }


def supporter_cookie(email: str, payments: int) -> str:
    from django.contrib.sessions.backends.db import SessionStore

    from donations.models import Donation, Payment
    from supporters.auth import SESSION_HASH_KEY, SESSION_ID_KEY, session_hash
    from supporters.models import Supporter

    supporter = Supporter.objects.create(email=email, name="Bench")
    donation = Donation.objects.create(
        supporter=supporter, amount=Decimal("5.00"), frequency="oneoff", language="nl"
    )
    Payment.objects.bulk_create(
        Payment(
            mollie_id=f"tr_{email.split('@')[0]}{n}",
            donation=donation,
            supporter=supporter,
            status="paid",
            sequence_type="oneoff",
            amount=Decimal("5.00"),
            paid_at=donation.created_at,
        )
        for n in range(payments)
    )
    session = SessionStore()
    session[SESSION_ID_KEY] = supporter.pk
    session[SESSION_HASH_KEY] = session_hash(supporter, limited=False)
    session.create()
    return session.session_key


def r5_overview(url: str, repeat: int = 60) -> dict:
    timings = {}
    for count in (1, 120):
        key = supporter_cookie(f"bench-r5-{count}@example.org", count)

        def load(key=key) -> None:
            request = urllib.request.Request(
                f"{url}/nl/supporters/", headers={"Cookie": f"sessionid={key}"}
            )
            with NO_REDIRECTS.open(request, timeout=30) as response:
                assert response.status == 200

        timings[count] = p50_ms(load, repeat)
    return {
        "p50_1_ms": round(timings[1], 1),
        "p50_120_ms": round(timings[120], 1),
        "ratio": round(timings[120] / timings[1], 3),
    }


def _workers_rss_kb(master: subprocess.Popen) -> int:
    total = 0
    for pid in children(master.pid):
        status = Path(f"/proc/{pid}/status").read_text()
        total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    return total


def m1_memory(url: str, master: subprocess.Popen) -> dict:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    paths = ", ".join(f'"{path}"' for path in MIXED_PATHS)
    script.write_text(
        f"local paths = {{{paths}}}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n"
        "  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n"
    )
    done, readings = 0, {}
    for target in (10_000, 50_000):
        while done < target:
            done += wrk(url, seconds=3, connections=16, script=str(script))["requests"]
        readings[target] = (_workers_rss_kb(master), done)
    script.unlink()
    first, last = readings[10_000][0], readings[50_000][0]
    return {
        "rss_kb_after_10k": first,
        "rss_kb_after_50k": last,
        "requests": readings[50_000][1],
        "growth_pct": round((last - first) / first * 100, 2),
    }


def w1_weight(url: str) -> dict:
    """The bytes that travel for the home page, its CSS and JS, as a browser asks for them
    (Accept-Encoding: gzip, br), and as they are without compression."""
    with urllib.request.urlopen(f"{url}/nl/", timeout=30) as response:
        html = response.read()
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
    sizes, plain = {}, {}
    for path in ["/nl/", *(asset.decode() for asset in assets)]:
        request = urllib.request.Request(url + path, headers=BROWSER)
        with urllib.request.urlopen(request, timeout=30) as response:
            sizes[path] = len(response.read())
        with urllib.request.urlopen(url + path, timeout=30) as response:
            plain[path] = len(response.read())
    return {"bytes": sum(sizes.values()), "plain_bytes": sum(plain.values()), "parts": sizes}


def run() -> dict:
    from django.core.management import call_command

    from .common import start_sandbox_process

    if not shutil.which("wrk"):
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    call_command("load_demo", verbosity=0)
    sandbox_url, sandbox = start_sandbox_process()
    from django.conf import settings

    settings.MOLLIE_API_KEY = "test_benchmarkkey012345678901234567"
    settings.MOLLIE_API_ENDPOINT = sandbox_url
    url, server = start_gunicorn(sandbox_url)
    try:
        from . import gunicorn_configs, nginx, webhooks, wordpress

        return {
            "R1": r1_home_vs_static(url),
            "R2": nginx.run(url),
            "R3": r3_donation_overhead(url, sandbox_url),
            "R5": r5_overview(url),
            "W1": w1_weight(url),
            "M1": m1_memory(url, server),
            "G1": gunicorn_configs.run(),
            **({"PEER": wordpress.run(url)} if os.environ.get("PEER") == "wordpress" else {}),
            "R4": webhooks.run(
                url,
                sandbox_url,
                site_pid=server.pid,
                sandbox_pid=sandbox.pid,
                count=int(os.environ.get("BENCH_R4_CHARGES", 10_000)),
            ),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)
        sandbox.terminate()
