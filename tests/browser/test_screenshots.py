"""`make screenshots`: pictures of the main pages for people, in both languages and sizes.

Not part of the test run (marked `screenshots`); writes PNGs into `screenshots/` (git-ignored).
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from donations.models import Subscription
from mollie_sandbox.recurring import SETTLE_DAYS

from .conftest import DESKTOP, PHONE
from .helpers import TEXT, latest_code
from .test_journeys import fill_donation, pay_on_checkout

pytestmark = [
    pytest.mark.browser,
    pytest.mark.screenshots,
    pytest.mark.django_db(transaction=True),
]

OUT = Path(__file__).resolve().parents[2] / "screenshots"
DEMO_ENV = Path(__file__).resolve().parents[2] / "config" / "demo.env"


@pytest.fixture(autouse=True)
def demo_organisation(settings):
    """The pictures show the demo organisation, as `make run` does (DEMO=1)."""
    demo = dict(
        line.split("=", 1)
        for line in DEMO_ENV.read_text().splitlines()
        if line and not line.startswith("#")
    )
    settings.ORGANISATION = {
        **settings.ORGANISATION,
        **{k.removeprefix("ORG_").lower(): v for k, v in demo.items() if k != "ORG_LOGO"},
    }
    settings.ORG_LOGO = demo["ORG_LOGO"]


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_screenshots(page_factory, site, sandbox, language, size, viewport):
    OUT.mkdir(exist_ok=True)
    t = TEXT[language]
    page = page_factory(viewport=viewport, language=language)

    def shot(name: str) -> None:
        page.screenshot(path=str(OUT / f"{name}-{language}-{size}.png"), full_page=True)

    page.goto(f"{site.url}/{language}/")
    shot("home")
    page.goto(f"{site.url}/{language}/guide/")
    shot("guide")
    page.goto(f"{site.url}/{language}/donate/")
    shot("donate")

    fill_donation(page, t, name="Sam Shot", email=f"shot-{language}-{size}@example.org")
    page.get_by_role("button", name=t["pay"]).click()
    pay_on_checkout(page, "open")
    shot("processing")
    page.go_back()
    pay_on_checkout(page, "failed")
    shot("failure")
    page.get_by_role("link", name=t["try_again"]).click()
    page.get_by_role("button", name=t["pay"]).click()
    pay_on_checkout(page, "paid")
    expect(page.get_by_role("heading", level=1, name=t["thanks"])).to_be_visible()
    shot("success")

    sandbox.wait_for_webhooks(5)
    subscription = Subscription.objects.get(supporter__email=f"shot-{language}-{size}@example.org")
    sandbox.charge_subscription(subscription.mollie_id, "paid")
    sandbox.advance_clock(days=SETTLE_DAYS)  # a direct debit is pending for days first
    sandbox.wait_for_webhooks(5)
    page.get_by_role("button", name=t["to_area"]).click()
    # The button opens the limited view of this browser's gift; the rest needs a code.
    shot("supporter-area-limited")
    email = f"shot-{language}-{size}@example.org"
    page.get_by_role("button", name=t["email_me_code"]).click()
    page.get_by_role("textbox", name=t["code"]).fill(latest_code(email))
    page.get_by_role("button", name=t["log_in"], exact=True).click()
    expect(page.get_by_role("table")).to_be_visible()
    shot("supporter-area")
    page.get_by_role("link", name=re.compile(r"^20\d\d$")).first.click()
    shot("statement")
