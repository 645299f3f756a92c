"""G1: gunicorn configurations compared on the site's real mix, to choose the shipped one.

Each configuration runs `deploy/gunicorn.conf.py` with the worker class, workers and threads
(and the access log) set through its environment variables. wrk sends the mix: cached public
pages as a browser asks for them (90 %), the guide (4 %), Mollie webhooks (4 %, each a fetch from
the sandbox), donation starts (0.5 %, each a payment created in the sandbox, and each answered
no faster than the donation form's minimum time, which holds a thread) and a supporter's
overview (1.5 %). Beside it a second wrk, with four connections, asks only for the home page and
reports the p99 of a cache hit under that load. The target: the most requests per second whose
cache-hit p99 stays below 20 ms.
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from .common import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent

CONFIGS = [
    # (worker class, workers, threads, access log)
    ("gthread", 5, 4, True),  # what deploy/gunicorn.conf.py shipped before (2 cores: 2n+1)
    ("gthread", 5, 4, False),
    ("sync", 2, 1, False),
    ("sync", 4, 1, False),
    ("gthread", 2, 4, False),
    ("gthread", 3, 2, False),
    ("gthread", 4, 2, False),
]

_MIX = """
local session = "{session}"
local origin = "{origin}"
local form = {{["Content-Type"] = "application/x-www-form-urlencoded"}}
local n = 0
request = function()
  n = n + 1
  local r = math.random(1000)
  if r <= 900 then
    return wrk.format("GET", "/nl/", {{["Accept-Encoding"] = "gzip, deflate, br, zstd"}})
  elseif r <= 940 then
    return wrk.format("GET", "/en/guide/", {{["Accept-Encoding"] = "gzip, deflate, br, zstd"}})
  elseif r <= 980 then
    return wrk.format("POST", "/mollie/webhook/", form, string.format("id=tr_%010d", n))
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


def measure(sandbox_url: str, session: str, seconds: int = 10) -> list[dict]:
    results = []
    for worker_class, workers, threads, access_log in CONFIGS:
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
            "DEMO": "1",
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
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                script.write(_MIX.format(session=session, origin=url))
            _read(_wrk(f"{url}/nl/", 2, 16, script.name))  # warm every worker's cache
            mix = _wrk(url, seconds, 32, script.name)
            probe = _wrk(f"{url}/nl/", seconds, 4, headers={"Accept-Encoding": "gzip, br"})
            load, hit = _read(mix), _read(probe)
            os.unlink(script.name)
            results.append(
                {
                    "config": f"{worker_class} {workers}x{threads}"
                    + (" + access log" if access_log else ""),
                    "mix_rps": load["rps"],
                    "mix_p99_ms": load["p99_ms"],
                    "mix_non_2xx": load["non_2xx"],
                    "hit_p99_ms": hit["p99_ms"],
                }
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    return results


def best(results: list[dict]) -> dict | None:
    fit = [r for r in results if r["hit_p99_ms"] < 20]
    return max(fit, key=lambda r: r["mix_rps"]) if fit else None


def run() -> dict:
    """Within `make bench` (Django set up, demo content loaded)."""
    from .common import start_sandbox_process
    from .site import supporter_cookie

    sandbox_url, sandbox = start_sandbox_process()
    try:
        results = measure(sandbox_url, supporter_cookie("g1@example.org", 12))
    finally:
        sandbox.terminate()
    return {"configs": results, "best": best(results)}


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
    for row in found["configs"]:
        print(
            f"{row['config']:<28} mix {row['mix_rps']:>8.0f} req/s (p99 {row['mix_p99_ms']} ms)"
            f"   cache hit p99 {row['hit_p99_ms']} ms"
        )
    print("best:", found["best"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
