"""What a first visitor tripped over, checked at 320, 390 and 1366 px in a real Chromium: a way to
give stays in reach on a phone, the gift form uses the width it has and names the gift on its
button, and the supporter area's tables read on the smallest phone."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from donations.models import Donation, Payment
from supporters.models import Supporter

from .helpers import TEXT, check_page, latest_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SMALL = {"width": 320, "height": 640}
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1366, "height": 900}

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def log_in_with_a_code(page, site, email: str) -> None:
    """Into the supporter area in Dutch, with the code the login email carries."""
    mail.outbox.clear()
    page.goto(f"{site.url}/nl/supporters/login/")
    page.get_by_role("textbox", name=TEXT["nl"]["email"]).fill(email)
    page.get_by_role("textbox", name=TEXT["nl"]["email"]).press("Enter")
    page.get_by_role("textbox", name=TEXT["nl"]["code"]).fill(latest_code(email))
    page.get_by_role("button", name=TEXT["nl"]["log_in"], exact=True).click()


@pytest.mark.parametrize("viewport", [SMALL, PHONE], ids=["320", "390"])
def test_on_a_phone_donate_stays_in_reach_and_hides_nothing(page_factory, site, viewport):
    page = page_factory(viewport=viewport, language="nl")
    page.goto(f"{site.url}/nl/")
    bar = page.locator(".donate-bar")
    page.mouse.wheel(0, 3000)
    page.wait_for_timeout(200)
    expect(bar.get_by_role("link", name="Doneer")).to_be_in_viewport()
    # At the very end the page has room for the bar: the footer's last line is above it.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(200)
    last = page.locator(".site-footer > p").bounding_box()
    assert last["y"] + last["height"] <= bar.bounding_box()["y"] + 1
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    check_page(page, f"home with the donate bar {viewport['width']}")


@pytest.mark.parametrize("path", ["/en/", "/en/guide/", "/en/giving/"])
def test_on_a_phone_what_has_keyboard_focus_is_never_under_the_donate_bar(page_factory, site, path):
    page = page_factory(viewport={"width": 320, "height": 568}, language="en")
    page.goto(f"{site.url}{path}")
    bar = page.locator(".donate-bar")
    hidden = []
    for _ in range(60):
        page.keyboard.press("Tab")
        found = page.evaluate(
            """() => {
              const el = document.activeElement;
              if (!el || el === document.body || el.closest('.donate-bar')) return null;
              const box = el.getBoundingClientRect();
              return {bottom: box.bottom, text: (el.textContent || el.name || '').trim()};
            }"""
        )
        if found is None:
            continue
        top = bar.bounding_box()["y"] if bar.is_visible() else 568
        if found["bottom"] > top + 1:
            hidden.append(found["text"][:30])
    assert hidden == [], f"under the bar: {hidden}"


def test_the_bar_steps_aside_while_the_campaign_s_donate_box_is_in_view(page_factory, site):
    page = page_factory(viewport=PHONE, language="en")
    page.goto(f"{site.url}/en/")
    bar = page.locator(".donate-bar")
    page.locator(".donate-cta").scroll_into_view_if_needed()
    expect(bar).to_be_hidden()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(bar).to_be_visible()


def test_without_javascript_the_bar_is_there_and_on_a_wide_screen_it_is_not(page_factory, site):
    phone = page_factory(viewport=PHONE, language="en", javascript=False)
    phone.goto(f"{site.url}/en/guide/")
    expect(phone.locator(".donate-bar")).to_be_visible()
    wide = page_factory(viewport=WIDE, language="en")
    wide.goto(f"{site.url}/en/")
    expect(wide.locator(".donate-bar")).to_be_hidden()


@pytest.mark.parametrize("viewport", [SMALL, PHONE, WIDE], ids=["320", "390", "1366"])
def test_the_gift_form_uses_its_width_and_names_the_gift(page_factory, site, viewport):
    page = page_factory(viewport=viewport, language="en")
    page.goto(f"{site.url}/en/donate/")
    form = page.locator("form.donate-form")
    trust = page.locator(".donate-trust")
    email = page.get_by_role("textbox", name="Your email address")
    if viewport == WIDE:  # two columns: how giving works beside the form
        assert trust.bounding_box()["x"] > form.bounding_box()["x"] + form.bounding_box()["width"]
    else:  # one column; the fields take the whole width
        assert email.bounding_box()["width"] >= form.bounding_box()["width"] - 2
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
    button = page.locator("[data-gift-button]")
    expect(button).to_have_text(re.compile(r"^Give €\s10 a month$"))
    page.get_by_role("radio", name="One time").check()
    other = page.get_by_role("textbox", name="Other amount in euros")
    other.fill("12,50")  # typing ticks "other amount"
    expect(page.get_by_role("radio", name="Other amount", exact=True)).to_be_checked()
    expect(button).to_have_text(re.compile(r"^Give €\s12\.50$"))
    other.fill("1.000,-")  # as the server reads it
    expect(button).to_have_text(re.compile(r"^Give €\s1,000$"))
    page.get_by_role("radio", name="€ 25").check()  # a fixed amount empties the field
    expect(other).to_have_value("")
    expect(button).to_have_text(re.compile(r"^Give €\s25$"))
    check_page(page, f"gift form {viewport['width']}")


def test_the_campaign_box_takes_another_amount(page_factory, site):
    page = page_factory(viewport=PHONE, language="nl")
    page.goto(f"{site.url}/nl/")
    box = page.get_by_role("region", name=TEXT["nl"]["donate_box"])
    box.get_by_role("textbox", name="Ander bedrag in euro").fill("17")  # ticks "Ander bedrag"
    expect(box.get_by_role("radio", name="Ander bedrag")).to_be_checked()
    box.get_by_role("button", name=TEXT["nl"]["continue_to_donate"]).click()
    expect(page.get_by_role("textbox", name="Ander bedrag in euro")).to_have_value("17")
    expect(page.locator("[data-gift-button]")).to_have_text(re.compile(r"^Geef €\s17 per maand$"))


def test_the_area_s_tables_read_at_320_px(page_factory, site):
    ann = Supporter.objects.create(email="small@example.org", name="Ann", language="nl")
    for day, amount in ((3, "1234.50"), (5, "10.00")):
        donation = Donation.objects.create(
            supporter=ann, amount=Decimal(amount), frequency="monthly", language="nl"
        )
        Payment.objects.create(
            mollie_id=f"tr_small{day}",
            donation=donation,
            supporter=ann,
            status="paid",
            sequence_type="first",
            amount=Decimal(amount),
            amount_refunded=Decimal("4.50"),
            paid_at=datetime.datetime(2026, 3, day, 12, tzinfo=datetime.UTC),
        )
    page = page_factory(viewport=SMALL, language="nl")
    log_in_with_a_code(page, site, ann.email)
    table = page.get_by_role("table")
    expect(table).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    # Every cell fits: "Terugbetaald of teruggeboekt" is not cut to "Terugb…", dates stay whole.
    assert page.evaluate(
        "[...document.querySelectorAll('table.stacking td')]"
        ".every(td => td.scrollWidth <= td.clientWidth + 1)"
    )
    check_page(page, "area table 320")
    page.goto(f"{site.url}/nl/supporters/statement/2026/")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert page.evaluate(
        "[...document.querySelectorAll('table.stacking td')]"
        ".every(td => td.scrollWidth <= td.clientWidth + 1)"
    )
    check_page(page, "statement 320")


@pytest.mark.parametrize("width", [800, 900, 1366])
@pytest.mark.parametrize("language", ["nl", "en"])
def test_on_a_wide_screen_the_search_box_shows_its_whole_placeholder(
    page_factory, site, language, width
):
    page = page_factory(viewport={"width": width, "height": 900}, language=language)
    page.goto(f"{site.url}/{language}/")
    fits = page.evaluate(
        """() => {
          const input = document.querySelector('.site-search input');
          const style = getComputedStyle(input);
          const context = document.createElement('canvas').getContext('2d');
          context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
          const room = input.clientWidth - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight);
          return context.measureText(input.placeholder).width <= room;
        }"""
    )
    assert fits
    assert page.evaluate(NO_SIDEWAYS_SCROLL)


def test_the_agreement_form_s_fields_take_the_width_of_a_small_phone(page_factory, site):
    """The periodic gift agreement asks for dates: on a phone they are as wide as the other
    fields, with the same border."""
    ann = Supporter.objects.create(email="dates@example.org", name="Ann", language="nl")
    page = page_factory(viewport=SMALL, language="nl")
    log_in_with_a_code(page, site, ann.email)
    page.goto(f"{site.url}/nl/supporters/periodic-gift/by-transfer/")
    dates = page.locator("input[type=date]")
    assert dates.count() >= 1
    assert dates.first.evaluate("e => getComputedStyle(e).borderTopWidth") == "2px"
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    check_page(page, "agreement by transfer 320")
