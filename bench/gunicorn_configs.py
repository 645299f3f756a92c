"""G1: gunicorn configurations compared on the site's real mix, to choose the shipped one.

Each configuration runs `deploy/gunicorn.conf.py` with the worker class, workers and threads
(and the access log) set through its environment variables. wrk sends the mix: cached public
pages as a browser asks for them (90 %), the guide (4 %), Mollie webhooks (4 %, each a fetch from
the sandbox), donation starts (0.5 %, each a payment created in the sandbox, and each answered
no faster than the donation form's minimum time, which holds a thread) and a supporter's
overview (1.5 %).

Two runs per configuration:
- flat out: the mix on 32 connections as fast as they go, for the most requests per second;
- paced: the same mix at one offered rate for every configuration, SHARE (40 %) of the
  highest flat-out rate of the run (BENCH_G1_RATE sets it instead), each connection waiting
  between its requests as a reader does, with a probe asking only for the home page beside it
  (part of that rate): its p99 is the cache hit's answer time under that load. (Flat out,
  every configuration queues and no cache hit can be fast, so that figure says nothing about
  the configuration; a fixed rate would be light on a fast day and past the limit of a slow
  one.)
All configurations run flat out first, then all paced. The paced run is taken three times and
the middle one (by the cache hit's p99) counts, and once more through the shipped nginx
(bench/nginx.py), where cached pages come from its proxy cache as they do when deployed. The
page cache is Redis when one answers on 127.0.0.1:6379, shared by the workers as deployed.
The choice: the most requests per second flat out among the configurations without errors whose
cache-hit p99 under the paced load stays below 20 ms, through nginx and from gunicorn itself,
and whose database connections (one per thread) fit CONNECTIONS_PER_MACHINE.
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from .common import free_port, wait_for
from .site import BROWSER

ROOT = Path(__file__).resolve().parent.parent

CONFIGS = [
    # (worker class, workers, threads, access log)
    ("gthread", 5, 4, True),  # what deploy/gunicorn.conf.py shipped first (2 cores: 2n+1)
    ("gthread", 5, 4, False),
    ("gthread", 5, 8, False),
    ("gthread", 5, 16, False),
    ("gthread", 3, 8, False),
    ("gthread", 3, 16, False),
    ("sync", 5, 1, False),
]

_MIX = """
local session = "{session}"
local origin = "{origin}"
local webhook = "{webhook}"
local form = {{["Content-Type"] = "application/x-www-form-urlencoded"}}
local n = 0
{delay}
request = function()
  n = n + 1
  local r = math.random(1000)
  if r <= 900 then
    return wrk.format("GET", "/nl/", {{["Accept-Encoding"] = "gzip, deflate, br, zstd"}})
  elseif r <= 940 then
    return wrk.format("GET", "/en/guide/", {{["Accept-Encoding"] = "gzip, deflate, br, zstd"}})
  elseif r <= 980 then
    return wrk.format("POST", webhook, form, string.format("id=tr_%010d", n))
  elseif r <= 985 then
    local headers = {{["Content-Type"] = "application/x-www-form-urlencoded", ["Origin"] = origin}}
    return wrk.format("POST", "/en/donate/", headers,
      "frequency=oneoff&amount=10&other_amount=&website=&name=Bench&email=bench" .. n ..
      "@example.org")
  else
    return wrk.format("GET", "/en/supporters/", {{["Cookie"] = "sessionid=" .. session}})
  end
