"""The organisation's identity: its details, logo and legal pages come from settings or staff
content, and nothing made up is shown unless the demo is asked for."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

from campaign.models import Article
from core import checks
from core.cache import public_pages_invalidate

from .campaign.factories import make_article, make_campaign_with_articles

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
DEMO_ADDRESS = "Voorbeeldstraat 1, 1234 AB Amsterdam"


@pytest.fixture
def real_organisation(settings):
    settings.ORGANISATION = {
        **settings.ORGANISATION,
        "address": "Postbus 1, 1000 AA Amsterdam",
        "email": "info@gifts.example.org",
        "phone": "020 765 4321",
        "kvk": "12345678",
        "rsin": "123456789",
    }
    return settings.ORGANISATION


def footer(html: str) -> str:
    return html[html.index('<footer class="site-footer">') :]


def test_without_details_no_placeholder_is_shown(client):
    make_campaign_with_articles()
    for page in ("/en/", "/nl/contact/", "/en/privacy/", "/en/giving/"):
        html = client.get(page).content.decode()
        assert "Voorbeeldstraat" not in html and "example.org" not in html, page
        assert "<address>" not in html, page
        assert not re.search(r'mailto:[^?"]', html), page  # only the share link's empty one


def test_the_footer_shows_the_organisation_and_the_legal_links(client, real_organisation):
    make_campaign_with_articles()
    html = footer(client.get("/en/").content.decode())
    assert "Postbus 1, 1000 AA Amsterdam" in html
    assert '<a href="mailto:info@gifts.example.org">info@gifts.example.org</a>' in html
    assert '<a href="tel:0207654321">020 765 4321</a>' in html
    assert "Chamber of Commerce (KvK) 12345678 · RSIN 123456789" in html
    for href in ("/en/contact/", "/en/privacy/", "/en/supporters/"):
        assert f'href="{href}"' in html, href


def test_contact_page_lists_the_details_and_the_security_contact(
    client, real_organisation, settings
):
    settings.SECURITY_CONTACT = "mailto:security@gifts.example.org"
    html = client.get("/nl/contact/").content.decode()
    assert "Postbus 1, 1000 AA Amsterdam" in html and "KvK" in html
    assert 'href="/.well-known/security.txt"' in html
    settings.SECURITY_CONTACT = ""
    client.get("/nl/contact/")  # the page cache keys on the content generation, not settings
    assert client.get("/.well-known/security.txt").status_code == 404


def test_privacy_statement_states_the_sites_own_rules(client, real_organisation, settings):
    settings.LOGIN_CODE_VALID_MINUTES = 7
    html = client.get("/en/privacy/").content.decode()
    assert "<h1>Privacy statement</h1>" in html
    assert "stops working after 7 minutes" in html
    assert "after 14 days at most" in html
    assert 'href="mailto:info@gifts.example.org"' in html
    dutch = client.get("/nl/privacy/").content.decode()
    assert "<h1>Privacyverklaring</h1>" in dutch and "7 minuten" in dutch


def test_a_published_privacy_article_replaces_the_built_in_statement(client, settings):
    make_article(
        language="en", slug="our-privacy", title="How we handle data", translation_key="privacy"
    )
    html = client.get("/en/privacy/").content.decode()
    assert "<h1>How we handle data</h1>" in html
    Article.objects.filter(translation_key="privacy").update(is_published=False)
    public_pages_invalidate()
    assert "<h1>Privacy statement</h1>" in client.get("/en/privacy/").content.decode()


def test_the_logo_is_drawn_at_its_own_proportions(client, settings):
    make_campaign_with_articles()
    settings.ORG_LOGO = "img/demo-logo.svg"  # viewBox 40 by 40: a mark
    html = client.get("/en/").content.decode()
    brand = html[
        html.index('<a class="brand"') : html.index("</a>", html.index('<a class="brand"'))
    ]
    assert 'width="40" height="40"' in brand and "/static/img/demo-logo" in brand
    # The link's name is the organisation's configured name, said once: the logo carries it
    # (an image with an empty alt is one checkers ask a person to look at), the same words
    # beside it are for the eye only.
    assert 'alt="Stichting Digitale Rechten Nu"' in brand
    assert '<span class="brand-name" aria-hidden="true">Stichting Digitale Rechten Nu' in brand


def test_without_a_readable_logo_the_name_is_shown(client, settings):
    make_campaign_with_articles()
    settings.ORG_LOGO = "img/missing.svg"
    html = client.get("/en/").content.decode()
    assert (
        '<a class="brand" href="/en/"><span class="brand-name">Stichting Digitale Rechten Nu'
        "</span></a>"
    ) in html
    assert [w.id for w in checks.organisation_details_check(None) if w.id == "core.W013"]


def test_deploy_checks_name_missing_details(settings, real_organisation):
    assert checks.organisation_details_check(None) == []
    settings.ORGANISATION = {**real_organisation, "address": "", "email": "", "rsin": ""}
    ids = [w.id for w in checks.organisation_details_check(None)]
    assert ids == ["core.W010", "core.W011", "core.W012"]
    settings.ORGANISATION = {**settings.ORGANISATION, "has_anbi": False}
    assert "core.W012" not in [w.id for w in run_checks(include_deployment_checks=True)]


def test_demo_mode_fills_in_the_demo_organisation():
    program = "from django.conf import settings; print(settings.ORGANISATION['address'])"
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("ORG_") and k != "PYTEST_VERSION"
    }
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"}

    def address(**extra) -> str:
        return subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {program}"],
            cwd=ROOT,
            env=environment | extra,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    assert address() == ""
    assert address(DEMO="1") == DEMO_ADDRESS
    assert address(DEMO="1", ORG_ADDRESS="Echtstraat 2") == "Echtstraat 2"
