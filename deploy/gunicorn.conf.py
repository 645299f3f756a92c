"""gunicorn settings for the site (`gunicorn -c deploy/gunicorn.conf.py config.wsgi`).

Override any of these with environment variables: GUNICORN_BIND, GUNICORN_WORKERS,
GUNICORN_THREADS, GUNICORN_WORKER_CLASS, GUNICORN_ACCESS_LOG ("-": standard output; empty,
the default: none).
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# gthread workers, 2 x cores + 1, with 8 threads each: chosen by measuring the site's own mix
# (docs/deploy.md, "gunicorn: workers and threads"). Some requests wait rather than compute: a
# donation start or a login-code form is answered no sooner than its minimum time (so that the
# time tells nothing about the address), a webhook waits for Mollie. A waiting request holds
# its thread; with 4 threads a worker's readers queued behind such waits (a cache hit's p99
# under load went from 10 to 175-475 ms). Each thread keeps its own database connection:
# workers x threads per machine must fit PostgreSQL's max_connections (docs/deploy.md).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 8))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
# Mollie's webhook gives up after 15 s; never keep a request longer than Mollie waits.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak in any library cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500
# The client address comes from nginx; Django derives hashed rate-limit keys from it
# (TRUSTED_PROXY_COUNT=1) and never stores it.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# No access log by default: measured on the site's mix (bench/gunicorn_configs.py, G1), writing
# it cost a quarter of the throughput (617 against 829 req/s with 5 gthread workers x 4 threads
# on 2 cores). GUNICORN_ACCESS_LOG=- writes it to standard output again.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "") or None
# No client addresses in the access log: %(h)s is left out on purpose.
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"

# Garbage collection. Python's collector frees groups of objects that refer to each other in a
# circle; now and then it walks every object the process holds (a full collection) while every
# thread of the worker waits. A worker holds about 100,000 objects once the site is loaded and
# 125,000 after its first requests (Django loads URLs, templates and translations lazily).
# Under G1's paced mix on two cores (bench/gunicorn_configs.py), full collections held a
# worker 110-160 ms on average, about twice a minute. What the worker holds then lives as long
# as the worker, so it is collected once more and moved out of the collector's sight
# (gc.freeze): full collections then took 8-13 ms on average, half as often. Each frozen object
# is still freed when nothing refers to it any more. Needs max_requests above the warm-up.
FREEZE_AFTER_REQUESTS = 300


def _freeze():
    gc.collect()
    gc.freeze()


def post_worker_init(worker):
    _freeze()


def post_request(worker, req, environ, resp):
    # Two of a gthread worker's threads may both get here: freezing twice does no harm.
    if worker.nr >= FREEZE_AFTER_REQUESTS and not getattr(worker, "warm", False):
        worker.warm = True
        _freeze()
