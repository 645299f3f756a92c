"""The shipped nginx configuration in front of the site: each coding of a public page cached
once, sent as the app made it (nginx compresses nothing of its own for them)."""

import gzip
import urllib.request
from pathlib import Path

import brotli
import pytest

from bench.nginx import NGINX, shipped_nginx
from campaign.services import demo_content_load

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
