"""Template context shared by every page. Cheap by design: no queries, no session access."""

from django.conf import settings

from .theme import site_logo, theme_css


def site(request):
    return {
        "site_name": settings.SITE_NAME,
        "organisation": settings.ORGANISATION,
        "theme_css": theme_css(),
        "logo": site_logo(),
    }
