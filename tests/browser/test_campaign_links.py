"""From a campaign link to a paid gift, then the staff figure that counts it; and the goal bar on
the campaign page. In a real Chromium against the live site and the sandbox (the demo content
has the campaign's goal and its links)."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from donations.models import Donation

from .conftest import DESKTOP, PHONE
from .helpers import TEXT, check_page
from .test_journeys import fill_donation, pay_on_checkout

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_from_a_campaign_link_to_a_paid_gift_to_the_staff_figure(
    page_factory, site, sandbox, django_user_model, viewport
):
    t = TEXT["nl"]
    page = page_factory(viewport=viewport, language="nl")
    # The campaign page shows its goal: a labelled bar with the figure in words.
    page.goto(f"{site.url}/nl/")
    goal = page.get_by_role("region", name="Ons doel")
    expect(goal.get_by_role("progressbar")).to_be_visible()
    expect(goal).to_contain_text("0 van 250 nieuwe vaste donateurs")
    check_page(page, "campaign page with a goal")

    # The newsletter's link: the gift form, monthly and € 10 preset; no cookie anywhere.
    page.goto(f"{site.url}/d/nieuwsbrief/")
    expect(page).to_have_url(re.compile(r"/nl/donate/\?link=nieuwsbrief"))
    expect(page.get_by_role("radio", name="Maandelijks")).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile(r"€\s10"))).to_be_checked()
    assert page.context.cookies() == []
    check_page(page, "gift form from a campaign link")
    fill_donation(page, t, name="Nina Nieuwsbrief", email=f"link-{viewport['width']}@example.org")
    page.get_by_role("button", name=t["pay"]).click()
    pay_on_checkout(page, "paid")
    expect(page.get_by_role("heading", level=1, name=t["thanks"])).to_be_visible()
    sandbox.wait_for_webhooks(5)
    donation = Donation.objects.get(supporter__email=f"link-{viewport['width']}@example.org")
    assert donation.source_link.code == "nieuwsbrief"

    # Staff see the gift under the link, with the figure in the table and the chart.
    analyst = django_user_model.objects.create_user("analyst", "a@example.org", "pw-analyst-1")
    analyst.is_staff = True
    analyst.save()
    analyst.user_permissions.add(Permission.objects.get(codename="view_figures"))
    staff = page_factory(viewport=DESKTOP, language="en")
    staff.goto(f"{site.url}/admin/login/?next=/staff/sources/")
    staff.get_by_label("Username").fill("analyst")
    staff.get_by_label("Password").fill("pw-analyst-1")
    staff.get_by_role("button", name=re.compile("Log in", re.I)).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Where gifts came from")
    row = staff.get_by_role("row").filter(has_text="Nieuwsbrief december")
    expect(row).to_contain_text("/d/nieuwsbrief/")
    cells = row.get_by_role("cell")
    expect(cells.nth(2)).to_have_text("1")  # started
    expect(cells.nth(3)).to_have_text("1")  # of those paid
    expect(cells.nth(5)).to_have_text("1")  # new regular donors
    expect(staff.get_by_role("img", name=re.compile("Money received per source"))).to_be_visible()
    check_page(staff, "staff figures per source")
