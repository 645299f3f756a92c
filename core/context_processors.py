"""Template context shared by every page. Cheap by design: no queries, no session access."""

from django.conf import settings


def site(request):
    return {
        "site_name": settings.SITE_NAME,
        "organisation": settings.ORGANISATION,
    }
