"""Writes for the campaign app."""

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F

from core import ratelimit

from . import demo_content
from .demo_image import ALT as DEMO_HERO_ALT
from .demo_image import demo_hero_png
from .exceptions import ObjectionLimitReached
from .models import Article, Campaign, CampaignLink, GuideStep

OBJECTION_WINDOW_SECONDS = 3600


def objection_record(*, campaign: Campaign, client_key: str) -> int:
    """Add one "I objected" to `campaign` and return the new count.

    `client_key` is a hashed client identifier (never an address). Raises ObjectionLimitReached
    when that client is over `OBJECTION_LIMIT_PER_HOUR`; the count is then left alone. The
    increment is a single UPDATE, so concurrent presses never lose a count.
    """
    allowed = ratelimit.hit(
        scope="objection",
        key=client_key,
        limit=settings.OBJECTION_LIMIT_PER_HOUR,
        window=OBJECTION_WINDOW_SECONDS,
    )
    if not allowed:
        raise ObjectionLimitReached
    Campaign.objects.filter(pk=campaign.pk).update(objection_count=F("objection_count") + 1)
    return Campaign.objects.values_list("objection_count", flat=True).get(pk=campaign.pk)


@transaction.atomic
def demo_content_load(*, reset: bool = False) -> dict[str, int]:
    """Create the demo campaign (with a goal), its guide, two more articles in every language,
    and a few campaign links.

    Safe to run any number of times: existing rows are found by their natural keys and never
    duplicated. Without `reset`, content staff have edited is left as it is; with `reset`, the
    demo texts are written back. The objection count is never touched.
    """
    created = {"campaigns": 0, "articles": 0, "steps": 0, "links": 0}
    details = {k: v for k, v in demo_content.CAMPAIGN.items() if k != "key"}
    campaign, was_created = Campaign.objects.get_or_create(
        key=demo_content.CAMPAIGN["key"], defaults=details
    )
    if reset and not was_created:
        Campaign.objects.filter(pk=campaign.pk).update(**details)
    created["campaigns"] += was_created
    if not Campaign.objects.filter(is_current=True).exclude(pk=campaign.pk).exists():
        Campaign.objects.filter(pk=campaign.pk).update(is_current=True)
    if was_created or reset:
        if campaign.hero_image:
            campaign.hero_image.delete(save=False)
        campaign.hero_image.save("demo-hero.png", ContentFile(demo_hero_png()), save=False)
        campaign.hero_alt = dict(DEMO_HERO_ALT)
        campaign.save(update_fields=["hero_image", "hero_alt"])

    for language, text in demo_content.CAMPAIGN_ARTICLES.items():
        article, was_created = _demo_article(
            campaign=campaign,
            language=language,
            translation_key=demo_content.CAMPAIGN["key"],
            text=text,
            reset=reset,
        )
        created["articles"] += was_created
        if was_created or reset:
            article.steps.all().delete()
            for position, (title, instructions) in enumerate(text["steps"], start=1):
                GuideStep.objects.create(
                    article=article, position=position, title=title, instructions=instructions
                )
                created["steps"] += 1

    for entry in demo_content.OTHER_ARTICLES:
        for language in ("nl", "en"):
            _, was_created = _demo_article(
                campaign=None,
                language=language,
                translation_key=entry["translation_key"],
                text=entry[language],
                reset=reset,
            )
            created["articles"] += was_created

    for link in demo_content.CAMPAIGN_LINKS:
        details = {k: v for k, v in link.items() if k != "code"}
        _, was_created = CampaignLink.objects.get_or_create(
            code=link["code"], defaults={"campaign": campaign, **details}
        )
        created["links"] += was_created
    return created


def _demo_article(
    *, campaign: Campaign | None, language: str, translation_key: str, text: dict, reset: bool
) -> tuple[Article, bool]:
    fields = {
        "campaign": campaign,
        "slug": text["slug"],
        "title": text["title"],
        "lead": text["lead"],
        "body": text["body"],
        "guide_tips": text.get("tips", ""),
        "is_published": True,
    }
    article = Article.objects.filter(language=language, translation_key=translation_key).first()
    if article is None:
        return Article.objects.create(
            language=language, translation_key=translation_key, **fields
        ), True
    if reset:
        for name, value in fields.items():
            setattr(article, name, value)
        article.save()
    return article, False