end
"""


def _script(session: str, origin: str, delay_ms: float = 0) -> str:
    """The mix as a wrk script; with `delay_ms`, each connection waits that long between its
    requests."""
    pause = f"delay = function() return {delay_ms:.1f} end" if delay_ms else ""
    from donations.services import webhook_path

    mix = _MIX.format(session=session, origin=origin, delay=pause, webhook=webhook_path())
    return _script_text(mix)


# The probe: PROBE_CONNECTIONS connections asking for the home page, each waiting PROBE_WAIT_MS
# between its requests: 1,000 answers in a round of 10 s, enough for a p99 that two or three
# stalls do not make.
PROBE_CONNECTIONS = 4
PROBE_WAIT_MS = 40
PROBE_RATE = PROBE_CONNECTIONS * 1000 / PROBE_WAIT_MS
# The paced load as a share of the highest flat-out rate measured in the same run.
SHARE = 0.4

_PROBE = f"""
delay = function() return {PROBE_WAIT_MS} end
"""


def _wrk(url: str, seconds: int, connections: int, script: str | None = None, headers=None):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", script]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    return subprocess.Popen([*command, url], stdout=subprocess.PIPE, text=True)


def _read(process: subprocess.Popen) -> dict:
    output = process.communicate(timeout=120)[0]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": rps,
        "p99_ms": round(float(p99.group(1)) * scale, 2),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def _script_text(text: str) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(text)
    return script.name


def _through_nginx(url, session, seconds, connections, rate, probe_script) -> dict:
    """The paced mix and the probe through the shipped nginx in front of `url`, as deployed:
    cached pages are then answered by nginx's proxy cache."""
    from .nginx import shipped_nginx

    with shipped_nginx(url) as front:
        # nginx passes the host without its port, so the app expects that as the Origin.
        paced = _script(session, "http://127.0.0.1", delay_ms=connections * 1000 / rate)
        try:
            _read(_wrk(f"{front}/nl/", 2, 8, headers=BROWSER))  # fill the proxy cache
            mix = _wrk(front, seconds, connections, paced)
            probe = _wrk(f"{front}/nl/", seconds, PROBE_CONNECTIONS, probe_script, BROWSER)
            return {"mix": _read(mix), "hit": _read(probe)}
        finally:
            os.unlink(paced)


def _cache_url() -> str:
    """Redis on its usual port when one answers (as deployed), else each worker's memory."""
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return "locmemcache://"
    return "redis://127.0.0.1:6379/7"


def _serve(config: tuple, sandbox_url: str, cache_url: str) -> tuple[str, subprocess.Popen]:
    """gunicorn with `deploy/gunicorn.conf.py` and the configuration's settings; its URL."""
    worker_class, workers, threads, access_log = config
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKER_CLASS": worker_class,
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_ACCESS_LOG": "-" if access_log else "",
        "PUBLIC_BASE_URL": url,
        "MOLLIE_API_KEY": "test_benchmarkkey012345678901234567",
        "MOLLIE_API_ENDPOINT": sandbox_url,
        "MOLLIE_WEBHOOK_BASE_URL": "",
        "DONATION_START_LIMIT_PER_HOUR": "1000000",
        # The mix's webhooks carry made-up ids (each still a fetch from the sandbox, as a real
        # one is from Mollie); the site answers 503 to a client past 30 ids it does not store,
        # which a real Mollie, sending ids we know, never meets. Without this every
        # configuration had errors and none could be chosen.
        "WEBHOOK_UNKNOWN_IDS_PER_CLIENT": "1000000",
        "DEMO": "1",
        # The page cache shared by all workers, as deployed (docs/deploy.md).
        # ... but not the demo's clock, which asks the sandbox for its time every two seconds
        # from within a request: production has no such call.
        "DEMO_FOLLOWS_SANDBOX_CLOCK": "0",
        "CACHE_URL": cache_url,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"{url}/healthz", server, seconds=30)
    except BaseException:
        server.kill()
        raise
    return url, server


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)


def _name(config: tuple) -> str:
    worker_class, workers, threads, access_log = config
    return f"{worker_class} {workers}x{threads}" + (" + access log" if access_log else "")


