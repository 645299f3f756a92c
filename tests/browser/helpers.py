"""What the journeys share: the interface texts per language, and the checks on every page."""

import re

from axe_playwright_python.sync_playwright import Axe
from django.core import mail

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
CODE_RE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)

TEXT = {
    "en": {
        "menu": "Menu",
        "donate": "Donate",
        "supporters": "Supporters",
        "donate_box": "Help us keep going",
        "guide": "How to object",
        "giving": "About giving",
        "search_field": "Search this site",
        "search_button": "Search",
        "search_term": "GDPR",
        "rights_article": "Your privacy rights in short",
        "other_language": "Nederlands",
        "rights_article_other": "Jouw privacyrechten in het kort",
        "objected": "I objected",
        "one_objection": "1 person objected",
        "monthly": "Monthly",
        "one_time": "One time",
        "continue_to_donate": "Continue to donate",
        "other_amount": "Other amount",
        "other_amount_field": "Other amount in euros",
        "name": "Your name",
        "email": "Your email address",
        # The gift form's button names the gift once it is chosen ("Give € 25 a month").
        "pay": re.compile(r"^(Continue|Give)\b"),
        "amount_error": "Enter an amount in euros using digits",
        "thanks": "Thank you!",
        "failed": "Your gift did not go through",
        "processing": "Your payment is being processed",
        "try_again": "Try again",
        "to_area": "To the supporter area",
        "email_me_code": "Email me a login code",
        "code": "Login code",
        "log_in": "Log in",
        "change_amount": "Change the amount",
        "new_amount": "New amount in euros",
        "continue": "Continue",
        "confirm_change": "Yes, change my gift",
        "stop": "Stop this gift",
        "confirm_stop": "Yes, stop my gift",
        "no_monthly": "You have no regular gift at the moment.",
        "your_gifts": "Your gifts",
        "statement": "Statement of gifts",
    },
    "nl": {
        "menu": "Menu",
        "donate": "Doneer",
        "supporters": "Supporters",
        "donate_box": "Help ons door te gaan",
        "guide": "Zo maak je bezwaar",
        "giving": "Over doneren",
        "search_field": "Zoek op de site",
        "search_button": "Zoeken",
        "search_term": "AVG",
        "rights_article": "Jouw privacyrechten in het kort",
        "other_language": "English",
        "rights_article_other": "Your privacy rights in short",
        "objected": "Ik heb bezwaar gemaakt",
        "one_objection": "1 persoon maakte bezwaar",
        "monthly": "Maandelijks",
        "one_time": "Eenmalig",
        "continue_to_donate": "Verder naar doneren",
        "other_amount": "Ander bedrag",
        "other_amount_field": "Ander bedrag in euro",
        "name": "Je naam",
        "email": "Je e-mailadres",
        "pay": re.compile(r"^(Verder|Geef)\b"),
        "amount_error": "Vul een bedrag in euro in met cijfers",
        "thanks": "Dank je wel!",
        "failed": "Je gift is niet gelukt",
        "processing": "Je betaling wordt verwerkt",
        "try_again": "Probeer opnieuw",
        "to_area": "Naar de supportersomgeving",
        "email_me_code": "Mail me een inlogcode",
        "code": "Inlogcode",
        "log_in": "Inloggen",
        "change_amount": "Bedrag wijzigen",
        "new_amount": "Nieuw bedrag in euro",
        "continue": "Verder",
        "confirm_change": "Ja, wijzig mijn gift",
        "stop": "Stop deze gift",
        "confirm_stop": "Ja, stop mijn gift",
        "no_monthly": "Je hebt op dit moment geen structurele gift.",
        "your_gifts": "Je giften",
        "statement": "Overzicht van giften",
    },
}

CHECKED_PAGES: set[str] = set()


def check_page(page, label: str) -> None:
    """The checks every page of a journey gets: axe (WCAG 2.2 A and AA), no foreign requests,
    no console errors (CSP violations are reported there too).

    axe itself is JavaScript: with JavaScript off it cannot run, and the same pages are checked
    by the journeys that have it on.
    """
    if page.javascript_enabled:
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        violations = results.response["violations"]
        details = [
            f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:5]}"
            for v in violations
        ]
        assert not violations, f"{label}: axe found {details}"
    assert page.watch.foreign_requests() == [], label
    assert page.watch.console_errors == [], f"{label}: {page.watch.console_errors}"
    assert page.evaluate(MARKERS_IN_A_ROW) == [], f"{label}: a list's bullets sit on its items"
    assert page.evaluate(NARROW_FIELDS_ON_A_PHONE) == [], f"{label}: fields narrower than forms"
    CHECKED_PAGES.add(label)


# On a phone (below 48em) a form's text fields take its whole width (the search box in the
# header excepted: it shares its row with its button).
NARROW_FIELDS_ON_A_PHONE = """
window.innerWidth >= 768 ? [] :
[...document.querySelectorAll(
  'form input[type=text], form input[type=email], form input[type=date]'
)].filter(input =>
  input.offsetParent !== null && !input.closest('[role=search]')
  && input.getBoundingClientRect().width < input.form.getBoundingClientRect().width - 2
).map(input => input.name)
"""


# The list items laid out side by side (a flex row) that still draw a bullet: a bullet is drawn
# outside its item, so it lands on the item before it ("Change the amount• Pause my gift").
MARKERS_IN_A_ROW = """
[...document.querySelectorAll('li')].filter(li => li.offsetParent !== null
  && getComputedStyle(li.parentElement).display.includes('flex')
  && getComputedStyle(li).listStyleType !== 'none'
  && getComputedStyle(li).display === 'list-item'
).map(li => li.textContent.trim().slice(0, 40))
"""


def latest_code(to: str) -> str:
    """The login code in the newest email to `to` (the live server shares this process)."""
    messages = [message for message in mail.outbox if message.to == [to]]
    assert messages, f"no email to {to}"
    match = CODE_RE.search(messages[-1].body)
    assert match, messages[-1].body
    return match.group(1)


def cookie_flags_are_safe(cookies: list[dict], *, secure: bool = False) -> None:
    for cookie in cookies:
        assert cookie["httpOnly"], cookie["name"]
        assert cookie["sameSite"] in ("Lax", "Strict"), cookie["name"]
        if secure:
            assert cookie["secure"], cookie["name"]
