"""Where gifts came from: campaign links, the source each gift records, the staff figures per
source, and campaign goals, over real HTTP to the sandbox and the real database."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from campaign.models import Campaign, CampaignLink
from donations import attribution
from donations.models import Donation, Payment, Subscription
from supporters.models import Supporter

from ..campaign.factories import make_campaign_with_articles
from .conftest import FORM, charge_settled, donate_url, pay, start, webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign() -> Campaign:
    return make_campaign_with_articles(steps=1)


@pytest.fixture
def link(campaign) -> CampaignLink:
    return CampaignLink.objects.create(
        code="newsletter-dec",
        campaign=campaign,
        label="December newsletter",
        language="nl",
        amount=15,
        frequency="monthly",
    )


def home(language: str = "en") -> str:
    with override(language):
        return reverse("campaign:home")


def hidden(html: str, name: str) -> str | None:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    return match.group(1) if match else None


# --- Campaign links ----------------------------------------------------------------------------


def test_a_link_leads_to_the_gift_form_with_its_presets_and_sets_nothing(client, link):
    response = client.get("/d/newsletter-dec/")
    assert response.status_code == 302
    assert response["Location"] == "/nl/donate/?link=newsletter-dec&frequency=monthly&amount=15"
    assert not response.cookies and "sessionid" not in response.cookies
    form = client.get(response["Location"])
    html = form.content.decode()
    assert hidden(html, "link") == "newsletter-dec"
    initial = form.context["form"].initial
    assert (initial["frequency"], initial["other_amount"]) == ("monthly", "15")


def test_a_link_to_the_campaign_page_carries_its_code_into_the_page_s_gift_box(client, campaign):
    CampaignLink.objects.create(
        code="poster", campaign=campaign, label="Poster", target="page", language="en"
    )
    response = client.get("/d/poster/")
    assert response["Location"] == "/en/?link=poster"
    html = client.get(response["Location"]).content.decode()
    assert hidden(html, "link") == "poster"
    assert hidden(html, "page") == "campaign"


def test_an_inactive_link_still_leads_to_the_site_without_its_code(client, link):
    link.is_active = False
    link.save()
    assert client.get("/d/newsletter-dec/")["Location"] == "/nl/donate/?frequency=monthly&amount=15"


def test_an_unknown_link_is_the_site_s_own_not_found_page(client, campaign):
    response = client.get("/d/no-such-link/")
    assert response.status_code == 404
    assert "<html" in response.content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"code": "Bad Code!"}, "small letters"),
        ({"code": "-edge"}, "small letters"),
        ({"target": "page", "amount": 10}, "gift form only"),
    ],
)
def test_a_link_with_a_wrong_code_or_presets_is_refused_with_a_message(campaign, fields, message):
    from django.core.exceptions import ValidationError

    values = {"code": "ok", "campaign": campaign, "label": "x", "language": "en", **fields}
    with override("en"), pytest.raises(ValidationError, match=message):
        CampaignLink(**values).full_clean()


# --- The source each gift records --------------------------------------------------------------


def test_a_gift_from_a_link_records_the_link_and_its_campaign(client, mollie, link):
    donation, _ = start(client, "nl", link="newsletter-dec")
    assert donation.source_link == link
    assert donation.source_campaign == link.campaign
    assert donation.source_page == ""


def test_a_gift_from_the_campaign_page_records_the_page_and_its_campaign(client, mollie, campaign):
    html = client.get(home("en")).content.decode()
    donation, _ = start(client, "en", page=hidden(html, "page"))
    assert (donation.source_link, donation.source_page) == (None, "campaign")
    assert donation.source_campaign == campaign


def test_a_gift_from_the_giving_page_records_the_page_without_a_campaign(client, mollie):
    with override("en"):
        html = client.get(reverse("campaign:giving")).content.decode()
    donation, _ = start(client, "en", page=hidden(html, "page"))
    assert (donation.source_page, donation.source_campaign) == ("giving", None)


@pytest.mark.parametrize(
    "source",
    [
        {"link": "no-such-link"},
        {"page": "no-such-page"},
        {"link": "<script>", "page": "x" * 300},
        {"link": "newsletter-dec", "page": "campaign", "extra": "1"},
    ],
)
def test_a_made_up_or_inactive_source_counts_as_none_and_the_gift_still_starts(
    client, mollie, link, source
):
    link.is_active = False
    link.save()
    donation, _ = start(client, "en", **source)
    assert donation.source_link is None
    assert donation.source_page in ("", "campaign")
    if donation.source_page == "":
        assert donation.source_campaign is None


def test_a_direct_gift_records_no_source(client, mollie):
    donation, _ = start(client, "en")
    assert donation.source_link is None and donation.source_campaign is None
    assert donation.source_page == ""


# --- Staff figures per source -----------------------------------------------------------------


def _figures(staff, **query) -> tuple:
    today = timezone.localdate()
    params = {"start": (today - datetime.timedelta(days=30)).isoformat(), "end": today.isoformat()}
    params.update(query)
    page = staff.get(reverse("staff:sources"), params)
    export = staff.get(reverse("staff:sources_csv"), params)
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    return page, rows


def test_from_a_link_through_a_paid_gift_to_the_staff_figure(client, mollie, link, staff):
    location = client.get("/d/newsletter-dec/")["Location"]
    html = client.get(location).content.decode()
    donation, mollie_id = start(client, "nl", link=hidden(html, "link"), frequency="monthly")
    pay(client, mollie, donation, mollie_id, "paid")
    webhook(client, mollie_id)
    start(client, "nl", link="newsletter-dec")  # started, never paid
    page, rows = _figures(staff)
    assert page.status_code == 200
    [row] = [r for r in rows if r["kind"] == "link"]
    assert row["code"] == "newsletter-dec" and row["source"] == "December newsletter"
    assert row["campaign"] == link.campaign.name
    assert (row["started"], row["paid"], row["conversion"]) == ("2", "1", "50")
    assert (row["new_regular"], row["monthly_value"], row["raised"]) == ("1", "25.00", "25.00")
    html = page.content.decode()
    assert "December newsletter" in html and "/d/newsletter-dec/" in html
    chart = html.split('class="chart chart-sources"')[1].split("</svg>")[0]
    assert "<script" not in chart and "December newsletter: €\xa025.00" in chart


def test_a_regular_gift_s_later_charges_count_for_its_source(client, mollie, link, staff):
    donation, mollie_id = start(client, "nl", link="newsletter-dec", frequency="monthly")
    pay(client, mollie, donation, mollie_id, "paid")
    subscription = Subscription.objects.get(donation=donation)
    charge = charge_settled(mollie, subscription.mollie_id, "paid")
    webhook(client, charge["id"])
    assert Payment.objects.filter(subscription=subscription, status="paid").count() == 2
    today = timezone.localdate()
    window = datetime.timedelta(days=60)
    [row] = attribution.source_figures(today - window, today + window).rows
    assert row.raised == Decimal("50.00") and row.paid == 1 and row.new_regular == 1


def test_the_figures_per_source_add_up_and_take_a_fixed_number_of_queries(
    campaign, link, django_assert_num_queries
):
    ann = Supporter.objects.create(email="ann@example.org", name="Ann")
    now = timezone.now()

    def gift(amount, frequency, *, paid, refunded="0", **source):
        donation = Donation.objects.create(
            supporter=ann,
            amount=Decimal(amount),
            frequency=frequency,
            language="en",
            first_paid_at=now if paid else None,  # as the sync writes it when a gift is paid
            **source,
        )
        if paid:
            Payment.objects.create(
                mollie_id=f"tr_{Donation.objects.count()}x",
                donation=donation,
                supporter=ann,
                status="paid",
                sequence_type="first" if frequency != "oneoff" else "oneoff",
                amount=Decimal(amount),
                amount_refunded=Decimal(refunded),
                paid_at=now,
            )

    gift("30", "quarterly", paid=True, source_link=link, source_campaign=campaign)
    gift("12", "yearly", paid=True, source_link=link, source_campaign=campaign)
    gift("50", "oneoff", paid=True, refunded="20", source_page="campaign", source_campaign=campaign)
    gift("5", "oneoff", paid=False, source_page="campaign", source_campaign=campaign)
    gift("7", "oneoff", paid=True)
    today = timezone.localdate()
    with django_assert_num_queries(7):  # started, paid, received twice, then the names
        figures = attribution.source_figures(today, today)
    by_kind = {row.kind: row for row in figures.rows}
    assert by_kind["link"].monthly_value == Decimal("11.00")  # 30 / 3 + 12 / 12
    assert by_kind["link"].raised == Decimal("42.00") and by_kind["link"].new_regular == 2
    assert (by_kind["page"].started, by_kind["page"].paid) == (2, 1)
    assert by_kind["page"].conversion == 50 and by_kind["page"].raised == Decimal("30.00")
    assert by_kind["direct"].raised == Decimal("7.00") and by_kind["direct"].campaign == ""
    assert figures.totals.raised == Decimal("79.00") and figures.totals.started == 5
    assert [row.kind for row in figures.rows] == ["link", "page", "direct"]  # most money first


def test_the_sources_page_refuses_a_wrong_period_with_a_message(staff):
    response = staff.get(reverse("staff:sources"), {"start": "2026-06-10", "end": "2026-06-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    export = staff.get(reverse("staff:sources_csv"), {"start": "nonsense", "end": "2026-06-01"})
    assert export.status_code == 400


# --- QR codes for print -----------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "starts"), [("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_staff_download_a_link_s_qr_code_made_locally(staff, link, kind, starts):
    path = reverse("admin:campaign_campaignlink_qr", kwargs={"pk": link.pk, "kind": kind})
    response = staff.get(path)
    assert response.status_code == 200 and response.content.startswith(starts)
    assert f"link-newsletter-dec.{kind}" in response["Content-Disposition"]
    assert staff.get(path.replace(f".{kind}", ".gif")).status_code == 404


def test_the_qr_code_needs_the_permission_to_see_links(client, django_user_model, link):
    user = django_user_model.objects.create_user("editor", "e@example.org", "pw", is_staff=True)
    client.force_login(user)
    path = reverse("admin:campaign_campaignlink_qr", kwargs={"pk": link.pk, "kind": "svg"})
    assert client.get(path).status_code in (403, 404)


def test_the_link_admin_shows_the_address_and_the_qr_codes(staff, link):
    html = staff.get(reverse("admin:campaign_campaignlink_change", args=[link.pk])).content.decode()
    assert "/d/newsletter-dec/" in html and "qr.svg" in html and "qr.png" in html
    listing = staff.get(reverse("admin:campaign_campaignlink_changelist")).content.decode()
    assert "December newsletter" in listing


# --- Goals ------------------------------------------------------------------------------------


def _goal(campaign, kind: str, target: int) -> None:
    campaign.goal_kind, campaign.goal_target = kind, target
    campaign.save()


def test_the_goal_bar_follows_a_paid_gift_through_the_page_cache(
    client, mollie, campaign, fixed_clock
):
    _goal(campaign, "donors", 100)
    first = client.get(home())
    assert first["X-Page-Cache"] == "miss" and "max-age=20" in first["Cache-Control"]
    assert "0 of 100 new regular donors" in first.content.decode()
    page = hidden(first.content.decode(), "page")
    donation, mollie_id = start(client, "en", page=page, frequency="monthly")
    pay(client, mollie, donation, mollie_id, "paid")
    webhook(client, mollie_id)
    cached = client.get(home())
    assert cached["X-Page-Cache"] == "hit"  # no per-visitor work: the stored page
    fixed_clock.shift(datetime.timedelta(seconds=21))
    fresh = client.get(home())
    assert fresh["X-Page-Cache"] == "miss"
    html = fresh.content.decode()
    assert "1 of 100 new regular donors" in html
    assert '<progress class="goal-bar" max="100" value="1"' in html


def test_an_amount_goal_counts_money_in_and_deducts_refunds(client, mollie, campaign):
    _goal(campaign, "amount", 1000)
    donation, mollie_id = start(client, "en", page="campaign", amount="50")
    pay(client, mollie, donation, mollie_id, "paid")
    webhook(client, mollie_id)
    Payment.objects.filter(mollie_id=mollie_id).update(amount_refunded=Decimal("10"))
    with override("nl"):
        html = client.get(home("nl")).content.decode()
    assert "€ 40 van € 1.000 opgehaald" in html


def test_an_objection_goal_and_a_raised_goal_say_so(client, campaign, staff):
    _goal(campaign, "objections", 2)
    Campaign.objects.filter(pk=campaign.pk).update(objection_count=3)
    html = client.get(home()).content.decode()
    assert "Goal reached!" in html and "3 of 2 people objected" in html
    change = reverse("admin:campaign_campaign_change", args=[campaign.pk])
    form = staff.get(change).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k != "hero_image"}
    data.update(goal_target=10, goal_starts_on="", goal_ends_on="2026-12-31")
    response = staff.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign.refresh_from_db()
    assert campaign.goal_reached_target == 2
    client.cookies.clear()
    html = client.get(home()).content.decode()
    assert "3 of 10 people objected" in html
    assert "We reached our first goal of 2" in html and "Until 31 December 2026." in html


def test_a_goal_needs_a_figure_and_a_kind(campaign):
    from django.core.exceptions import ValidationError

    campaign.goal_kind = "donors"
    with override("en"), pytest.raises(ValidationError, match="figure"):
        campaign.full_clean()


def test_a_mandate_gift_records_its_source_through_the_mandate_page(client, mollie, link, settings):
    settings.DIRECT_DEBIT_ENABLED = True
    fields = {
        **FORM,
        "frequency": "monthly",
        "route": "mandate",
        "holder": "Ann Example",
        "iban": "NL91ABNA0417164300",
        "link": "newsletter-dec",
    }
    page = client.post(donate_url("en"), fields)
    assert page.status_code == 200
    payload = re.search(r'name="payload" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(reverse("donations:mandate_sign"), {"payload": payload, "agree": "on"})
    assert response.status_code == 303, response.content.decode()[:2000]
    donation = Donation.objects.get(route="mandate")
    assert donation.source_link == link and donation.source_campaign == link.campaign


def test_a_goal_costs_the_campaign_page_one_query(client, campaign, django_assert_num_queries):
    _goal(campaign, "amount", 500)
    with django_assert_num_queries(3):  # the article with its campaign, its steps, the sum
        assert client.get(home()).status_code == 200


def test_a_link_presets_only_frequencies_the_gift_form_knows():
    from campaign.models import GiftFrequency
    from donations.models import Frequency

    assert set(GiftFrequency.values) == set(Frequency.values)
    assert [str(label) for label in GiftFrequency.labels] == [str(x) for x in Frequency.labels]


def test_a_link_code_typed_with_capitals_is_kept_in_small_letters(staff, campaign):
    response = staff.post(
        reverse("admin:campaign_campaignlink_add"),
        {
            "campaign": campaign.pk,
            "label": "Winter",
            "code": "Winter-2026",
            "target": "give",
            "language": "nl",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert CampaignLink.objects.get().code == "winter-2026"


def test_only_staff_who_may_see_the_figures_may_set_a_goal(client, django_user_model, campaign):
    from django.contrib.auth.models import Permission

    editor = django_user_model.objects.create_user("editor", "e@example.org", "pw", is_staff=True)
    editor.user_permissions.add(*Permission.objects.filter(codename__endswith="_campaign"))
    client.force_login(editor)
    page = client.get(reverse("admin:campaign_campaign_change", args=[campaign.pk]))
    assert "goal_kind" not in page.context["adminform"].form.fields
    editor.user_permissions.add(Permission.objects.get(codename="view_figures"))
    editor = django_user_model.objects.get(pk=editor.pk)  # permissions are cached per object
    client.force_login(editor)
    page = client.get(reverse("admin:campaign_campaign_change", args=[campaign.pk]))
    assert "goal_kind" in page.context["adminform"].form.fields


def test_a_query_string_does_not_make_every_request_count_the_goal(
    client, campaign, django_assert_num_queries
):
    _goal(campaign, "amount", 500)
    client.get(home() + "?x=1")
    with django_assert_num_queries(2):  # the article and its steps; the figure is kept
        client.get(home() + "?x=2")


def test_a_goal_counts_people_once_and_an_ended_goal_says_so(client, mollie, campaign):
    _goal(campaign, "donors", 10)
    for _ in range(2):
        donation, mollie_id = start(client, "en", page="campaign", frequency="monthly")
        pay(client, mollie, donation, mollie_id, "paid")
        webhook(client, mollie_id)
    assert "1 of 10 new regular donors" in client.get(home()).content.decode()  # Ann, twice
    campaign.refresh_from_db()
    campaign.goal_ends_on = datetime.date(2026, 6, 1)
    campaign.save()
    html = client.get(home()).content.decode()
    assert "0 of 10 new regular donors" in html  # her gifts came after the goal's end
    assert "This goal ended on 1 June 2026." in html


def test_a_link_is_one_row_whichever_page_it_led_to(campaign, link):
    ann = Supporter.objects.create(email="ann@example.org", name="Ann")
    for page in ("", "campaign"):
        Donation.objects.create(
            supporter=ann,
            amount=Decimal("5"),
            frequency="oneoff",
            language="en",
            source_link=link,
            source_campaign=campaign,
            source_page=page,
        )
    today = timezone.localdate()
    [row] = attribution.source_figures(today, today).rows
    assert (row.kind, row.started) == ("link", 2)


def test_gifts_recorded_outside_mollie_count_as_money_only_on_a_row_of_their_own():
    from core.actors import Actor
    from donations import services

    ann = Supporter.objects.create(email="ann@example.org", name="Ann")
    services.gift_record(
        supporter=ann,
        paid_on=timezone.localdate(),
        amount=Decimal("40"),
        method="cash",
        reference="",
        actor=Actor(kind="staff", label="staff:test"),
    )
    today = timezone.localdate()
    [row] = attribution.source_figures(today, today).rows
    assert (row.kind, row.started, row.paid, row.raised) == ("recorded", 0, 0, Decimal("40.00"))


def test_a_gift_knows_when_it_was_first_paid_by_checkout_and_by_mandate(client, mollie, settings):
    donation, mollie_id = start(client, "en", frequency="monthly")
    assert Donation.objects.get(pk=donation.pk).first_paid_at is None
    pay(client, mollie, donation, mollie_id, "paid")
    webhook(client, mollie_id)
    first = Donation.objects.get(pk=donation.pk).first_paid_at
    assert first == Payment.objects.get(mollie_id=mollie_id).paid_at
    subscription = Subscription.objects.get(donation=donation)
    charge = charge_settled(mollie, subscription.mollie_id, "paid")
    webhook(client, charge["id"])
    assert Donation.objects.get(pk=donation.pk).first_paid_at == first  # a later charge: no
