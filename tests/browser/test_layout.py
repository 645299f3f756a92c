"""The home page on a phone: nothing moves while it loads, and giving is never hidden."""

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE
from .helpers import TEXT, check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Sums the layout shifts the browser reports (as Lighthouse's CLS does), from the first paint.
LAYOUT_SHIFT = """
() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) { if (!entry.hadRecentInput) total += entry.value; }
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 1500);
})
"""


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_phone_home_page_does_not_shift_and_shows_how_to_give(page_factory, site, language):
    t = TEXT[language]
    page = page_factory(viewport=PHONE, language=language)
    page.goto(f"{site.url}/{language}/")
    page.wait_for_load_state("load")
    assert page.evaluate(LAYOUT_SHIFT) <= 0.01
    # Without opening the menu: the Donate and supporter links, and the donation box.
    expect(page.get_by_role("button", name=t["menu"])).to_have_attribute("aria-expanded", "false")
    header = page.locator(".site-header")
    expect(header.get_by_role("link", name=t["donate"], exact=True)).to_be_in_viewport()
    expect(header.get_by_role("link", name=t["supporters"], exact=True)).to_be_in_viewport()
    box = page.get_by_role("region", name=t["donate_box"])
    expect(box).to_be_visible()
    # Early on the page: before the article's body, right after its introduction.
    assert page.evaluate(
        "document.querySelector('.donate-aside').compareDocumentPosition("
        "document.querySelector('.article-layout > .prose')) & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    check_page(page, f"home phone {language}")


def test_the_phone_home_page_does_not_shift_without_javascript(page_factory, site):
    page = page_factory(viewport=PHONE, language="en", javascript=False)
    page.goto(f"{site.url}/en/")
    first = page.locator("main").bounding_box()["y"]
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    assert page.locator("main").bounding_box()["y"] == first
    expect(page.locator(".site-header").get_by_role("link", name="Supporters")).to_be_visible()


def test_on_a_wide_screen_the_donation_box_stays_beside_the_article(page_factory, site):
    page = page_factory(viewport=DESKTOP, language="en")
    page.goto(f"{site.url}/en/")
    box = page.locator(".donate-aside")
    article = page.locator(".article-layout > .prose")
    assert box.bounding_box()["x"] > article.bounding_box()["x"] + article.bounding_box()["width"]
    page.mouse.wheel(0, 2500)
    page.wait_for_timeout(300)
    expect(box).to_be_in_viewport()  # sticky while reading
