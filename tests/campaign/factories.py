"""Small builders for campaign content in tests."""

from django.utils import timezone

from campaign.models import Article, Campaign, GuideStep


def make_campaign(key: str = "test-campaign", *, current: bool = True) -> Campaign:
    return Campaign.objects.create(key=key, name=key.replace("-", " "), is_current=current)


def make_article(
    *,
    language: str = "en",
    slug: str = "an-article",
    title: str = "An article",
    lead: str = "A lead.",
    body: str = "Some body text.",
    campaign: Campaign | None = None,
    translation_key: str | None = None,
    published: bool = True,
    published_at=None,
) -> Article:
    return Article.objects.create(
        language=language,
        slug=slug,
        title=title,
        lead=lead,
        body=body,
        campaign=campaign,
        translation_key=translation_key or slug,
        is_published=published,
        published_at=published_at or timezone.now() - timezone.timedelta(minutes=1),
    )


def make_campaign_with_articles(steps: int = 3) -> Campaign:
    campaign = make_campaign()
    for language, title in (("nl", "Maak bezwaar"), ("en", "Object now")):
        article = make_article(
            language=language,
            slug=f"campaign-{language}",
            title=title,
            campaign=campaign,
            translation_key="campaign",
            body=f"Campaign body in {language}.",
        )
        for position in range(steps, 0, -1):  # created in reverse to prove ordering
            GuideStep.objects.create(
                article=article,
                position=position,
                title=f"{language} step {position}",
                instructions=f"Do thing {position}.",
            )
    return campaign
