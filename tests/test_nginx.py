"""The shipped nginx configuration in front of the site: each coding of a public page cached
once, sent as the app made it (nginx compresses nothing of its own for them)."""

import gzip
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

import brotli
import pytest

from bench.common import server_workdir
from bench.nginx import BROTLI_STATIC, NGINX, shipped_nginx
from campaign.services import demo_content_load

from .campaign.factories import make_article

pytestmark = [
    pytest.mark.skipif(not Path(NGINX).exists(), reason="needs nginx (apt-get install nginx)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def proxy(live_server):
    with shipped_nginx(live_server.url) as url:
        yield url


def fetch(url: str, accept: str | None):
    headers = {"Accept-Encoding": accept} if accept is not None else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers, response.read()


def test_each_coding_is_cached_once_and_sent_as_the_app_made_it(proxy, settings):
    settings.ALLOWED_HOSTS = ["*"]
    demo_content_load()
    page = f"{proxy}/en/"
    plain = None
    for accept, coding in [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip, deflate", "gzip"),
        (None, None),
        ("deflate, br", "br"),  # another browser's header: the same cached copy
    ]:
        first_headers, first = fetch(page, accept)
        again_headers, again = fetch(page, accept)
        assert again_headers["X-Proxy-Cache"] == "HIT", accept
        assert (
            first_headers.get("Content-Encoding") == coding == again_headers.get("Content-Encoding")
        )
        assert first == again and int(again_headers["Content-Length"]) == len(again)
        body = {"br": brotli.decompress, "gzip": gzip.decompress}.get(coding, bytes)(again)
        plain = plain or body
        assert body == plain and b"<h1" in body
    # nginx passed the app's own bytes on: the gzip form is the app's level-9 one, with no
    # timestamp, which nginx's own gzip (level 5) would not make.
    _, made_here = fetch(page, "gzip")
    assert made_here == gzip.compress(plain, compresslevel=9, mtime=0)


def test_browsers_spelling_the_same_coding_differently_share_one_cached_copy(proxy, settings):
    settings.ALLOWED_HOSTS = ["*"]
    demo_content_load()
    page = f"{proxy}/en/"
    for first, then, coding in [
        ("gzip, deflate, br, zstd", "br;q=1.0, gzip;q=0.8", "br"),
        ("gzip, deflate", "deflate, gzip", "gzip"),
        ("identity", None, None),
    ]:
        stored_headers, stored = fetch(page, first)
        assert stored_headers["X-Proxy-Cache"] in {"MISS", "EXPIRED"}, first
        headers, body = fetch(page, then)
        assert headers["X-Proxy-Cache"] == "HIT", (first, then)
        assert headers.get("Content-Encoding") == coding and body == stored
        # Caches on the way and the browser are still told that the page varies.
        assert "Accept-Encoding" in headers["Vary"]


def test_an_answer_that_varies_on_more_than_the_coding_is_never_cached(proxy, settings):
    settings.ALLOWED_HOSTS = ["*"]
    # robots.txt is public for a day, and outside the language prefix Django adds
    # "Vary: Accept-Language": nginx, which keys on the coding only, must not keep it.
    for _ in range(2):
        headers, _ = fetch(f"{proxy}/robots.txt", "gzip")
        assert "Accept-Language" in headers["Vary"] and "public" in headers["Cache-Control"]
        assert headers["X-Proxy-Cache"] == "MISS"


def status(url: str) -> tuple[int, str | None]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("X-Proxy-Cache")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("X-Proxy-Cache")


def test_a_page_taken_down_is_not_served_from_nginx_s_old_copy_for_long(proxy, settings):
    """nginx serves its expired copy while it asks the app again; an answer it cannot keep (a
    404 without caching headers) left that old copy in place, so an unpublished article went
    on being served for as long as anyone asked for it."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.PUBLIC_CACHE_SECONDS = 1
    article = make_article(language="en", slug="taken-down", title="Soon gone")
    page = f"{proxy}/en/articles/taken-down/"
    status(page)
    assert status(page) == (200, "HIT")
    article.is_published = False
    article.save()
    # Once its second is over, an ask or two may still get the old copy while nginx asks the
    # app; then the app's 404 is what nginx has, and the old page never comes back.
    seen = []
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and [code for code, _ in seen].count(404) < 3:
        seen.append(status(page))
        time.sleep(0.3)
    codes = [code for code, _ in seen]
    assert 404 in codes, seen
    assert all(code == 404 for code in codes[codes.index(404) :]), seen
    # The app's 404 is kept briefly too (a flood of made-up addresses stays in nginx).
    assert status(page) == (404, "HIT")


def test_a_404_made_in_a_reader_s_language_is_not_kept_for_the_next(proxy, settings):
    """Outside /nl/ and /en/ the 404 is in the language the browser asks for (Vary:
    Accept-Language): nginx, which keys on the coding only, keeps none of it."""
    settings.ALLOWED_HOSTS = ["*"]
    for language in ("nl", "en", "nl"):
        request = urllib.request.Request(
            f"{proxy}/no-such-page/", headers={"Accept-Language": language}
        )
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as error:
            assert error.code == 404
            assert error.headers["X-Proxy-Cache"] != "HIT"
            assert f'lang="{language}"' in error.read().decode()
        else:
            raise AssertionError("no 404")


CSS = b"".join(b".rule-%d { margin: %dpx; }\n" % (n, n) for n in range(400))


@pytest.fixture
def static_proxy(live_server):
    """The shipped configuration with a static folder of our own, holding a stylesheet with its
    .gz and .br forms as collectstatic leaves them (gzip at level 9 without a timestamp, which
    nginx's own gzip would not make), readable by nginx's workers."""
    root = server_workdir("test-static-", ("staticfiles",))
    folder = root / "staticfiles"
    (folder / "site.css").write_bytes(CSS)
    (folder / "site.css.gz").write_bytes(gzip.compress(CSS, compresslevel=9, mtime=0))
    (folder / "site.css.br").write_bytes(brotli.compress(CSS, quality=11))
    try:
        with shipped_nginx(live_server.url, root=root) as url:
            yield url, folder
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_static_files_are_sent_precompressed_as_collectstatic_made_them(static_proxy):
    url, folder = static_proxy
    # A file WhiteNoise left without compressed forms goes out as it is, even when asked.
    (folder / "mark.txt").write_bytes(b"plain text " * 200)

    headers, body = fetch(f"{url}/static/site.css", "gzip, deflate")
    assert headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"]
    assert body == (folder / "site.css.gz").read_bytes()
    headers, body = fetch(f"{url}/static/site.css", None)
    assert "Content-Encoding" not in headers and body == CSS

    headers, body = fetch(f"{url}/static/mark.txt", "gzip, deflate, br")
    assert "Content-Encoding" not in headers and body == b"plain text " * 200


@pytest.mark.skipif(
    not BROTLI_STATIC.exists(), reason="needs apt-get install libnginx-mod-http-brotli-static"
)
def test_static_files_are_sent_as_brotli_where_nginx_has_the_module(static_proxy):
    url, folder = static_proxy
    headers, body = fetch(f"{url}/static/site.css", "gzip, deflate, br, zstd")
    assert headers["Content-Encoding"] == "br" and body == (folder / "site.css.br").read_bytes()
    assert brotli.decompress(body) == CSS
