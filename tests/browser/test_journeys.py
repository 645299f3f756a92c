"""The journeys people make, in Dutch and English, on a phone and on a desktop.

Elements are found by role and accessible name, so the tests also prove the labels are right.
Every page a journey visits is checked by `check_page` (axe, foreign requests, console errors).
"""

import re

import pytest
from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from donations.models import Payment, Subscription
from mollie_sandbox.recurring import SETTLE_DAYS

from .conftest import DESKTOP, PHONE
from .helpers import TEXT, check_page, cookie_flags_are_safe, latest_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VARIANTS = [
    pytest.param(language, viewport, id=f"{language}-{size}")
    for language in ("nl", "en")
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP))
]


def open_menu_if_phone(page, t, viewport) -> None:
    if viewport == PHONE:
        menu = page.get_by_role("button", name=t["menu"])
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(page.get_by_role("navigation", name=re.compile("menu", re.I))).to_be_hidden()
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")


@pytest.mark.parametrize(("language", "viewport"), VARIANTS)
def test_reader(page_factory, site, language, viewport):
    t = TEXT[language]
    page = page_factory(viewport=viewport, language=language)
    page.goto(f"{site.url}/{language}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_page(page, f"home {language}")
    assert page.context.cookies() == []

    # Follow the guide.
    open_menu_if_phone(page, t, viewport)
    page.get_by_role("link", name=t["guide"], exact=True).click()
    expect(page).to_have_url(re.compile(rf"/{language}/guide/$"))
    steps = page.get_by_role("navigation", name=re.compile("Steps|Stappen"))
    steps.get_by_role("link").nth(2).click()
    expect(page).to_have_url(re.compile("#step-3$"))
    check_page(page, f"guide {language}")

    # Through the menu to another page.
    open_menu_if_phone(page, t, viewport)
    page.get_by_role("link", name=t["giving"], exact=True).click()
    expect(page.get_by_role("heading", level=1, name=t["giving"])).to_be_visible()
    check_page(page, f"giving {language}")

    # Search and open a result.
    open_menu_if_phone(page, t, viewport)
    page.get_by_role("searchbox", name=t["search_field"]).fill(t["search_term"])
    page.get_by_role("search").get_by_role("button", name=t["search_button"]).click()
    result = page.get_by_role("link", name=t["rights_article"])
    # Wait for the results page: axe on the page being left (its menu still open on a phone)
    # reports overlapping links that the results page does not have.
    expect(result).to_be_visible()
    check_page(page, f"search results {language}")
    result.click()
    expect(page.get_by_role("heading", level=1, name=t["rights_article"])).to_be_visible()
    check_page(page, f"article {language}")

    # Switch language on the same page.
    open_menu_if_phone(page, t, viewport)
    page.get_by_role("link", name=t["other_language"]).click()
    expect(page.get_by_role("heading", level=1, name=t["rights_article_other"])).to_be_visible()

    # "I objected" counts.
    page.goto(f"{site.url}/{language}/")
    count = page.locator("[data-objection-count]")
    expect(count).to_have_text(_(language, "Be the first to tell us you objected!"))
    page.get_by_role("button", name=t["objected"]).click()
    expect(page.get_by_text(t["one_objection"])).to_be_visible()
    assert page.context.cookies() == []
    check_page(page, f"objected {language}")


def fill_donation(page, t, *, name: str, email: str, amount: str | None = None) -> None:
    if amount is not None:
        page.get_by_role("radio", name=t["other_amount"], exact=True).check()
        page.get_by_role("textbox", name=t["other_amount_field"]).fill(amount)
    page.get_by_role("textbox", name=t["name"]).fill(name)
    page.get_by_role("textbox", name=t["email"]).fill(email)


def pay_on_checkout(page, outcome: str) -> None:
    expect(page.get_by_role("heading", name="Test checkout")).to_be_visible()
    page.get_by_role("radio", name=re.compile(f"^{outcome.capitalize()}:")).check()
    page.get_by_role("button", name="Continue").click()


@pytest.mark.parametrize(("language", "viewport"), VARIANTS)
def test_one_off_donor(page_factory, site, sandbox, language, viewport):
    t = TEXT[language]
    email = f"oneoff-{language}-{viewport['width']}@example.org"
    page = page_factory(viewport=viewport, language=language)
    page.goto(f"{site.url}/{language}/")
    cta = page.get_by_role("region", name=re.compile("Help"))
    cta.get_by_role("radio", name=t["one_time"]).check()
    cta.get_by_role("radio", name="€ 25").check()
    cta.get_by_role("button", name=t["continue_to_donate"]).click()
    expect(page.get_by_role("radio", name=t["one_time"])).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile(r"€\s25"))).to_be_checked()
    assert page.context.cookies() == []
    check_page(page, f"donate {language}")

    # A bad amount first: the message is on the field.
    fill_donation(page, t, name="Ann Example", email=email, amount="twaalf")
    page.get_by_role("button", name=t["pay"]).click()
    field = page.get_by_role("textbox", name=t["other_amount_field"])
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile(t["amount_error"]))
    check_page(page, f"donate error {language}")

    field.fill("12,50")
    page.get_by_role("button", name=t["pay"]).click()
    pay_on_checkout(page, "paid")
    expect(page.get_by_role("heading", level=1, name=t["thanks"])).to_be_visible()
    check_page(page, f"success {language}")
    cookie_flags_are_safe(page.context.cookies())

    # The code from the thank-you email logs in; the gift is there.
    sandbox.wait_for_webhooks(5)
    code = latest_code(email)
    page.goto(f"{site.url}/{language}/supporters/login/code/")
    check_page(page, f"login code {language}")
    page.get_by_role("textbox", name=t["email"]).fill(email)
    page.get_by_role("textbox", name=t["code"]).fill(code)
    page.get_by_role("button", name=t["log_in"], exact=True).click()
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(2)
    expect(table).to_contain_text("12")
    check_page(page, f"supporter area {language}")
    cookie_flags_are_safe(page.context.cookies())


