"""Reads of campaign content for the public pages."""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from core.cache import public_pages_generation

from .models import GIVING_PAGE, Article, Campaign, CampaignLink, GuideStep

SEARCH_CONFIGS = {"nl": "dutch", "en": "english"}
MAX_SEARCH_TERMS = 8


def current_campaign_article(*, language: str) -> Article | None:
    """The current campaign's published article in `language`, with its guide steps (2 queries)."""
    return (
        Article.objects.published()
        .filter(language=language, campaign__is_current=True)
        .select_related("campaign")
        .prefetch_related(Prefetch("steps", queryset=GuideStep.objects.order_by("position", "id")))
        .first()
    )


def campaign_link(*, code: str) -> CampaignLink | None:
    """The campaign link with this code, active or not (1 query)."""
    return CampaignLink.objects.filter(code=code).first()


@dataclass(frozen=True)
class GiftSource:
    link: CampaignLink | None = None
    campaign: Campaign | None = None
    page: str = ""


def gift_source(*, link_code: str, page: str) -> GiftSource:
    """Where a gift form was opened: the active campaign link it came through, the page it sat
    on (an article's translation key, or the giving page), and their campaign (at most 2
    queries). Unknown codes and keys count as nothing: they come from the address."""
    link = None
    if link_code:
        link = (
            CampaignLink.objects.filter(code=link_code, is_active=True)
            .select_related("campaign")
            .first()
        )
    article = None
    if page and page != GIVING_PAGE:
        article = Article.objects.filter(translation_key=page).select_related("campaign").first()
    known_page = page if page == GIVING_PAGE or article is not None else ""
    campaign = link.campaign if link else (article.campaign if article else None)
    return GiftSource(link=link, campaign=campaign, page=known_page)


def page_titles(*, keys: set[str]) -> dict[str, str]:
    """Titles of the articles with these translation keys, in the current language where there
    is one (1 query)."""
    titles: dict[str, str] = {}
    language = get_language()
    for key, lang, title in Article.objects.filter(translation_key__in=keys).values_list(
        "translation_key", "language", "title"
    ):
        if key not in titles or lang == language:
            titles[key] = title
    return titles


def article_translations(*, article: Article) -> dict[str, Article]:
    """Published versions of `article` in every language, by language code."""
    versions = Article.objects.published().filter(translation_key=article.translation_key)
    return {version.language: version for version in versions}


def article_by_key(*, key: str, language: str) -> Article | None:
    """The published article with translation key `key` in `language` (1 query)."""
    return Article.objects.published().filter(translation_key=key, language=language).first()


def article_search(*, query: str, language: str) -> QuerySet[Article]:
    """Published articles in `language` matching `query`, best matches first.

    PostgreSQL uses its full-text search with the language's stemming (title weighs most, then
    the lead, then the body). Other databases get a simple fallback: every word must appear
    somewhere, and articles with the words in their title rank first.
    """
    articles = Article.objects.published().filter(language=language).select_related("campaign")
    if connection.vendor == "postgresql":
        return _search_postgres(articles, query, SEARCH_CONFIGS.get(language, "simple"))
    return _search_fallback(articles, query)


def _search_postgres(articles: QuerySet[Article], query: str, config: str) -> QuerySet[Article]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    vector = (
        SearchVector("title", weight="A", config=config)
        + SearchVector("lead", weight="B", config=config)
        + SearchVector("search_text", weight="C", config=config)
        + SearchVector("guide_text", weight="C", config=config)
    )
    search_query = SearchQuery(query, config=config, search_type="websearch")
    return (
        articles.annotate(
            document=vector,
            rank=SearchRank(vector, search_query),
            guide_document=SearchVector("guide_text", config=config),
        )
        .filter(document=search_query)
        # Whether the guide's own text matches (@@), not whether it ranks above zero: ts_rank
        # gives a guide holding one of two words a tiny rank that is not a match.
        .annotate(
            in_guide=ExpressionWrapper(Q(guide_document=search_query), output_field=BooleanField())
        )
        .order_by("-rank", "-published_at")
    )


QUOTES = "\"'\u201c\u201d\u2018\u2019"  # straight and curly quotes


def _search_terms(query: str) -> list[str]:
    """The words to look for without PostgreSQL, read as its web search reads them: quotes
    group words (here: each word must still be there), a single letter finds nothing."""
    words = (word.strip(QUOTES) for word in query.split())
    return [word for word in words if len(word) > 1][:MAX_SEARCH_TERMS]


def _search_fallback(articles: QuerySet[Article], query: str) -> QuerySet[Article]:
    terms = _search_terms(query)
    if not terms:
        return articles.none()
    rank = Value(0)
    in_guide = Q()
    for term in terms:
        articles = articles.filter(
            Q(title__icontains=term)
            | Q(lead__icontains=term)
            | Q(search_text__icontains=term)
            | Q(guide_text__icontains=term)
        )
        in_guide &= Q(guide_text__icontains=term)
        rank = rank + Case(
            When(title__icontains=term, then=Value(4)),
            When(lead__icontains=term, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    in_guide = ExpressionWrapper(in_guide, output_field=BooleanField())
    return articles.annotate(rank=rank, in_guide=in_guide).order_by("-rank", "-published_at")


@dataclass(frozen=True)
class SearchHit:
    title: str
    summary: str
    url: str


def site_search(*, query: str, language: str) -> list[SearchHit]:
    """Every public text a reader can see that matches `query`, in `language`: the articles
    and the campaign (title, lead, body, and the guide's steps and tips), the guide page when
    its steps or tips match, and the giving page; best first. Stemmed on PostgreSQL (one query
    for the articles, one for the giving page), every word somewhere otherwise."""
    articles = list(article_search(query=query, language=language))
    hits = []
    for article in articles:
        current = article.campaign_id and article.campaign.is_current
        if current and article.in_guide:
            hits.append(
                SearchHit(
                    title=_("How to object, step by step"),
                    summary=_("Every step of the objection, with where to find it."),
                    url=reverse("campaign:guide"),
                )
            )
        hits.append(SearchHit(article.title, article.lead, article.get_absolute_url()))
    if _page_matches(giving_text(language), query, language):
        hits.append(
            SearchHit(
                title=_("About giving"),
                summary=_("How we use your gift, tax deduction, stopping a monthly gift."),
                url=reverse("campaign:giving"),
            )
        )
    return hits


def giving_text(language: str) -> str:
    """The giving page's text in `language`, as a reader sees it (kept while content stays)."""
    key = f"search:giving:{language}:{public_pages_generation()}"
    text = cache.get(key)
    if text is None:
        with override(language):
            html = render_to_string(
                "campaign/_giving_text.html", {"organisation": settings.ORGANISATION}
            )
        text = " ".join(strip_tags(html).split())
        cache.set(key, text, timeout=3600)
    return text


def _page_matches(text: str, query: str, language: str) -> bool:
    if connection.vendor == "postgresql":
        config = SEARCH_CONFIGS.get(language, "simple")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT to_tsvector(%s::regconfig, %s) @@ websearch_to_tsquery(%s::regconfig, %s)",
                [config, text, config, query],
            )
            return bool(cursor.fetchone()[0])
    terms = [term.lower() for term in _search_terms(query)]
    lowered = text.lower()
    return bool(terms) and all(term in lowered for term in terms)
