"""Content rules: sanitised Markdown, alt texts, the demo loader, the admin and preview."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils.translation import override

from campaign.markdown import render_markdown
from campaign.models import Article, Campaign, GuideStep

from .factories import make_article, make_campaign_with_articles

pytestmark = pytest.mark.django_db

HOSTILE = """\
# Title

Hello <script>alert("x")</script> world.

<img src="x" onerror="alert(1)"> <img src="https://tracker.example/pixel.gif" alt="t">
<img src="/media/ok.png" alt="ours">

[click](javascript:alert(1)) [fine](https://example.org/)

<iframe src="https://example.org/"></iframe> <a href="/x" onclick="steal()">x</a>
<div style="color:red">styled</div>
"""


def test_markdown_is_sanitised():
    html = render_markdown(HOSTILE)
    for bad in ("<script", "onerror", "javascript:", "<iframe", "onclick", "style=", "tracker"):
        assert bad not in html, bad
    assert '<img src="/media/ok.png" alt="ours">' in html
    assert 'href="https://example.org/" rel="noopener noreferrer"' in html


def test_script_in_a_body_never_reaches_the_page(client):
    make_article(slug="hostile", body=HOSTILE)
    with override("en"):
        html = client.get(reverse("campaign:article", kwargs={"slug": "hostile"})).content
    assert b"alert(" not in html
    assert b"<script>" not in html.replace(b'<script src="/static/js/site.js" defer>', b"")


def test_body_is_rendered_once_on_save():
    article = make_article(body="**bold**")
    assert article.body_html == "<p><strong>bold</strong></p>"
    assert article.search_text == "bold"
    Article.objects.filter(pk=article.pk).update(body="*changed*")  # no save: no render
    article.refresh_from_db()
    assert article.body_html == "<p><strong>bold</strong></p>"
    article.save(update_fields=["body"])
    article.refresh_from_db()
    assert article.body_html == "<p><em>changed</em></p>"


def test_an_image_needs_alt_text():
    article = make_article()
    article.hero_image = SimpleUploadedFile("hero.png", b"not read here")
    with pytest.raises(ValidationError) as error:
        article.clean()
    assert "hero_alt" in error.value.message_dict
    step = GuideStep(article=article, title="s", instructions="i", image="guide/x.png")
    with pytest.raises(ValidationError):
        step.clean()


def test_only_one_current_campaign():
    from django.db import IntegrityError, transaction

    Campaign.objects.create(key="a", name="a", is_current=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.create(key="b", name="b", is_current=True)


def test_demo_loader_is_idempotent(client):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (Campaign.objects.count(), Article.objects.count(), GuideStep.objects.count())
    assert counts[0] == 1 and counts[1] == 6 and counts[2] >= 10
    campaign = Campaign.objects.get()
    Campaign.objects.filter(pk=campaign.pk).update(objection_count=42)
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("load_demo", "--reset", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Campaign.objects.count(), Article.objects.count(), GuideStep.objects.count()) == counts
    campaign.refresh_from_db()
    assert campaign.objection_count == 42 and campaign.is_current
    for language in ("nl", "en"):
        article = Article.objects.get(language=language, campaign=campaign)
        assert article.steps.count() >= 5
        with override(language):
            assert client.get(reverse("campaign:home")).status_code == 200


def test_demo_loader_keeps_staff_edits_unless_reset():
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    article = Article.objects.get(language="en", campaign__isnull=False)
    article.title = "Edited by staff"
    article.save()
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    article.refresh_from_db()
    assert article.title == "Edited by staff"
    call_command("load_demo", "--reset", stdout=open("/dev/null", "w"))  # noqa: SIM115
    article.refresh_from_db()
    assert article.title != "Edited by staff"


def test_admin_edits_articles_with_inline_steps_and_a_preview_link(staff):
    make_campaign_with_articles(steps=2)
    article = Article.objects.get(language="en", campaign__isnull=False)
    page = staff.get(reverse("admin:campaign_article_change", args=[article.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "steps-TOTAL_FORMS" in html
    with override("en"):
        assert reverse("campaign:preview", kwargs={"pk": article.pk}) in html
    assert staff.get(reverse("admin:campaign_article_changelist")).status_code == 200
    assert staff.get(reverse("admin:campaign_campaign_changelist")).status_code == 200


def test_admin_saves_reordered_steps(staff):
    make_campaign_with_articles(steps=2)
    article = Article.objects.get(language="en", campaign__isnull=False)
    steps = list(article.steps.all())
    data = {
        "campaign": article.campaign_id,
        "language": "en",
        "translation_key": article.translation_key,
        "title": article.title,
        "slug": article.slug,
        "lead": article.lead,
        "body": article.body,
        "hero_alt": "",
        "is_published": "on",
        "published_at_0": "2026-01-01",
        "published_at_1": "10:00:00",
        "steps-TOTAL_FORMS": "2",
        "steps-INITIAL_FORMS": "2",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for index, (step, new_position) in enumerate(zip(steps, (2, 1), strict=True)):
        data |= {
            f"steps-{index}-id": step.pk,
            f"steps-{index}-article": article.pk,
            f"steps-{index}-position": new_position,
            f"steps-{index}-title": step.title,
            f"steps-{index}-instructions": step.instructions,
            f"steps-{index}-image_alt": "",
        }
    response = staff.post(reverse("admin:campaign_article_change", args=[article.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [s.title for s in article.steps.all()] == ["en step 2", "en step 1"]


def test_preview_is_for_staff_only_and_shows_drafts(client, staff):
    draft = make_article(slug="draft", title="Secret draft", published=False)
    with override("en"):
        preview = reverse("campaign:preview", kwargs={"pk": draft.pk})
    assert "Secret draft" in staff.get(preview).content.decode()
    client.logout()
    anonymous = client.get(preview)
    assert anonymous.status_code == 302
    assert "/admin/login/" in anonymous["Location"]
