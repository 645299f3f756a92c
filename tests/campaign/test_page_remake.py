"""An out-of-date public page is made again by one request while the others get the old copy.

Before, every request that arrived while a page was being made again rendered and compressed it
too: on a campaign page with a goal (kept 20 seconds) under load, dozens of renders at once
every 20 seconds.
"""

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory

from campaign.models import Article
from core.cache import PublicPageCacheMiddleware, _page_key, public_pages_invalidate

from .factories import make_campaign_with_articles

pytestmark = pytest.mark.django_db


class CountingPage:
    """A public page view that counts how often it is made, and can let another reader in
    while it is being made."""

    def __init__(self, seconds=None):
        self.made = 0
        self.seconds = seconds
        self.meanwhile = None  # called while the page is being made
        self.status = 200

    def __call__(self, request):
        self.made += 1
        if self.meanwhile is not None:
            self.meanwhile()
        response = HttpResponse(f"<p>edition {self.made}</p>" * 60, status=self.status)
        response["Cache-Control"] = "public, max-age=20"
        response.public_page = True
        if self.seconds:
            response.public_seconds = self.seconds
        return response


@pytest.fixture
def page():
    view = CountingPage(seconds=20)
    middleware = PublicPageCacheMiddleware(view)
    factory = RequestFactory()

    def ask():
        return middleware(factory.get("/en/", HTTP_ACCEPT_ENCODING="identity"))

    return view, ask


def test_a_reader_arriving_while_an_out_of_date_page_is_made_again_gets_the_old_copy(
    page, fixed_clock
):
    view, ask = page
    assert ask()["X-Page-Cache"] == "miss"
    assert ask()["X-Page-Cache"] == "hit"
    fixed_clock.shift(21)  # past the page's 20 seconds

    meanwhile = []
    view.meanwhile = lambda: meanwhile.append(ask())
    remade = ask()
    view.meanwhile = None

    assert view.made == 2  # once at first, once again: not once more for the second reader
    assert remade["X-Page-Cache"] == "miss"
    assert b"edition 2" in remade.content
    [old] = meanwhile
    assert old["X-Page-Cache"] == "stale"
    assert b"edition 1" in old.content
    # Out of date already: no cache in front may keep the old copy for another 20 seconds.
    assert "max-age=0" in old["Cache-Control"]
    assert "max-age=20" in remade["Cache-Control"]
    assert ask()["X-Page-Cache"] == "hit" and view.made == 2


def test_the_next_reader_after_a_remake_finishes_takes_the_new_page(page, fixed_clock):
    view, ask = page
    ask()
    fixed_clock.shift(21)
    assert ask()["X-Page-Cache"] == "miss"
    fixed_clock.shift(21)
    # The right to make it again was given back: the next out-of-date visit makes it at once.
    assert ask()["X-Page-Cache"] == "miss"
    assert view.made == 3


def test_a_remake_that_fails_drops_the_old_copy_instead_of_serving_it_on(page, fixed_clock):
    view, ask = page
    ask()
    fixed_clock.shift(21)
    view.status = 404  # the page is gone (unpublished, say)
    assert ask().status_code == 404
    assert ask().status_code == 404  # not the stored page from before
    view.status = 200
    assert ask()["X-Page-Cache"] == "miss"


def test_saving_content_has_the_next_reader_make_the_page_again(page):
    view, ask = page
    ask()
    public_pages_invalidate()
    meanwhile = []
    view.meanwhile = lambda: meanwhile.append(ask())
    assert ask()["X-Page-Cache"] == "miss"
    assert [m["X-Page-Cache"] for m in meanwhile] == ["stale"]
    view.meanwhile = None
    assert ask()["X-Page-Cache"] == "hit"
    assert view.made == 2


def test_the_campaign_page_with_a_goal_is_made_again_after_its_20_seconds_and_after_a_save(
    client, fixed_clock, django_assert_num_queries
):
    """The real home page with a goal, through the whole stack: made again once its 20
    seconds are over, then served from the cache without a query; a save shows at once."""
    campaign = make_campaign_with_articles(steps=2)
    campaign.goal_kind = "objections"
    campaign.goal_target = 1000
    campaign.save()
    client.get("/en/")
    assert client.get("/en/")["X-Page-Cache"] == "hit"
    fixed_clock.shift(21)
    assert client.get("/en/")["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        assert client.get("/en/")["X-Page-Cache"] == "hit"
    article = Article.objects.get(language="en", campaign=campaign)
    article.title = "A newer title"
    article.save()
    assert "A newer title" in client.get("/en/").content.decode()


def test_a_made_up_cookie_does_not_drop_the_stored_page(client, fixed_clock):
    """A request with a session cookie that is no session gets a cookie back (Django clears
    it), so its answer cannot be stored; that must not drop the old copy, or every visit with
    a made-up cookie after a page's time would leave the next readers all rendering it."""
    make_campaign_with_articles(steps=1)
    client.get("/en/")
    fixed_clock.shift(61)
    client.cookies["sessionid"] = "x"
    made_up = client.get("/en/")
    assert "X-Page-Cache" not in made_up and made_up.cookies["sessionid"].value == ""
    request = RequestFactory().get("/en/")
    assert cache.get(_page_key(request)) is not None  # still there for the readers meanwhile
    client.cookies.clear()
    assert client.get("/en/")["X-Page-Cache"] == "miss"  # the next reader makes it again


def test_a_head_request_never_takes_the_remake(page, fixed_clock):
    view, ask = page
    ask()
    fixed_clock.shift(21)
    middleware = PublicPageCacheMiddleware(view)
    head = middleware(RequestFactory().head("/en/", HTTP_ACCEPT_ENCODING="identity"))
    assert head["X-Page-Cache"] == "stale" and view.made == 1
    assert ask()["X-Page-Cache"] == "miss" and view.made == 2
