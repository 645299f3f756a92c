"""Privacy and robustness in a real browser: no JavaScript, secure cookies, checks that bite."""

import re

import pytest
from playwright.sync_api import expect

from donations.models import Payment

from .conftest import DESKTOP, PHONE
from .helpers import AXE_TAGS, TEXT, check_page, cookie_flags_are_safe
from .test_journeys import fill_donation, pay_on_checkout

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_JS_VARIANTS = [
    pytest.param("nl", PHONE, id="nl-phone"),
    pytest.param("en", DESKTOP, id="en-desktop"),
]


@pytest.mark.parametrize(("language", "viewport"), NO_JS_VARIANTS)
def test_reader_without_javascript(page_factory, site, language, viewport):
    t = TEXT[language]
    page = page_factory(viewport=viewport, language=language, javascript=False)
    page.goto(f"{site.url}/{language}/")
    # Without JavaScript there is no menu button: the links are simply there.
    expect(page.get_by_role("button", name=t["menu"])).to_be_hidden()
    page.get_by_role("link", name=t["guide"], exact=True).click()
    expect(page).to_have_url(re.compile(rf"/{language}/guide/$"))
    page.get_by_role("searchbox", name=t["search_field"]).fill(t["search_term"])
    page.get_by_role("search").get_by_role("button", name=t["search_button"]).click()
    page.get_by_role("link", name=t["rights_article"]).click()
    page.get_by_role("link", name=t["other_language"]).click()
    expect(page.get_by_role("heading", level=1, name=t["rights_article_other"])).to_be_visible()
    page.goto(f"{site.url}/{language}/")
    page.get_by_role("button", name=t["objected"]).click()
    expect(page.get_by_text(t["one_objection"])).to_be_visible()
    check_page(page, f"objection thanks (no JS) {language}")
    assert page.context.cookies() == []


@pytest.mark.parametrize(("language", "viewport"), NO_JS_VARIANTS)
def test_one_off_donation_without_javascript(page_factory, site, language, viewport):
    t = TEXT[language]
    email = f"nojs-{language}@example.org"
    page = page_factory(viewport=viewport, language=language, javascript=False)
    page.goto(f"{site.url}/{language}/donate/?frequency=oneoff&amount=10")
    fill_donation(page, t, name="No Script", email=email)
    page.get_by_role("button", name=t["pay"]).click()
    pay_on_checkout(page, "paid")
    expect(page.get_by_role("heading", level=1, name=t["thanks"])).to_be_visible()
    page.get_by_role("button", name=t["to_area"]).click()
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(2)
    assert Payment.objects.get(supporter__email=email).status == "paid"


def test_cookies_are_secure_under_production_settings(page_factory, site, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    t = TEXT["en"]
    page = page_factory(viewport=DESKTOP)
    page.goto(f"{site.url}/en/donate/")
    fill_donation(page, t, name="Sec Ure", email="secure@example.org")
    page.get_by_role("button", name=t["pay"]).click()
    pay_on_checkout(page, "paid")
    page.get_by_role("button", name=t["to_area"]).click()
    expect(page.get_by_role("table")).to_be_visible()
    cookies = page.context.cookies()
    assert {cookie["name"] for cookie in cookies} >= {"sessionid", "csrftoken"}
    cookie_flags_are_safe(cookies, secure=True)


def test_the_checks_can_fail(page_factory, site):
    """A page with a known accessibility fault and a third-party request is caught."""
    from axe_playwright_python.sync_playwright import Axe

    page = page_factory(viewport=DESKTOP)
    page.goto(f"{site.url}/en/giving/")
    with page.expect_request("https://tracker.example/pixel.gif"):
        page.evaluate(
            """() => {
                const img = document.createElement('img');
                img.src = 'https://tracker.example/pixel.gif';
                document.querySelector('main').appendChild(img);
            }"""
        )
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert "image-alt" in {v["id"] for v in results.response["violations"]}
    assert page.watch.foreign_requests() == ["https://tracker.example/pixel.gif"]


def test_the_policy_blocks_inline_script(page_factory, site):
    page = page_factory(viewport=DESKTOP)
    page.goto(f"{site.url}/en/giving/")
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            """() => {
                const script = document.createElement('script');
                script.textContent = 'window.injected = true';
                document.body.appendChild(script);
            }"""
        )
    assert page.evaluate("window.injected === undefined")
    assert any("Content Security Policy" in error for error in page.watch.console_errors)
