"""The peer: WordPress as a busy NGO would run it, measured beside the site in the same run.

`make bench PEER=wordpress`. Everything comes from Debian's packages (apt-get install wordpress
php-fpm php-mysql nginx, and a MariaDB server on 127.0.0.1:3306 whose root has no password, as
on the benchmark machine); nothing of WordPress is in this repository.

WordPress 6.1 from Debian, freshly installed with its default theme and first post, behind
php-fpm (Debian's default pool: at most 5 children) and nginx with `fastcgi_cache`, the usual
set-up: pages are cached unless the request is a POST, has a query string or a log-in cookie.
WP-Cron is switched off (a busy site runs it from cron), and nginx compresses as Debian's nginx
does (`gzip on`). The benchmark writes one file outside its temporary folder,
/etc/wordpress/config-campaign-bench.php (Debian's WordPress reads its settings from there), and
removes it afterwards, with the database it made.

Measured, with wrk -t2 -c32, in turns and three rounds, medians:
- rendering every request (a query string passes both caches): WordPress against our gunicorn;
- cached: WordPress behind fastcgi_cache against our site behind the shipped nginx, each plain
  and with the header every browser sends.
"""

import contextlib
import glob
import secrets
import shutil
import statistics
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

from .common import free_port, server_workdir, wait_for
from .gunicorn_configs import _read, _wrk
from .nginx import NGINX, shipped_nginx
from .site import BROWSER

WORDPRESS = Path("/usr/share/wordpress")
CONFIG = Path("/etc/wordpress/config-campaign-bench.php")
DATABASE = "campaign_bench_wp"


def missing() -> str | None:
    """Why the peer cannot run here, or None."""
    if not WORDPRESS.exists():
        return "WordPress is not installed (apt-get install wordpress)"
    if not _php_fpm():
        return "php-fpm is not installed (apt-get install php-fpm php-mysql)"
    if not Path(NGINX).exists():
        return "nginx is not installed (apt-get install nginx)"
    if not shutil.which("mysql"):
        return "no MariaDB client (apt-get install mariadb-client)"
    if _sql("SELECT 1").returncode:
        return "no MariaDB server on 127.0.0.1:3306 with a password-less root"
    return None


def _php_fpm() -> str | None:
    found = sorted(glob.glob("/usr/sbin/php-fpm*"))
    return found[-1] if found else None


def _sql(statement: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["mysql", "-h", "127.0.0.1", "-u", "root", "-e", statement],
        capture_output=True,
        text=True,
        timeout=30,
    )


def _nginx_config(work: Path, port: int) -> str:
    return f"""
worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  include /etc/nginx/mime.types;
  sendfile on;
  gzip on;
  client_body_temp_path {work}/body;
  fastcgi_temp_path {work}/fastcgi;
  fastcgi_cache_path {work}/cache levels=1:2 keys_zone=wordpress:10m inactive=60m;
  fastcgi_cache_key "$scheme$request_method$host$request_uri";
  server {{
    listen 127.0.0.1:{port};
    root {WORDPRESS};
    index index.php;
    set $skip_cache 0;
    if ($request_method = POST) {{ set $skip_cache 1; }}
    if ($query_string != "") {{ set $skip_cache 1; }}
    if ($http_cookie ~* "comment_author|wordpress_[a-f0-9]+|wp-postpass|wordpress_logged_in") {{
      set $skip_cache 1;
    }}
    location / {{ try_files $uri $uri/ /index.php?$args; }}
    location ~ \\.php$ {{
      include /etc/nginx/fastcgi_params;
      # Debian's fastcgi_params pass the host without its port; WordPress, on a port of its
      # own here, would then redirect every page to itself.
      fastcgi_param HTTP_HOST $http_host;
      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
      fastcgi_param WORDPRESS_CONFIG campaign-bench;
      fastcgi_pass unix:{work}/php.sock;
      fastcgi_cache wordpress;
      fastcgi_cache_valid 200 60m;
      fastcgi_cache_bypass $skip_cache;
      fastcgi_no_cache $skip_cache;
      add_header X-Cache $upstream_cache_status;
    }}
  }}
}}
"""


def _php_config(work: Path) -> str:
    return f"""
[global]
pid = {work}/php-fpm.pid
error_log = {work}/php-fpm.log
daemonize = no
[www]
user = www-data
group = www-data
listen = {work}/php.sock
listen.mode = 0666
pm = dynamic
pm.max_children = 5
pm.start_servers = 2
pm.min_spare_servers = 1
pm.max_spare_servers = 3
"""