@pytest.mark.parametrize(("language", "viewport"), VARIANTS)
def test_monthly_donor(page_factory, site, sandbox, language, viewport):
    t = TEXT[language]
    email = f"monthly-{language}-{viewport['width']}@example.org"
    page = page_factory(viewport=viewport, language=language)
    page.goto(f"{site.url}/{language}/")
    cta = page.get_by_role("region", name=re.compile("Help"))
    expect(cta.get_by_role("radio", name=t["monthly"])).to_be_checked()
    cta.get_by_role("button", name=t["continue_to_donate"]).click()
    fill_donation(page, t, name="Mo Monthly", email=email)
    page.get_by_role("button", name=t["pay"]).click()
    pay_on_checkout(page, "paid")
    expect(page.get_by_role("heading", level=1, name=t["thanks"])).to_be_visible()

    # The sandbox charges the subscription twice; the webhooks reach the site.
    sandbox.wait_for_webhooks(5)
    subscription = Subscription.objects.get(supporter__email=email)
    for _ in range(2):
        sandbox.charge_subscription(subscription.mollie_id, "paid")
    sandbox.advance_clock(days=SETTLE_DAYS)  # the direct debits were pending until now
    assert sandbox.wait_for_webhooks(10)
    assert Payment.objects.filter(subscription=subscription).count() == 3

    # The success page's button shows this browser's gift (the first payment and the charges
    # of the monthly gift it started); everything else needs the code from the email.
    page.get_by_role("button", name=t["to_area"]).click()
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(4)  # a header and three payments
    check_page(page, f"supporter overview, limited {language}")
    mail.outbox.clear()
    page.get_by_role("button", name=t["email_me_code"]).click()
    page.get_by_role("textbox", name=t["code"]).fill(latest_code(email))
    page.get_by_role("button", name=t["log_in"], exact=True).click()
    expect(page.get_by_role("link", name=t["change_amount"])).to_be_visible()
    check_page(page, f"supporter overview {language}")

    page.get_by_role("link", name=t["change_amount"]).click()
    expect(page.get_by_role("textbox", name=t["new_amount"])).to_be_visible()
    check_page(page, f"monthly gift {language}")
    page.get_by_role("textbox", name=t["new_amount"]).fill("15")
    page.get_by_role("button", name=t["continue"]).click()
    expect(page.get_by_role("button", name=t["confirm_change"])).to_be_visible()
    check_page(page, f"monthly confirm {language}")
    page.get_by_role("button", name=t["confirm_change"]).click()
    expect(page.get_by_role("status")).to_be_visible()
    assert sandbox.store.subscriptions[subscription.mollie_id]["amount"]["value"] == "15.00"

    page.get_by_role("link", name=t["stop"]).first.click()
    expect(page.get_by_role("button", name=t["confirm_stop"])).to_be_visible()
    check_page(page, f"monthly stop {language}")
    page.get_by_role("button", name=t["confirm_stop"]).click()
    expect(page.get_by_text(t["no_monthly"])).to_be_visible()
    assert sandbox.store.subscriptions[subscription.mollie_id]["status"] == "canceled"
    subjects = [m.subject for m in mail.outbox if m.to == [email]]
    assert len(subjects) == 3, subjects  # the code, amount changed, stopped

    year = page.get_by_role("link", name=re.compile(r"^20\d\d$")).first
    year.click()
    expect(page.get_by_role("heading", level=1, name=re.compile(t["statement"]))).to_be_visible()
    check_page(page, f"statement {language}")


