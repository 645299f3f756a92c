"""Reads of campaign content for the public pages."""

from django.db import connection
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from .models import Article, GuideStep

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
    articles = Article.objects.published().filter(language=language)
    if connection.vendor == "postgresql":
        return _search_postgres(articles, query, SEARCH_CONFIGS.get(language, "simple"))
    return _search_fallback(articles, query)


def _search_postgres(articles: QuerySet[Article], query: str, config: str) -> QuerySet[Article]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    vector = (
        SearchVector("title", weight="A", config=config)
        + SearchVector("lead", weight="B", config=config)
        + SearchVector("search_text", weight="C", config=config)
    )
    search_query = SearchQuery(query, config=config, search_type="websearch")
    return (
        articles.annotate(document=vector, rank=SearchRank(vector, search_query))
        .filter(document=search_query)
        .order_by("-rank", "-published_at")
    )


def _search_fallback(articles: QuerySet[Article], query: str) -> QuerySet[Article]:
    terms = [term for term in query.split() if term][:MAX_SEARCH_TERMS]
    if not terms:
        return articles.none()
    rank = Value(0)
    for term in terms:
        articles = articles.filter(
            Q(title__icontains=term) | Q(lead__icontains=term) | Q(search_text__icontains=term)
        )
        rank = rank + Case(
            When(title__icontains=term, then=Value(4)),
            When(lead__icontains=term, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    return articles.annotate(rank=rank).order_by("-rank", "-published_at")
