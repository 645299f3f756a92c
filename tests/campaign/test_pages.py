"""Public campaign pages: both languages, the guide, caching, cookies and query counts."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils.translation import override

from campaign.models import Article, GuideStep

from .factories import make_article, make_campaign_with_articles

pytestmark = pytest.mark.django_db


def url(name: str, language: str, **kwargs) -> str:
    with override(language):
        return reverse(name, kwargs=kwargs)


@pytest.fixture
def campaign():
    return make_campaign_with_articles(steps=3)


@pytest.fixture
def public_urls(campaign):
    make_article(language="en", slug="extra", title="Extra reading")
    return [
        url("campaign:home", "en"),
        url("campaign:home", "nl"),
        url("campaign:guide", "en"),
        url("campaign:guide", "nl"),
        url("campaign:giving", "en"),
        url("campaign:giving", "nl"),
        url("campaign:search", "en") + "?q=extra",
        url("campaign:search", "nl") + "?q=bezwaar",
        url("campaign:article", "en", slug="extra"),
        url("campaign:privacy", "en"),
        url("campaign:contact", "nl"),
        url("donations:donate", "en") + "?frequency=oneoff&amount=10",
    ]


@pytest.mark.parametrize(
    ("language", "title", "interface_text"),
    [("nl", "Maak bezwaar", "Naar de inhoud"), ("en", "Object now", "Skip to content")],
)
def test_home_renders_in_each_language(client, campaign, language, title, interface_text):
    response = client.get(url("campaign:home", language))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}">' in html
    assert title in html
    assert interface_text in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nl", "Over doneren"), ("en", "About giving")],
)
def test_giving_info_page_in_each_language(client, language, expected):
    response = client.get(url("campaign:giving", language))
    assert response.status_code == 200
    html = response.content.decode()
    assert expected in html
    assert "ANBI" in html


def test_guide_steps_appear_in_order(client, campaign):
    for name in ("campaign:home", "campaign:guide"):
        html = client.get(url(name, "en")).content.decode()
        positions = [html.index(f"en step {n}") for n in (1, 2, 3)]
        assert positions == sorted(positions), name
        assert 'id="step-1"' in html and 'id="step-3"' in html


def test_home_without_a_current_campaign_is_a_friendly_404(client):
    response = client.get(url("campaign:home", "en"))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_root_redirects_by_browser_language_without_a_cookie(client, campaign):
    response = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response.status_code == 302
    assert response["Location"] == "/en/"
    assert not response.cookies
    response = client.get("/", headers={"Accept-Language": "nl-NL"})
    assert response["Location"] == "/nl/"


def test_language_switch_keeps_the_page(client):
    make_article(language="nl", slug="jouw-rechten", title="Rechten", translation_key="rights")
    make_article(language="en", slug="your-rights", title="Rights", translation_key="rights")
    html = client.get(url("campaign:article", "nl", slug="jouw-rechten")).content.decode()
    assert 'href="/en/articles/your-rights/" hreflang="en"' in html
    guide_html = client.get(url("campaign:giving", "en")).content.decode()
    assert 'href="/nl/giving/" hreflang="nl"' in guide_html


def test_public_pages_set_no_cookie_and_are_publicly_cacheable(client, public_urls):
    for page in public_urls:
        response = client.get(page)
        assert response.status_code == 200, page
        assert not response.cookies, page
        assert "Cookie" not in response.get("Vary", ""), page
        cache_control = response["Cache-Control"]
        assert "public" in cache_control and "max-age=60" in cache_control, page


def test_security_headers_present(client, campaign):
    response = client.get(url("campaign:home", "en"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_load_nothing_from_other_hosts(client, public_urls):
    import re

    for page in public_urls:
        html = client.get(page).content.decode()
        # A link to the page in another language loads nothing; everything else must be ours.
        without_alternates = re.sub(r'<link rel="alternate"[^>]*>', "", html)
        loaded = re.findall(
            r'<(?:script|img|link|iframe|source)\b[^>]*(?:src|href)="([^"]+)"', without_alternates
        )
        assert loaded, page
        assert all(src.startswith("/") and not src.startswith("//") for src in loaded), loaded
        # No style attributes; one <style>, the theme's colours, which the CSP allows by hash.
        assert "style=" not in html and html.count("<style") == 1, page
        assert re.search(r"<style>:root\{[^<]*\}</style>", html), page


def test_home_page_query_count_is_fixed(client, campaign, django_assert_num_queries):
    home = url("campaign:home", "en")
    with django_assert_num_queries(2):  # the article with its campaign, then its steps
        response = client.get(home)
    assert response["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        response = client.get(home)
    assert response["X-Page-Cache"] == "hit"


@pytest.mark.parametrize(
    ("name", "kwargs", "query", "queries"),
    [
        ("campaign:guide", {}, "", 2),
        ("campaign:giving", {}, "", 0),
        ("campaign:privacy", {}, "", 1),  # is there a statement of the organisation's own?
        ("campaign:contact", {}, "", 0),
        ("campaign:search", {}, "?q=reading", 1),
        ("campaign:article", {"slug": "extra"}, "", 2),
        ("donations:donate", {}, "", 0),
    ],
)
def test_public_page_query_counts(
    client, campaign, django_assert_num_queries, name, kwargs, query, queries
):
    make_article(language="en", slug="extra", title="Extra reading")
    if name == "campaign:search" and connection.vendor == "postgresql":
        queries += 1  # the giving page's text, stemmed by the database as the articles are
    with django_assert_num_queries(queries):
        assert client.get(url(name, "en", **kwargs) + query).status_code == 200


def test_home_query_count_does_not_grow_with_steps(client, django_assert_num_queries):
    make_campaign_with_articles(steps=12)
    with django_assert_num_queries(2):
        client.get(url("campaign:home", "en"))


def test_saving_content_invalidates_cached_pages(client, campaign):
    home = url("campaign:home", "en")
    assert "Object now" in client.get(home).content.decode()
    article = Article.objects.get(language="en", campaign=campaign)
    article.title = "A fresh title"
    article.save()
    assert "A fresh title" in client.get(home).content.decode()
    GuideStep.objects.filter(article=article, position=2).update(title="unchanged by update")
    step = GuideStep.objects.get(article=article, position=1)
    step.title = "Renamed first step"
    step.save()
    assert "Renamed first step" in client.get(home).content.decode()


def test_unpublished_and_future_articles_are_hidden(client):
    from django.utils import timezone

    make_article(language="en", slug="draft", published=False)
    make_article(
        language="en", slug="later", published_at=timezone.now() + timezone.timedelta(days=1)
    )
    assert client.get(url("campaign:article", "en", slug="draft")).status_code == 404
    assert client.get(url("campaign:article", "en", slug="later")).status_code == 404


def test_article_in_the_other_language_is_not_served_under_this_one(client):
    make_article(language="nl", slug="alleen-nl")
    assert client.get(url("campaign:article", "en", slug="alleen-nl")).status_code == 404
    assert client.get(url("campaign:article", "nl", slug="alleen-nl")).status_code == 200


def test_pages_built_for_another_host_link_to_the_public_url_and_stay_apart(
    client, campaign, settings
):
    """Finding 9: `Host: localhost:6666` once made a page whose share links pointed there, and
    the page cache served it to everyone."""
    settings.PUBLIC_BASE_URL = "https://gifts.example.org"
    odd = client.get("/en/", HTTP_HOST="localhost:6666")
    html = odd.content.decode()
    assert "localhost:6666" not in html
    assert "https%3A//gifts.example.org/en/" in html
    assert odd["X-Page-Cache"] == "miss"
    assert client.get("/en/")["X-Page-Cache"] == "miss"  # not the page made for the other host
    assert client.get("/en/")["X-Page-Cache"] == "hit"


def test_addresses_with_a_query_string_are_not_stored(client, campaign):
    for n in range(3):
        assert "X-Page-Cache" not in client.get(f"/en/?flood={n}")
    assert client.get("/en/")["X-Page-Cache"] == "miss"