@pytest.mark.parametrize(("language", "viewport"), VARIANTS)
def test_failed_payment_then_success(page_factory, site, language, viewport):
    t = TEXT[language]
    email = f"failed-{language}-{viewport['width']}@example.org"
    page = page_factory(viewport=viewport, language=language)
    page.goto(f"{site.url}/{language}/donate/")
    fill_donation(page, t, name="Fay Failed", email=email, amount="9,75")
    page.get_by_role("button", name=t["pay"]).click()

    # Leave it open first: the processing page.
    pay_on_checkout(page, "open")
    expect(page.get_by_role("heading", level=1, name=t["processing"])).to_be_visible()
    check_page(page, f"processing {language}")
    page.go_back()
    pay_on_checkout(page, "failed")
    expect(page.get_by_role("heading", level=1, name=t["failed"])).to_be_visible()
    check_page(page, f"failure {language}")

    page.get_by_role("link", name=t["try_again"]).click()
    expect(page.get_by_role("textbox", name=t["name"])).to_have_value("Fay Failed")
    expect(page.get_by_role("textbox", name=t["email"])).to_have_value(email)
    expect(page.get_by_role("textbox", name=t["other_amount_field"])).to_have_value("9,75")
    expect(page.get_by_role("radio", name=t["monthly"])).to_be_checked()
    page.get_by_role("radio", name=t["one_time"]).check()
    page.get_by_role("button", name=t["pay"]).click()
    pay_on_checkout(page, "paid")
    expect(page.get_by_role("heading", level=1, name=t["thanks"])).to_be_visible()


def focus_is_visible(page) -> bool:
    return page.evaluate(
        """() => {
            const element = document.activeElement;
            if (!element || element === document.body) return false;
            const style = getComputedStyle(element);
            return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
                || style.boxShadow !== 'none';
        }"""
    )


