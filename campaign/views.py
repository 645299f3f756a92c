"""Public campaign pages. Thin: each view reads through selectors or calls one service."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language, ngettext, override
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from core import ratelimit
from core.cache import public_page
from core.http import cookie_free_post, see_other

from . import goals, selectors, services
from .exceptions import ObjectionLimitReached
from .forms import MastodonShareForm
from .models import GIVING_PAGE, LINK_CODE_RE, Article, Campaign, LinkTarget

MAX_QUERY_LENGTH = 200


def objection_count_text(count: int) -> str:
    if not count:  # a new campaign: an invitation, not "0 people"
        return _("Be the first to tell us you objected!")
    return ngettext("%(count)d person objected", "%(count)d people objected", count) % {
        "count": count
    }


def _donate_context(request: HttpRequest, page: str) -> dict:
    """What the small gift form needs, with where it stands: the page's key, and the campaign
    link the reader followed (?link=<code>, from /d/<code>/) so a gift records its source. Both
    travel in the form's address, never in a cookie."""
    link = request.GET.get("link", "")
    return {
        "preset_amounts": settings.DONATION_PRESET_AMOUNTS,
        "default_amount": settings.DONATION_DEFAULT_AMOUNT,
        "source_page": page,
        "source_link": link if LINK_CODE_RE.match(link) else "",
    }


def _current_article_or_404() -> Article:
    article = selectors.current_campaign_article(language=get_language())
    if article is None:
        raise Http404(_("There is no campaign running right now."))
    return article


@require_safe
@public_page
def home(request: HttpRequest) -> HttpResponse:
    article = _current_article_or_404()
    goal = goals.goal_progress(article.campaign)
    response = render(
        request,
        "campaign/home.html",
        {
            "article": article,
            "campaign": article.campaign,
            "goal": goal,
            **_donate_context(request, article.translation_key),
        },
    )
    if goal is not None:  # the bar moves with each paid gift: a minute behind at most
        response.public_seconds = goals.GOAL_PAGE_SECONDS
    return response


@require_safe
@public_page
def guide(request: HttpRequest) -> HttpResponse:
    article = _current_article_or_404()
    return render(request, "campaign/guide.html", {"article": article})


@require_safe
@public_page
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(
        Article.objects.published().select_related("campaign"), language=get_language(), slug=slug
    )
    if article.campaign_id and article.campaign.is_current:
        return redirect("campaign:home", permanent=False)
    translations = selectors.article_translations(article=article)
    alternates = {code: version.get_absolute_url() for code, version in translations.items()}
    return render(request, "campaign/article.html", {"article": article, "alternates": alternates})


@never_cache
@staff_member_required
def article_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff-only view of an article as readers would see it, published or not."""
    article = get_object_or_404(
        Article.objects.select_related("campaign").prefetch_related("steps"), pk=pk
    )
    return render(
        request, "campaign/article.html", {"article": article, "preview": True, "show_guide": True}
    )


@require_safe
@public_page
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        context = {
            "query": query[:MAX_QUERY_LENGTH],
            "error": _("Please use at most %(count)d characters.") % {"count": MAX_QUERY_LENGTH},
        }
        return render(request, "campaign/search.html", context, status=400)
    results = selectors.site_search(query=query, language=get_language()) if query else []
    return render(request, "campaign/search.html", {"query": query, "results": results})


@require_safe
def search_count(request: HttpRequest) -> JsonResponse:
    """How many results a search has, for the header search as the reader types (site.js);
    the search page itself works without it."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    count = len(selectors.site_search(query=query, language=get_language())) if query else 0
    text = ngettext("%(count)d result", "%(count)d results", count) % {"count": count}
    response = JsonResponse({"count": count, "text": text})
    patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
    return response


@require_safe
@public_page
def giving_info(request: HttpRequest) -> HttpResponse:
    return render(request, "campaign/giving.html", _donate_context(request, GIVING_PAGE))


