"""Public pages are compressed once, when the page cache stores them, and served in the form the
reader's Accept-Encoding asks for; nothing secret is ever in such a page (BREACH)."""

import gzip

import brotli
import pytest

from core import cache as page_cache

from .factories import make_campaign_with_articles

pytestmark = pytest.mark.django_db

PUBLIC = ["/en/", "/nl/", "/en/guide/", "/en/giving/", "/en/donate/"]


@pytest.fixture(autouse=True)
def campaign():
    return make_campaign_with_articles()


def decoded(response) -> bytes:
    body = response.content
    coding = response.get("Content-Encoding")
    if coding == "gzip":
        return gzip.decompress(body)
    if coding == "br":
        return brotli.decompress(body)
    return body


@pytest.mark.parametrize("path", PUBLIC)
@pytest.mark.parametrize(
    "accept, coding",
    [
        ("gzip, deflate, br, zstd", "br"),  # what browsers send
        ("gzip", "gzip"),
        ("br;q=0, gzip;q=0.5", "gzip"),
        ("identity", None),
        ("", None),
        ("*", "br"),
        ("gzip;q=0, *;q=0.1", "br"),
    ],
)
def test_a_public_page_comes_in_the_coding_the_reader_accepts(client, path, accept, coding):
    plain = client.get(path)  # stores it
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    for state in ("hit", "hit"):
        response = client.get(path, HTTP_ACCEPT_ENCODING=accept)
        assert response["X-Page-Cache"] == state
        assert response.get("Content-Encoding") == coding
        assert "Accept-Encoding" in response["Vary"]
        assert int(response["Content-Length"]) == len(response.content)
        assert decoded(response) == plain.content
    if coding:
        assert len(response.content) < len(plain.content) / 2


def test_a_hit_costs_no_compression(client, monkeypatch):
    client.get("/en/", HTTP_ACCEPT_ENCODING="gzip, br")  # stored, compressed once
    calls = []
    monkeypatch.setattr(page_cache.gzip, "compress", lambda *a, **k: calls.append("gzip"))
    monkeypatch.setattr(page_cache.brotli, "compress", lambda *a, **k: calls.append("br"))
    for accept in ("gzip, br", "gzip", ""):
        assert client.get("/en/", HTTP_ACCEPT_ENCODING=accept)["X-Page-Cache"] == "hit"
    assert calls == []


def test_the_first_reader_gets_the_compressed_page_too(client):
    response = client.get("/en/guide/", HTTP_ACCEPT_ENCODING="br")
    assert response["X-Page-Cache"] == "miss"
    assert response["Content-Encoding"] == "br"
    assert b"<h1" in decoded(response)


@pytest.mark.parametrize("path", PUBLIC)
def test_a_compressed_public_page_holds_no_secret_and_sets_no_cookie(client, path):
    response = client.get(path, HTTP_ACCEPT_ENCODING="gzip, br")
    response = client.get(path, HTTP_ACCEPT_ENCODING="gzip, br")
    assert response["X-Page-Cache"] == "hit" and response["Content-Encoding"] == "br"
    html = decoded(response).decode()
    assert "csrfmiddlewaretoken" not in html and "csrftoken" not in html
    assert "sessionid" not in html
    assert not response.cookies and "Set-Cookie" not in response
    assert "Cookie" not in response.get("Vary", "")


def test_pages_with_personal_data_are_not_stored_or_compressed_by_the_page_cache(client):
    response = client.get("/en/supporters/login/", HTTP_ACCEPT_ENCODING="gzip, br")
    assert "X-Page-Cache" not in response and "Content-Encoding" not in response