def measure(
    sandbox_url: str, session: str, seconds: int = 10, rate: int | None = None
) -> tuple[list[dict], int]:
    """Every configuration flat out, then every configuration at the same offered rate: `rate`,
    or SHARE of the highest flat-out rate just measured. Returns the figures and that rate."""
    cache_url = _cache_url()
    only = os.environ.get("BENCH_G1_ONLY")  # e.g. "gthread 5x4": that configuration only
    configs = [c for c in CONFIGS if not only or f"{c[0]} {c[1]}x{c[2]}" == only]
    connections = 32
    flat_out = {}
    for config in configs:
        url, server = _serve(config, sandbox_url, cache_url)
        flat = _script(session, url)
        try:
            _read(_wrk(f"{url}/nl/", 2, 16, flat))  # warm every worker's cache
            flat_out[config] = _read(_wrk(url, seconds, connections, flat))
        finally:
            os.unlink(flat)
            _stop(server)
    # The same load for every configuration, set by what this machine serves today: a fixed
    # rate is light on a fast day and past the machine's limit on a slow one.
    rate = rate or round(SHARE * max(run["rps"] for run in flat_out.values()))
    # The probe's requests are part of the offered rate; the mix makes up the rest.
    mix_rate = max(rate - PROBE_RATE, 10)
    results = []
    for config in configs:
        url, server = _serve(config, sandbox_url, cache_url)
        # A connection's turn takes its wait plus the answer (a few ms when not queued).
        paced = _script(session, url, delay_ms=connections * 1000 / mix_rate)
        probe_script = _script_text(_PROBE)
        warm = _script(session, url)
        try:
            # Every thread of every worker once through the mix (its database connection, its
            # templates), so that the first round does not measure a worker's start.
            _read(_wrk(url, 4, 64, warm))
            rounds = []
            for _ in range(3):  # the median of three: one stall is not the configuration
                mix = _wrk(url, seconds, connections, paced)
                probe = _wrk(f"{url}/nl/", seconds, PROBE_CONNECTIONS, probe_script, BROWSER)
                rounds.append((_read(mix), _read(probe)))
            by_hit = sorted(rounds, key=lambda pair: pair[1]["p99_ms"])
            load, hit = by_hit[1]
            deployed = _through_nginx(url, session, seconds, connections, mix_rate, probe_script)
        finally:
            for name in (paced, probe_script, warm):
                os.unlink(name)
            _stop(server)
        full = flat_out[config]
        results.append(
            {
                "config": _name(config),
                "connections": config[1] * config[2],
                "mix_rps": full["rps"],
                "mix_p99_ms": full["p99_ms"],
                "mix_non_2xx": full["non_2xx"] + load["non_2xx"],
                "paced_rps": round(load["rps"] + hit["rps"], 1),
                "paced_p99_ms": load["p99_ms"],
                "hit_p99_ms": hit["p99_ms"],
                "hit_p99_rounds_ms": [pair[1]["p99_ms"] for pair in rounds],
                "nginx_paced_p99_ms": deployed["mix"]["p99_ms"],
                "nginx_hit_p99_ms": deployed["hit"]["p99_ms"],
                "nginx_non_2xx": deployed["mix"]["non_2xx"],
            }
        )
    return results, rate


def hits_fast(result: dict) -> bool:
    """A cache hit keeps its p99 below 20 ms under the paced load both through nginx and from
    gunicorn itself: nginx's cache is not always in front (another proxy, or the moment after
    staff save content, when every page misses nginx at once and gunicorn serves its own)."""
    return result["hit_p99_ms"] < 20 and result["nginx_hit_p99_ms"] < 20


# Database connections one app machine may hold: each thread keeps its own, and two machines
# must fit PostgreSQL's default max_connections (100) with room for the timers, migrations and
# an administrator's psql.
CONNECTIONS_PER_MACHINE = 40


def best(results: list[dict]) -> dict | None:
    """The most requests per second flat out among the configurations without errors whose
    cache hits stay fast (`hits_fast`) and whose threads fit CONNECTIONS_PER_MACHINE."""
    fit = [
        r
        for r in results
        if hits_fast(r)
        and r["mix_non_2xx"] == 0
        and r["nginx_non_2xx"] == 0
        and r["connections"] <= CONNECTIONS_PER_MACHINE
    ]
    return max(fit, key=lambda r: r["mix_rps"]) if fit else None


def shipped() -> str:
    """The configuration deploy/gunicorn.conf.py gives on this machine, named as in CONFIGS."""
    import multiprocessing

    return f"gthread {multiprocessing.cpu_count() * 2 + 1}x8"


def run() -> dict:
    """Within `make bench` (Django set up, demo content loaded)."""
    from .common import start_sandbox_process
    from .site import supporter_cookie

    sandbox_url, sandbox = start_sandbox_process()
    try:
        fixed = int(os.environ.get("BENCH_G1_RATE", 0)) or None
        results, rate = measure(sandbox_url, supporter_cookie("g1@example.org", 12), rate=fixed)
    finally:
        sandbox.terminate()
    return {"configs": results, "best": best(results), "shipped": shipped(), "paced_rate": rate}


def main() -> int:
    import shutil

    from django.core.management import call_command

    from . import common

    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)")
        return 1
    common.setup_django()
    call_command("load_demo", verbosity=0)
    found = run()
    print(f"paced at {found['paced_rate']} req/s")
    for row in found["configs"]:
        print(
            f"{row['config']:<28} flat out {row['mix_rps']:>6.0f} req/s (p99 {row['mix_p99_ms']}"
            f" ms)   paced {row['paced_rps']:>4.0f} req/s: p99 {row['paced_p99_ms']} ms,"
            f" cache hit p99 {row['hit_p99_ms']} ms {row['hit_p99_rounds_ms']}; through nginx: p99"
            f" {row['nginx_paced_p99_ms']} ms, cache hit p99 {row['nginx_hit_p99_ms']} ms"
        )
    print("best:", found["best"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
