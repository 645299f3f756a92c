"""Giving by direct-debit mandate in a real Chromium, in Dutch and English, on a phone and a
desktop: the form with a bad IBAN first, the mandate page, the landing page, the notice's
"this was not me" link; and a new account from the supporter area. Every page gets axe."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from donations.models import BankMandate, Subscription

from .conftest import DESKTOP, PHONE
from .helpers import check_page, latest_code
from .test_journeys import VARIANTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {
        "name": "Your name",
        "email": "Your email address",
        "direct_debit": "Direct debit from my account (regular gifts)",
        "holder": "Account holder's name",
        "iban": "IBAN (account number)",
        "pay": "Continue",
        "iban_error": "does not add up",
        "check": "Check and agree",
        "agree": "I agree to this direct-debit mandate.",
        "sign": "Agree and start my gift",
        "done": "Your direct debit is set up.",
        "stop_heading": "Stop a direct debit",
        "stop": "Yes, stop the direct debit",
        "stopped": "Stopped",
        "code": "Login code",
        "log_in": "Log in",
        "new_account": "A new IBAN for direct debit",
        "use": "Agree and use this account",
        "moved": "Your gift is now collected from your new account.",
    },
    "nl": {
        "name": "Je naam",
        "email": "Je e-mailadres",
        "direct_debit": "Automatische incasso van mijn rekening (vaste giften)",
        "holder": "Naam van de rekeninghouder",
        "iban": "IBAN (rekeningnummer)",
        "pay": "Verder",
        "iban_error": "klopt niet",
        "check": "Controleren en akkoord gaan",
        "agree": "Ik ga akkoord met deze machtiging.",
        "sign": "Akkoord, start mijn gift",
        "done": "Je automatische incasso staat klaar.",
        "stop_heading": "Een automatische incasso stoppen",
        "stop": "Ja, stop de automatische incasso",
        "stopped": "Gestopt",
        "code": "Inlogcode",
        "log_in": "Inloggen",
        "new_account": "Een nieuw IBAN voor automatische incasso",
        "use": "Akkoord, gebruik deze rekening",
        "moved": "Je gift wordt nu afgeschreven van je nieuwe rekening.",
    },
}


def give_by_mandate(page, site, t, language: str, email: str) -> None:
    page.goto(f"{site.url}/{language}/donate/")
    page.get_by_role("textbox", name=t["name"]).fill("Dee Debit")
    page.get_by_role("textbox", name=t["email"]).fill(email)
    page.get_by_role("radio", name=t["direct_debit"]).check()
    page.get_by_role("textbox", name=t["holder"]).fill("D. Debit")
    # A typing error first: the message is on the field.
    page.get_by_role("textbox", name=t["iban"]).fill("NL92 ABNA 0417 1643 00")
    page.get_by_role("button", name=t["pay"]).click()
    field = page.get_by_role("textbox", name=t["iban"])
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile(t["iban_error"]))
    check_page(page, f"donate, IBAN error {language}")
    field.fill("nl91 abna 0417 1643 00")
    page.get_by_role("button", name=t["pay"]).click()
    expect(page.get_by_role("heading", level=1, name=t["check"])).to_be_visible()
    expect(page.get_by_text("NL** **** **** 4300")).to_be_visible()
    check_page(page, f"mandate {language}")
    page.get_by_role("checkbox", name=t["agree"]).check()
    page.get_by_role("button", name=t["sign"]).click()
    expect(page.get_by_text(t["done"])).to_be_visible()
    check_page(page, f"mandate done {language}")


@pytest.mark.parametrize(("language", "viewport"), VARIANTS)
def test_a_gift_by_mandate_and_this_was_not_me(page_factory, site, language, viewport):
    t = TEXT[language]
    email = f"mandate-{language}-{viewport['width']}@example.org"
    page = page_factory(viewport=viewport, language=language)
    give_by_mandate(page, site, t, language, email)
    mandate = BankMandate.objects.get(donation__supporter__email=email)
    assert Subscription.objects.get(donation=mandate.donation).mandate_id == mandate.mollie_id

    [notice] = [m for m in mail.outbox if m.to == [email]]
    link = re.search(r"http://\S+/donate/mandate/stop/\S+/", notice.body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1, name=t["stop_heading"])).to_be_visible()
    check_page(page, f"mandate stop {language}")
    page.get_by_role("button", name=t["stop"]).click()
    expect(page.get_by_role("heading", level=1, name=t["stopped"])).to_be_visible()
    check_page(page, f"mandate stopped {language}")
    mandate.refresh_from_db()
    assert mandate.end == "not-me"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_new_account_from_the_supporter_area(page_factory, site, viewport):
    language = "en" if viewport == DESKTOP else "nl"
    t = TEXT[language]
    email = f"account-{viewport['width']}@example.org"
    page = page_factory(viewport=viewport, language=language)
    give_by_mandate(page, site, t, language, email)
    mail.outbox.clear()
    page.goto(f"{site.url}/{language}/supporters/login/")
    page.get_by_role("textbox", name=t["email"]).fill(email)
    page.get_by_role("textbox", name=t["email"]).press("Enter")
    page.get_by_role("textbox", name=t["code"]).fill(latest_code(email))
    page.get_by_role("button", name=t["log_in"], exact=True).click()
    page.get_by_role("link", name=t["new_account"]).click()
    check_page(page, f"new account {language}")
    page.get_by_role("textbox", name=t["holder"]).fill("D. Debit")
    page.get_by_role("textbox", name=t["iban"]).fill("DE89 3704 0044 0532 0130 00")
    page.get_by_role("checkbox", name=t["agree"]).check()
    page.get_by_role("button", name=t["use"]).click()
    expect(page.get_by_role("status")).to_have_text(re.compile(t["moved"]))
    check_page(page, f"new account done {language}")
    assert BankMandate.objects.get(donation__supporter__email=email, status="active").iban_masked