@contextlib.contextmanager
def wordpress():
    """A fresh WordPress behind php-fpm and nginx with fastcgi_cache; yields its URL."""
    work = server_workdir("bench-wordpress-", ("cache", "body", "fastcgi"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    _sql(f"DROP DATABASE IF EXISTS {DATABASE}; CREATE DATABASE {DATABASE}")
    CONFIG.write_text(
        "<?php\n"
        f"define('DB_NAME', '{DATABASE}');\n"
        "define('DB_USER', 'root');\n"
        "define('DB_PASSWORD', '');\n"
        "define('DB_HOST', '127.0.0.1');\n"
        f"define('WP_HOME', '{url}');\n"
        f"define('WP_SITEURL', '{url}');\n"
        "define('DISABLE_WP_CRON', true);\n"
        "$table_prefix = 'wp_';\n"
    )
    (work / "php-fpm.conf").write_text(_php_config(work))
    (work / "nginx.conf").write_text(_nginx_config(work, port))
    php = subprocess.Popen(
        [_php_fpm(), "-R", "-y", str(work / "php-fpm.conf"), "-F"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    subprocess.run([NGINX, "-c", str(work / "nginx.conf")], check=True)
    try:
        wait_for(f"{url}/readme.html", seconds=20)
        deadline = time.monotonic() + 20
        while not (work / "php.sock").exists():  # php-fpm starts beside nginx
            if php.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"php-fpm did not start; see {work}/php-fpm.log")
            time.sleep(0.1)
        password = secrets.token_urlsafe(16)
        form = {
            "weblog_title": "Bench NGO",
            "user_name": "bench",
            "admin_password": password,
            "admin_password2": password,
            "pw_weak": "1",
            "admin_email": "bench@example.org",
            "blog_public": "0",
        }
        request = urllib.request.Request(
            f"{url}/wp-admin/install.php?step=2", urllib.parse.urlencode(form).encode()
        )
        with urllib.request.urlopen(request, timeout=120) as answer:
            answer.read()
        with urllib.request.urlopen(f"{url}/", timeout=30) as answer:
            if b"Hello world" not in answer.read():
                raise RuntimeError("WordPress did not install its first post")
        yield url
    finally:
        subprocess.run([NGINX, "-c", str(work / "nginx.conf"), "-s", "stop"], check=False)
        php.terminate()
        php.wait(timeout=30)
        CONFIG.unlink(missing_ok=True)
        _sql(f"DROP DATABASE IF EXISTS {DATABASE}")
        shutil.rmtree(work, ignore_errors=True)


def _median(runs: list[dict]) -> dict:
    return {
        "rps": round(statistics.median(run["rps"] for run in runs)),
        "p99_ms": statistics.median(run["p99_ms"] for run in runs),
        "non_2xx": sum(run["non_2xx"] for run in runs),
    }


def run(app_url: str, rounds: int = 3, seconds: int = 5) -> dict:
    """Within `make bench`: `app_url` is the site's gunicorn (page cache on)."""
    reason = missing()
    if reason:
        return {"skipped": reason}
    with wordpress() as peer, shipped_nginx(app_url) as ours:
        targets = {
            "wordpress_render": (f"{peer}/?render=1", {}),
            "ours_render": (f"{app_url}/nl/?render=1", {}),
            "wordpress_cached": (f"{peer}/", {}),
            "ours_cached": (f"{ours}/nl/", {}),
            "wordpress_cached_browser": (f"{peer}/", BROWSER),
            "ours_cached_browser": (f"{ours}/nl/", BROWSER),
        }
        for address, headers in targets.values():  # fill both caches
            _read(_wrk(address, 2, 8, headers=headers))
        samples = {name: [] for name in targets}
        for _ in range(rounds):
            for name, (address, headers) in targets.items():
                samples[name].append(_read(_wrk(address, seconds, 32, headers=headers)))
    found = {name: _median(runs) for name, runs in samples.items()}
    for kind in ("render", "cached", "cached_browser"):
        found[f"ratio_{kind}"] = round(
            found[f"ours_{kind}"]["rps"] / found[f"wordpress_{kind}"]["rps"], 2
        )
    return found
