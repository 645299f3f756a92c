"""Site-wide behaviour: settings, health check, error pages, sharing."""

import base64
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import RequestFactory
from django.urls import reverse
from django.utils.translation import override

ROOT = Path(__file__).resolve().parent.parent


def _start_django(extra_env: dict) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTEST_VERSION", "SECRET_KEY", "DEBUG"}
    }
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_secret_key_stops_start_up_with_a_clear_message(tmp_path):
    result = _start_django({"DJANGO_SETTINGS_MODULE": "config.settings"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_or_a_secret_key_lets_it_start():
    assert _start_django({"DEBUG": "1"}).returncode == 0
    assert _start_django({"SECRET_KEY": "x" * 50}).returncode == 0


@pytest.mark.django_db
def test_healthz_answers_200_with_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_without_the_database(client):
    with mock.patch("core.views.connection.cursor", side_effect=DatabaseError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503


@pytest.mark.django_db
def test_404_page_is_in_the_site_style_and_language(client):
    response = client.get("/nl/bestaat-niet/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Pagina niet gevonden" in html
    assert 'class="site-header"' in html


def test_500_page_renders_without_a_database_or_context():
    from django.views.defaults import server_error

    with override("en"):
        response = server_error(RequestFactory().get("/en/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b'<html lang="en">' in response.content


def test_theme_colours_come_from_settings_inline_and_allowed_by_their_hash(client, settings):
    settings.THEME = {"brand": "#123456", "bad": "red;}</style><script>"}
    response = client.get("/en/donate/")
    html = response.content.decode()
    assert "<style>:root{--brand:#123456;}</style>" in html
    assert "script>" not in html.split("<style>")[1].split("</style>")[0]
    digest = base64.b64encode(hashlib.sha256(b":root{--brand:#123456;}").digest()).decode()
    assert f"'sha256-{digest}'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert 'href="/theme.css"' not in html  # no second stylesheet to wait for


def share_url() -> str:
    with override("en"):
        return reverse("campaign:share_mastodon")


def test_mastodon_share_sends_the_reader_to_their_own_server(client):
    page = client.get(share_url() + "?path=/en/guide/")
    assert page.status_code == 200 and not page.cookies
    response = client.post(
        share_url(), {"server": "https://Mastodon.Example/", "path": "/en/guide/"}
    )
    assert response.status_code == 303
    assert response["Location"].startswith("https://mastodon.example/share?text=")
    assert "testserver%2Fen%2Fguide%2F" in response["Location"]


@pytest.mark.parametrize(
    ("server", "path"),
    [
        ("not a host", "/en/"),
        ("evil.example/phish?x=", "/en/"),
        ("mastodon.social", "https://evil.example/"),
        ("mastodon.social", "//evil.example/"),
        ("", "/en/"),
    ],
)
def test_mastodon_share_rejects_bad_input_with_a_message(client, server, path):
    response = client.post(share_url(), {"server": server, "path": path})
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode() or "cannot be shared" in (
        response.content.decode()
    )


def test_mastodon_share_refuses_other_sites(client):
    response = client.post(
        share_url(),
        {"server": "mastodon.social", "path": "/en/"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403


def test_env_example_documents_every_setting_read_from_the_environment():
    import re

    settings_source = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_source))
    documented = set(re.findall(r"^#? ?([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "no variables found"
    assert read - documented == set()


def test_the_shipped_nginx_configuration_compresses_pages():
    conf = (Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf").read_text()
    assert re.search(r"^\s*gzip on;", conf, re.MULTILINE)  # text/html is always compressed
    assert re.search(r"^\s*gzip_vary on;", conf, re.MULTILINE)
    # One cached copy per coding, the coding normalised (not one per browser's header), and
    # the app asked for exactly that coding, so nginx never compresses a cached page itself.
    assert "map $http_accept_encoding $page_coding" in conf
    assert 'proxy_cache_key "$scheme$host$request_uri$page_coding";' in conf
    assert "proxy_set_header Accept-Encoding $page_coding;" in conf
    assert re.search(r"^\s*gzip_static on;", conf, re.MULTILINE)
    assert re.search(r"^\s*brotli_static on;", conf, re.MULTILINE)


def test_robots_txt_keeps_staff_pages_out_of_search_engines(client):
    response = client.get("/robots.txt")
    body = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert "Disallow: /admin/" in body and "Disallow: /staff/" in body
    assert "supporters" not in body and "return" not in body  # not advertised
    assert not response.cookies


def test_every_file_the_readme_and_docs_link_to_is_in_the_repository():
    """The README showed screenshots that .gitignore kept out of every clone."""
    root = Path(__file__).resolve().parents[1]
    listing = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True)
    if listing.returncode != 0:
        pytest.skip("not a git work tree")
    tracked = set(listing.stdout.split())
    for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        base = page.parent.relative_to(root)
        for target in re.findall(r'(?:\]\(|src=")([^)"#\s]+)', page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            path = (base / target).as_posix().removeprefix("./")
            assert path in tracked or any(t.startswith(path + "/") for t in tracked), (
                f"{page.name} links to {target}, which is not in the repository"
            )


def test_with_debug_on_a_wrong_address_shows_the_site_s_own_404(client, settings):
    """`make run` runs with DEBUG on: a newcomer's typo gets the site's page, not Django's
    list of URL patterns (which DEBUG_TECHNICAL_404 brings back)."""
    settings.DEBUG = True
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "URLconf" not in html and "DEBUG = True" not in html
    settings.DEBUG_TECHNICAL_404 = True
    assert "URLconf" in client.get("/en/no-such-page/").content.decode()


def test_the_demo_relaxes_the_limits_per_client_and_says_so():
    """`make run` (DEMO=1) lets someone try every journey from one machine; without DEMO the
    limits are the real ones."""
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
        "from django.conf import settings;"
        "print(settings.DONATION_START_LIMIT_PER_HOUR, settings.LOGIN_CODE_CLIENT_LIMIT,"
        " settings.LOGIN_CODES_PER_ADDRESS, settings.DIRECT_DEBIT_PER_CLIENT_PER_DAY,"
        " settings.DIRECT_DEBIT_PER_ADDRESS_PER_DAY, settings.DIRECT_DEBIT_PER_IBAN_PER_MONTH)"
    )
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "1"}
    real = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    demo = subprocess.run(
        [sys.executable, "-c", code], env={**env, "DEMO": "1"}, capture_output=True, text=True
    )
    assert real.stdout.split() == ["10", "10", "3", "3", "2", "2"], real.stderr
    # Every limit on what one person may try: the README's test IBAN and one address too.
    assert [int(n) for n in demo.stdout.split()] == [1000] * 6, demo.stderr
    source = (Path(__file__).parents[1] / "core/management/commands/run_dev.py").read_text()
    assert "limits per client" in source


@pytest.mark.django_db
def test_the_small_things_a_first_visitor_met(client):
    """The header carries the organisation's configured name, the footer's link suits someone
    logged in as well as a newcomer, the search box says what it is for."""
    from .campaign.factories import make_campaign_with_articles

    make_campaign_with_articles()
    html = client.get("/en/").content.decode()
    assert 'class="brand-name"' in html and "Stichting Digitale Rechten Nu</span>" in html
    assert ">Supporter area</a>" in html and "Supporters: log in" not in html
    assert 'placeholder="Search this site"' in html
    source = (Path(__file__).parents[1] / "templates/donations/success.html").read_text()
    assert "as soon as possible" not in source and "thank-you email" in source