@require_safe
@public_page
def privacy(request: HttpRequest) -> HttpResponse:
    """The organisation's own privacy statement when staff published one, else the statement
    the site writes from what it does."""
    article = selectors.article_by_key(key=settings.PRIVACY_ARTICLE_KEY, language=get_language())
    if article is not None:
        return render(request, "campaign/article.html", {"article": article})
    context = {
        "login_code_minutes": settings.LOGIN_CODE_VALID_MINUTES,
        "session_days": settings.SESSION_COOKIE_AGE // 86400,
    }
    return render(request, "campaign/privacy.html", context)


@require_safe
@public_page
def contact(request: HttpRequest) -> HttpResponse:
    return render(request, "campaign/contact.html", {"security_contact": settings.SECURITY_CONTACT})


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _not_from_our_site(request: HttpRequest) -> HttpResponse:
    return _objection_refused(request, _wants_json(request), status=403)


# Public pages carry no CSRF cookie, so their forms carry no token.
@require_POST
@cookie_free_post(refused=_not_from_our_site)
def objection_create(request: HttpRequest, key: str) -> HttpResponse:
    """Count one "I objected". Answers JSON to the page's script, a redirect to a form post."""
    wants_json = _wants_json(request)
    campaign = get_object_or_404(Campaign, key=key)
    try:
        count = services.objection_record(
            campaign=campaign, client_key=ratelimit.client_key(request)
        )
    except ObjectionLimitReached:
        return _objection_refused(request, wants_json, status=429)
    if wants_json:
        return JsonResponse({"count": count, "text": objection_count_text(count)})
    return see_other(reverse("campaign:objection_thanks", kwargs={"key": campaign.key}))


def _objection_refused(request: HttpRequest, wants_json: bool, status: int) -> HttpResponse:
    if status == 429:
        message = _("You have already told us several times. Thank you! Please try again later.")
    else:
        message = _("This request did not come from our site, so it was not counted.")
    if wants_json:
        return JsonResponse({"error": message}, status=status)
    return render(request, "campaign/objection_refused.html", {"message": message}, status=status)


@never_cache
@require_safe
def objection_thanks(request: HttpRequest, key: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, key=key)
    return render(request, "campaign/objection_thanks.html", {"campaign": campaign})


# A cookie-free page; the same-origin check also keeps this from being an open redirect.
@cookie_free_post(refused=_not_from_our_site)
def share_mastodon(request: HttpRequest) -> HttpResponse:
    """Ask for the reader's Mastodon server, then send them to its own share screen."""
    form = MastodonShareForm(request.POST or None, initial={"path": request.GET.get("path", "/")})
    if request.method == "POST":
        if form.is_valid():
            page_url = settings.PUBLIC_BASE_URL + form.cleaned_data["path"]
            text = f"{settings.SITE_NAME}: {page_url}"
            server = form.cleaned_data["server"]
            return see_other(f"https://{server}/share?{urlencode({'text': text})}")
        return render(request, "campaign/share_mastodon.html", {"form": form}, status=400)
    return render(request, "campaign/share_mastodon.html", {"form": form})


@require_safe
def campaign_link(request: HttpRequest, code: str) -> HttpResponse:
    """/d/<code>/: a campaign link from a newsletter or a poster, on to where it leads.

    The link's code goes along in the address so the gift form can record it; nothing about
    the visitor is stored or set (no cookie). An inactive link still leads to the site, without
    its code. The redirect may be cached briefly: staff can change where a link leads.
    """
    link = selectors.campaign_link(code=code.lower())
    if link is None:
        raise Http404(_("This link does not exist (any more)."))
    with override(link.language):
        query = {"link": link.code} if link.is_active else {}
        if link.target == LinkTarget.CAMPAIGN_PAGE:
            url = reverse("campaign:home")
        else:
            url = reverse("donations:donate")
            if link.frequency:
                query["frequency"] = link.frequency
            if link.amount:
                query["amount"] = str(link.amount)
    response = redirect(f"{url}?{urlencode(query)}" if query else url)
    patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
    return response
