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

pytestmark = pytest.mark.django_db


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
    assert '<td data-label="Datum">15 jun 2026</td>' in html
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


def test_the_header_search_counts_results_as_you_type(client, campaign):
    response = client.get("/en/search/count/?q=campaign")
    # The campaign, and the giving page ("campaigns like this one"): every public text counts.
    assert response.json() == {"count": 2, "text": "2 results"}
    assert response["Content-Type"] == "application/json" and not response.cookies
    with override("nl"):
        assert client.get("/nl/search/count/?q=niets-gevonden").json()["text"] == "0 resultaten"
    html = client.get("/en/").content.decode()
    assert 'data-count-url="/en/search/count/"' in html and "data-search-count" in html


def test_the_object_call_links_straight_to_metas_forms(client, campaign):
    from campaign.models import Campaign

    Campaign.objects.update(
        facebook_form_url="https://www.facebook.com/help/contact/1",
        instagram_form_url="https://help.instagram.com/contact/2",
    )
    html = client.get("/en/").content.decode()
    section = html.split('aria-labelledby="object-now-title"')[1].split("</section>")[0]
    assert 'href="https://www.facebook.com/help/contact/1" rel="noopener noreferrer"' in section
    assert 'href="https://help.instagram.com/contact/2"' in section


def test_the_demo_guide_has_the_five_steps_and_the_tips(client):
    from campaign.services import demo_content_load

    demo_content_load()
    html = client.get("/en/guide/").content.decode()
    steps = re.findall(r'<h2 class="guide-step-title">.*?</span> (.*?)</h2>', html)
    assert steps == [
        "Open your settings",
        "Go to the Privacy Centre",
        "Open the objection form",
        "Give a reason (optional)",
        "Send the form",
    ]
    assert "Keep the confirmation" in html and "Repeat it for every account" in html
    assert "Object on Facebook" in html and "Object on Instagram" in html


def test_success_and_failure_pages_say_what_the_original_says():
    from django.template.loader import render_to_string

    with override("en"):
        success = render_to_string("donations/success.html", {"donation": _Donation()})
        failure = render_to_string(
            "donations/failure.html",
            {"payment": None, "retry_url": "/x", "organisation": {"email": "info@example.org"}},
        )
    assert "You're an official supporter of a free internet!" in success
    assert "thank-you email on its way to you holds a login code for the supporter area" in success
    assert "your payment was not processed" in failure and "Please try again." in failure
    assert '<a href="mailto:info@example.org">info@example.org</a>' in failure


class _Donation:
    frequency = "oneoff"
    amount = 10
    is_recurring = False
    public_token = "x" * 32


def test_a_paid_row_without_a_date_does_not_break_the_overview(client):
    from donations.models import Payment

    ann = make_supporter()
    payment = make_payment(ann, "10.00")
    Payment.objects.filter(pk=payment.pk).update(paid_at=None)  # made by hand, say
    log_in(client, ann)
    response = client.get(url("home"))
    assert response.status_code == 200 and response.context["totals"].years == []
