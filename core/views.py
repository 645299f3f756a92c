"""Site-wide views that belong to no app."""

import datetime
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

logger = logging.getLogger(__name__)

# Where the staff language switch may send the reader back to.
STAFF_PATHS = ("/admin/", "/staff/")


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers a query, 503 otherwise (for load balancers and monitors)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: database unreachable")
        return HttpResponse("database unreachable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


@require_safe
def security_txt(request: HttpRequest) -> HttpResponse:
    """RFC 9116: how to report a vulnerability, from settings (404 until a contact is set)."""
    if not settings.SECURITY_CONTACT:
        raise Http404("No security contact is configured.")
    expires = settings.SECURITY_TXT_EXPIRES or (
        (timezone.now() + datetime.timedelta(days=365)).replace(microsecond=0).isoformat()
    )
    lines = [
        f"Contact: {settings.SECURITY_CONTACT}",
        f"Expires: {expires}",
        "Preferred-Languages: nl, en",
        f"Canonical: {settings.PUBLIC_BASE_URL}/.well-known/security.txt",
    ]
    if settings.SECURITY_POLICY_URL:
        lines.append(f"Policy: {settings.SECURITY_POLICY_URL}")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=86400)
    return response


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Search engines may read the site, except the staff pages.

    The supporter area needs a login code and a donation's pages need its secret token, so a
    crawler never reaches them; listing their paths here would only advertise them.
    """
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /staff/", "Allow: /"]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=86400)
    return response


@require_POST
def staff_language(request: HttpRequest) -> HttpResponse:
    """The admin's language switch: the choice is kept in the language cookie, which Django's
    LocaleMiddleware reads for every page outside the language prefix (the admin and the staff
    reports). Without a choice those pages follow the browser, and then LANGUAGE_CODE."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(gettext("Choose one of the site's languages."))
    target = request.POST.get("next", "")
    if not (target.startswith(STAFF_PATHS) and url_has_allowed_host_and_scheme(target, None)):
        target = reverse("admin:index")
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