def tab_to(page, check: str, *, limit: int = 60) -> None:
    """Press Tab until `check` (JS, on `document.activeElement` as `e`) is true."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(e => {check})(document.activeElement)"):
            return
    raise AssertionError(f"never reached {check!r} with Tab")


@pytest.mark.parametrize(("language", "viewport"), VARIANTS)
def test_keyboard_only_one_off_donation(page_factory, site, language, viewport):
    t = TEXT[language]
    email = f"keys-{language}-{viewport['width']}@example.org"
    page = page_factory(viewport=viewport, language=language)
    page.goto(f"{site.url}/{language}/")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") in (
        "Skip to content",
        "Naar de inhoud",
    )
    assert focus_is_visible(page)
    # The Donate link is in the header bar, on a phone too: no menu to open first.
    tab_to(page, "e.classList.contains('nav-donate')")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/{language}/donate/$"))

    tab_to(page, "e.name === 'frequency'")
    assert focus_is_visible(page)
    page.keyboard.press("ArrowRight")  # monthly → one time
    assert page.evaluate("document.activeElement.value") == "oneoff"
    tab_to(page, "e.name === 'amount'")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    assert focus_is_visible(page)
    tab_to(page, "e.name === 'name'")
    assert focus_is_visible(page)
    page.keyboard.type("Kay Board")
    tab_to(page, "e.name === 'email'")
    page.keyboard.type(email)
    tab_to(page, "e.type === 'submit' && e.closest('form.donate-form')")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Test checkout")).to_be_visible()
    tab_to(page, "e.name === 'status'")
    page.keyboard.press("Space")
    tab_to(page, "e.type === 'submit'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name=t["thanks"])).to_be_visible()
    tab_to(page, "e.type === 'submit'")
    assert focus_is_visible(page)
    assert Payment.objects.get(supporter__email=email).status == "paid"


def _(language: str, text: str) -> str:
    """The interface text `text` as the site shows it in `language` (from its catalogue)."""
    with translation.override(language):
        return translation.gettext(text)


@pytest.mark.parametrize(("language", "viewport"), VARIANTS)
def test_monthly_donor_pauses_and_changes_the_payment_method(
    page_factory, site, sandbox, language, viewport
):
    t = TEXT[language]
    email = f"pause-{language}-{viewport['width']}@example.org"
    page = page_factory(viewport=viewport, language=language)
    page.goto(f"{site.url}/{language}/donate/")
    fill_donation(page, t, name="Pia Pause", email=email)
    page.get_by_role("button", name=t["pay"]).click()
    pay_on_checkout(page, "paid")
    expect(page.get_by_role("heading", level=1, name=t["thanks"])).to_be_visible()
    sandbox.wait_for_webhooks(5)
    subscription = Subscription.objects.get(supporter__email=email)
    first_mollie_id = subscription.mollie_id

    # Log in with the code from the welcome email.
    page.goto(f"{site.url}/{language}/supporters/login/code/")
    page.get_by_role("textbox", name=t["email"]).fill(email)
    page.get_by_role("textbox", name=t["code"]).fill(latest_code(email))
    page.get_by_role("button", name=t["log_in"], exact=True).click()

    # Pause for two months.
    page.get_by_role("link", name=_(language, "Pause my gift")).click()
    check_page(page, f"pause {language}")
    page.get_by_role("radio", name=_(language, "Two months")).check()
    page.get_by_role("button", name=_(language, "Pause my gift")).click()
    expect(page.get_by_role("status")).to_have_text(
        _(language, "Your gift is paused. We emailed you a confirmation.")
    )
    subscription.refresh_from_db()
    assert subscription.paused_until is not None and subscription.mollie_id != first_mollie_id
    assert sandbox.store.subscriptions[first_mollie_id]["status"] == "canceled"
    check_page(page, f"overview paused {language}")

    # End the pause early.
    page.get_by_role("link", name=_(language, "End the pause")).click()
    page.get_by_role("button", name=_(language, "End the pause now")).click()
    expect(page.get_by_role("status")).to_have_text(
        _(language, "Your gift continues. We emailed you a confirmation.")
    )
    subscription.refresh_from_db()
    assert subscription.paused_until is None

    # A new bank account: the check of one cent on the checkout, then back in the area.
    page.get_by_role("link", name=_(language, "A new bank account or card")).click()
    check_page(page, f"payment method {language}")
    check_button = _(language, "Check the new payment method (%(amount)s)").split("%(")[0]
    page.get_by_role("button", name=re.compile("^" + re.escape(check_button))).click()
    pay_on_checkout(page, "paid")
    done = "Done: your gift now uses the new payment method. The cent has been refunded. "
    expect(page.get_by_role("status")).to_contain_text(
        _(language, done + "We sent you a confirmation."), timeout=15_000
    )
    check_page(page, f"payment method done {language}")
    subscription.refresh_from_db()
    mandate = sandbox.store.subscriptions[subscription.mollie_id]["mandateId"]
    assert sandbox.store.mandates[mandate]["status"] == "valid"
    assert [m["status"] for m in sandbox.store.mandates.values()].count("valid") == 1
