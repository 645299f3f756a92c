"""The one answer every page gives when the payment provider cannot be reached.

Used by the donations views and by the supporter area's pages that change a monthly gift.
"""

import logging

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .exceptions import PaymentProviderError, PaymentProviderUnavailable

logger = logging.getLogger("donations")

# Mollie cannot be reached, or a row it concerns is locked by another request for too long
# (PostgreSQL's lock timeout): both pass, so the page says "try again".
PROVIDER_UNAVAILABLE = (PaymentProviderUnavailable, OperationalError)
# Any failure of a call to Mollie, refusals included, for pages that change nothing on failure.
PROVIDER_FAILED = (PaymentProviderError, OperationalError)


def describe(error: Exception) -> str:
    """A failure we expect and answer (Mollie unreachable, a lock that waited too long) for the
    log: its kind and message on one line. A traceback would say nothing more about it, and a
    bad day at Mollie would fill the log with them."""
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


def provider_unavailable(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    error: Exception,
    message: str | None = None,
) -> HttpResponse:
    """`template` again with status 503 and the message that nothing happened and why (or
    `message`, where that cannot be said for certain).

    The template shows `general_error` (or its own block for `unavailable`); the form the person
    filled in stays as it was, so trying again is one press.
    """
    logger.warning("Payment provider unavailable on %s (%s)", request.path, describe(error))
    context = {
        **context,
        "unavailable": True,
        "general_error": message
        or _("We could not reach our payment provider. Nothing has changed; please try again."),
    }
    return render(request, template, context, status=503)
