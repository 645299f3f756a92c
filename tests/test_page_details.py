"""Details a visitor, a search engine or a screen reader notices: links to the other language,
the current page in the menu, heading levels, titles on errors, dates, an empty counter."""

import datetime
import re

import pytest
from django.utils.translation import override

from campaign.models import Article

from .campaign.factories import make_campaign_with_articles
from .donations.factories import make_payment
from .supporters.conftest import log_in, make_supporter, url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def campaign():
    campaign = make_campaign_with_articles(steps=3)
    Article.objects.filter(language="en").update(title="Meta wants your posts. Object now.")
    return campaign


def alternates(html: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


def test_language_alternates_are_absolute_with_a_default(client, campaign, settings):
    settings.PUBLIC_BASE_URL = "https://gifts.example.org"
    links = alternates(client.get("/en/guide/").content.decode())
    assert links == {
        "nl": "https://gifts.example.org/nl/guide/",
        "en": "https://gifts.example.org/en/guide/",
        "x-default": "https://gifts.example.org/",
    }


def test_the_language_switch_on_a_missing_page_leads_to_the_other_language(client, campaign):
    html = client.get("/en/no-such-page/").content.decode()
    switch = html.split('class="language-switch"')[1]
    assert 'href="/nl/"' in switch and 'href="/en/"' in switch
    assert alternates(html)["nl"].endswith("/nl/")


def test_the_main_menu_does_not_call_the_supporter_area_the_campaign(client, campaign):
    supporter = make_supporter()
    log_in(client, supporter)
    html = client.get(url("home")).content.decode()
    main_menu = html.split('aria-label="Main menu"')[1].split("</nav>")[0]
    assert 'aria-current="page"' not in main_menu
    header = html.split('class="header-actions"')[1].split("</nav>")[0]
    assert re.search(r'nav-supporters"[^>]*aria-current="page"', header)


def test_guide_steps_are_one_level_below_the_page_heading(client, campaign):
    with override("en"):
        html = client.get("/en/guide/").content.decode()
    assert re.findall(r"<h(\d)", html.split("<main")[1])[:2] == ["1", "2"]
    assert "<h3" not in html.split("<main")[1].split("guide-step")[1]
    assert "Object now”." in html and "Object now.”" not in html  # one full stop


def test_a_form_with_errors_says_so_in_the_page_title(client):
    response = client.post("/en/donate/", {"frequency": "oneoff", "amount": "25"})
    assert response.status_code == 400
    assert re.search(r"<title>Error: ", response.content.decode())
    assert "<title>Error" not in client.get("/en/donate/").content.decode()


def test_dates_in_the_dutch_supporter_area_are_dutch(client):
    ann = make_supporter()
    make_payment(ann, "10.00")  # paid on the tests' fixed day, 15 June 2026
    log_in(client, ann)
    html = client.get(url("home", "nl")).content.decode()
    assert "<td>15 jun 2026</td>" in html
    assert "15 Jun 2026" in client.get(url("home", "en")).content.decode()


def test_a_new_campaign_invites_instead_of_counting_nobody(client, campaign):
    html = client.get("/en/").content.decode()
    assert "Be the first to tell us you objected!" in html
    assert "0 people" not in html
    with override("nl"):
        assert "0 mensen" not in client.get("/nl/").content.decode()


def test_every_year_with_gifts_has_its_statement(client):
    ann = make_supporter()
    # The payment provider's clock may be ahead of ours (the sandbox's can be moved on).
    make_payment(ann, "10.00", paid_at=datetime.datetime(2027, 1, 5, 12, tzinfo=datetime.UTC))
    log_in(client, ann)
    assert "/statement/2027/" in client.get(url("home")).content.decode()
    assert client.get(url("statement", year=2027)).status_code == 200
