"""The "I objected" counter: counts, one count across languages, limits abuse, keeps no IP."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils.translation import override

from campaign.models import Campaign
from core.models import RateLimitCounter

from .factories import make_campaign_with_articles

pytestmark = pytest.mark.django_db

CLIENT_IP = "203.0.113.77"


def objection_url(campaign: Campaign, language: str = "en") -> str:
    with override(language):
        return reverse("campaign:objection_create", kwargs={"key": campaign.key})


def count(campaign: Campaign) -> int:
    campaign.refresh_from_db()
    return campaign.objection_count


@pytest.fixture
def campaign():
    return make_campaign_with_articles()


def test_pressing_the_button_counts_and_thanks(client, campaign):
    response = client.post(objection_url(campaign), REMOTE_ADDR=CLIENT_IP)
    assert response.status_code == 303
    assert count(campaign) == 1
    thanks = client.get(response["Location"])
    assert "1 person objected" in thanks.content.decode()
    assert not response.cookies and not thanks.cookies


def test_script_gets_the_new_count_as_json(client, campaign):
    response = client.post(
        objection_url(campaign, "nl"), headers={"Accept": "application/json"}, REMOTE_ADDR=CLIENT_IP
    )
    assert response.status_code == 200
    assert response.json() == {"count": 1, "text": "1 persoon maakte bezwaar"}


def test_one_count_across_languages(client, campaign):
    client.post(objection_url(campaign, "nl"), REMOTE_ADDR="198.51.100.1")
    client.post(objection_url(campaign, "en"), REMOTE_ADDR="198.51.100.2")
    assert count(campaign) == 2
    for language, text in (("nl", "2 mensen maakten bezwaar"), ("en", "2 people objected")):
        cache.clear()
        with override(language):
            html = client.get(reverse("campaign:home")).content.decode()
        assert text in html


@override_settings(OBJECTION_LIMIT_PER_HOUR=3)
def test_one_client_cannot_inflate_the_count(client, campaign):
    statuses = [
        client.post(objection_url(campaign), REMOTE_ADDR=CLIENT_IP).status_code for _ in range(6)
    ]
    assert statuses == [303, 303, 303, 429, 429, 429]
    assert count(campaign) == 3
    refused = client.post(objection_url(campaign), REMOTE_ADDR=CLIENT_IP)
    assert "Please try again later" in refused.content.decode()
    # Another client is not affected.
    assert client.post(objection_url(campaign), REMOTE_ADDR="198.51.100.9").status_code == 303
    assert count(campaign) == 4


@override_settings(OBJECTION_LIMIT_PER_HOUR=2, TRUSTED_PROXY_COUNT=1)
def test_limit_follows_the_forwarded_client_behind_a_trusted_proxy(client, campaign):
    def press(forwarded_for: str) -> int:
        return client.post(
            objection_url(campaign),
            REMOTE_ADDR="10.0.0.1",
            headers={"X-Forwarded-For": forwarded_for},
        ).status_code

    assert [press("192.0.2.1"), press("192.0.2.1"), press("192.0.2.1")] == [303, 303, 429]
    assert press("192.0.2.2") == 303


def test_requests_from_other_sites_are_refused(client, campaign):
    response = client.post(
        objection_url(campaign), headers={"Sec-Fetch-Site": "cross-site"}, REMOTE_ADDR=CLIENT_IP
    )
    assert response.status_code == 403
    response = client.post(
        objection_url(campaign), headers={"Origin": "https://evil.example"}, REMOTE_ADDR=CLIENT_IP
    )
    assert response.status_code == 403
    assert count(campaign) == 0
    same_site = client.post(
        objection_url(campaign),
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        REMOTE_ADDR=CLIENT_IP,
    )
    assert same_site.status_code == 303
    assert count(campaign) == 1


def test_get_is_not_allowed_and_unknown_campaign_is_404(client, campaign):
    assert client.get(objection_url(campaign)).status_code == 405
    with override("en"):
        unknown = reverse("campaign:objection_create", kwargs={"key": "nope"})
    assert client.post(unknown).status_code == 404


def test_no_ip_address_is_stored_anywhere(client, campaign):
    client.post(objection_url(campaign), REMOTE_ADDR=CLIENT_IP)
    assert count(campaign) == 1
    # Not in the database: dump every table's rows as text and look for the address.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from introspection)
            assert CLIENT_IP not in repr(cursor.fetchall()), table
    # The rate-limit count is in the database, under a hashed key only.
    counters = list(RateLimitCounter.objects.values_list("key", flat=True))
    assert [key.startswith("rl:objection:") for key in counters] == [True]
    assert CLIENT_IP not in repr(counters)
    # Not in the cache either (the local-memory cache keeps keys and pickled values).
    stored = repr(list(cache._cache.keys())) + repr(list(cache._cache.values()))
    assert CLIENT_IP not in stored
