"""R2: the home page behind the nginx configuration we ship ÷ nginx serving a static file.

The site configuration in `deploy/nginx.conf` is used as it is, with only what a laptop lacks
changed: plain HTTP on a free port instead of TLS, the repository's folders instead of /srv, a
temporary cache folder, and the benchmark's gunicorn as the upstream. Debian's brotli module
(`libnginx-mod-http-brotli-static`) is loaded where it is installed; without it, the one line
that needs it (`brotli_static on;`) is left out.
"""

import contextlib
import gzip
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import brotli

from .common import free_port, server_workdir, wait_for
from .site import BROWSER, ROOT, page_vs_static, wrk

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
BROTLI_STATIC = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")


def bench_config(upstream: str, port: int, workdir: Path, root: Path = ROOT) -> str:
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    modules = ""
    if BROTLI_STATIC.exists():
        modules = f"load_module {BROTLI_STATIC};\n"
    else:
        site = re.sub(r"\n\s*brotli_static on;", "", site)
    site = re.sub(r"server \{\s*listen 80;.*?\n\}\n", "", site, count=1, flags=re.S)
    site = re.sub(r"listen 443 ssl( http2)?;", f"listen 127.0.0.1:{port};", site)
    site = re.sub(r"\s*listen \[::\]:443 ssl( http2)?;", "", site)
    site = re.sub(r"\s*ssl_certificate(_key)? [^;]+;", "", site)
    site = site.replace("/srv/campaign-site", str(root))
    site = site.replace("/var/cache/nginx/campaign", str(workdir / "cache"))
    site = re.sub(r"server 127\.0\.0\.1:8000 ", f"server {upstream} ", site)
    return (
        modules + "worker_processes 2;\npid " + str(workdir / "nginx.pid") + ";\n"
        "error_log " + str(workdir / "error.log") + " warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n  include /etc/nginx/mime.types;\n  sendfile on;\n"
        "  client_body_temp_path " + str(workdir / "body") + ";\n"
        "  proxy_temp_path " + str(workdir / "proxy") + ";\n" + site + "\n}\n"
    )


@contextlib.contextmanager
def shipped_nginx(app_url: str, root: Path = ROOT):
    """The shipped configuration in front of `app_url` (see `bench_config`), with static files
    from `root`/staticfiles; yields its URL."""
    workdir = server_workdir("bench-nginx-", ("cache", "body", "proxy"))
    port = free_port()
    config = workdir / "nginx.conf"
    config.write_text(bench_config(app_url.removeprefix("http://"), port, workdir, root))
    checked = subprocess.run([NGINX, "-t", "-c", str(config)], capture_output=True, text=True)
    if checked.returncode:
        raise RuntimeError(f"nginx refused the configuration: {checked.stderr}")
    subprocess.run([NGINX, "-c", str(config)], check=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/healthz")
        yield url
    finally:
        subprocess.run([NGINX, "-c", str(config), "-s", "stop"], check=False)
        shutil.rmtree(workdir, ignore_errors=True)


def run(app_url: str) -> dict:
    if not Path(NGINX).exists():
        return {"skipped": "nginx is not installed (apt-get install nginx)"}
    from django.contrib.staticfiles.storage import staticfiles_storage

    with shipped_nginx(app_url) as url:
        try:
            wrk(f"{url}/nl/", seconds=2)
            wrk(f"{url}/nl/", seconds=2, headers=BROWSER)
            plain = page_vs_static(f"{url}/nl/", f"{url}{staticfiles_storage.url('css/site.css')}")
            # New R2: the same page as nginx serves a precompressed static file (gzip_static,
            # and brotli_static where the module is installed), both with the header every
            # browser sends.
            with urllib.request.urlopen(f"{url}/nl/", timeout=5) as response:
                proxy_cache = response.headers.get("X-Proxy-Cache")
                page = response.read()
            static = ROOT / "staticfiles" / "bench-home.html"
            static.write_bytes(page)
            static.with_suffix(".html.gz").write_bytes(gzip.compress(page, 9, mtime=0))
            static.with_suffix(".html.br").write_bytes(brotli.compress(page, quality=11))
            figures = page_vs_static(f"{url}/nl/", f"{url}/static/bench-home.html", headers=BROWSER)
            return {
                **figures,
                "plain": plain,
                "proxy_cache": proxy_cache,
                "brotli_static": BROTLI_STATIC.exists(),
            }
        finally:
            for name in ("bench-home.html", "bench-home.html.gz", "bench-home.html.br"):
                (ROOT / "staticfiles" / name).unlink(missing_ok=True)
