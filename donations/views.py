"""Donation pages: the form, the return page after Mollie, and Mollie's webhook."""

import logging
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from core import ratelimit
from core.actors import anonymous_actor
from core.cache import public_page
from core.http import cookie_free_post, no_faster_than, see_other
from core.models import RateLimitCounter
from core.sealed import seal, unseal

from . import gateway, selectors, services
from .bank import iban_masked
from .exceptions import (
    AccountRefused,
    DirectDebitLimitReached,
    DonationLimitReached,
    GiftBusy,
    PaymentNotFound,
    PaymentProviderRefused,
)
from .forms import OTHER, DonationForm, MandateSignForm, initial_from_query
from .http import PROVIDER_FAILED, PROVIDER_UNAVAILABLE, describe, provider_unavailable
from .models import PaymentRoute
from .session import donation_remember_started, donation_typed_name, donations_started_here

logger = logging.getLogger(__name__)


def _form_page(
    request: HttpRequest, form: DonationForm, status: int = 200, **extra
) -> HttpResponse:
    return render(request, "donations/donate.html", {"form": form, **extra}, status=status)


@public_page
def _donate_blank(request: HttpRequest) -> HttpResponse:
    return _form_page(request, DonationForm(initial=initial_from_query(request.GET)))


# The form carries no CSRF token so the page stays cookie-free and cacheable.
@cookie_free_post()
@require_http_methods(["GET", "HEAD", "POST"])
def donate(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        retry = request.GET.get("retry")
        if retry:
            return _donate_retry(request, retry)
        return _donate_blank(request)
    return _donate_submit(request)


@never_cache  # answers to a submitted form hold what the donor typed: never store them
@sensitive_post_parameters("iban", "holder")
@no_faster_than("DONATION_START_MIN_RESPONSE_SECONDS")
def _donate_submit(request: HttpRequest) -> HttpResponse:
    form = DonationForm(request.POST)
    if form.is_bot:
        return _form_page(request, DonationForm(), status=400, general_error=_bot_message())
    if not form.is_valid():
        return _form_page(request, form, status=400)
    if form.by_mandate:
        return _mandate_page(request, _mandate_gift(form.cleaned_data))
    try:
        donation, checkout_url = services.donation_start(
            amount=form.cleaned_data["amount_value"],
            frequency=form.cleaned_data["frequency"],
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            language=get_language(),
            site_url=settings.PUBLIC_BASE_URL,
            client_key=ratelimit.client_key(request),
            source=form.source,
        )
    except DonationLimitReached:
        message = _("You have started several gifts in a short time. Please try again later.")
        return _form_page(request, form, status=429, general_error=message)
    except PROVIDER_UNAVAILABLE as error:
        return provider_unavailable(request, "donations/donate.html", {"form": form}, error=error)
    except PaymentProviderRefused as error:
        logger.error("Mollie refused a donation start: %s (field %s)", error, error.field)
        message = _("The payment provider did not accept this gift. Please check the amount.")
        return _form_page(request, form, status=400, general_error=message)
    # Remember, in this browser only, which donations it started: the success page's button
    # may then show this browser what it gave (see donations/session.py).
    donation_remember_started(request, donation.public_token, name=form.cleaned_data["name"])
    return see_other(checkout_url)


# --- Giving by direct-debit mandate (donations/services/direct_debit.py) -----------------------
# The donate form, then a page with the mandate to agree to (its reference included), then the
# gift. What the donor typed travels from the form to that page and back in one sealed field
# (core/sealed.py: encrypted, authenticated, half an hour): nothing is stored before they
# agree, nothing they typed can be read or changed on the way.
MANDATE_SALT = "donations.mandate-sign"
MANDATE_SIGN_SECONDS = 30 * 60
MANDATE_FIELDS = ("amount", "frequency", "name", "email", "holder", "iban", "reference")


@sensitive_variables("cleaned")
def _mandate_gift(cleaned: dict) -> dict:
    return {
        "amount": str(cleaned["amount_value"]),
        "frequency": cleaned["frequency"],
        "name": cleaned["name"],
        "email": cleaned["email"],
        "holder": cleaned["holder"],
        "iban": cleaned["iban"],
        "reference": services.mandate_terms().reference,
        "link": cleaned.get("link", ""),
        "page": cleaned.get("page", ""),
    }


@sensitive_variables("gift", "context")
def _mandate_page(
    request: HttpRequest,
    gift: dict,
    status: int = 200,
    form: MandateSignForm | None = None,
    **extra,
) -> HttpResponse:
    terms = services.mandate_terms(reference=gift["reference"])
    context = {
        "payload": seal(gift, purpose=MANDATE_SALT),
        "form": form or MandateSignForm(),
        "amount": Decimal(gift["amount"]),
        "frequency": gift["frequency"],
        "reference": terms.reference,
        "holder": gift["holder"],
        "account": iban_masked(gift["iban"]),
        "first_collection_on": terms.first_collection_on,
        "creditor_name": terms.creditor_name,
        "creditor_id": terms.creditor_id,
        "creditor_address": terms.creditor_address,
        "signed_on": terms.signed_on,
        "notice_days": settings.DIRECT_DEBIT_FIRST_NOTICE_DAYS,
        **extra,
    }
    return render(request, "donations/mandate_sign.html", context, status=status)


def _mandate_payload(request: HttpRequest) -> dict | None:
    """What the mandate page carried back; None when altered, or older than half an hour."""
    payload = request.POST.get("payload", "")
    gift = unseal(payload, purpose=MANDATE_SALT, max_age=MANDATE_SIGN_SECONDS)
    return gift if isinstance(gift, dict) and set(MANDATE_FIELDS) <= set(gift) else None


@sensitive_variables("gift")
def _form_again(gift: dict) -> DonationForm:
    """The donate form filled in with what was typed (to change something, or to retype the
    account Mollie refused)."""
    amount = gift["amount"].removesuffix(".00")
    presets = {str(a) for a in settings.DONATION_PRESET_AMOUNTS}
    return DonationForm(
        initial={
            "frequency": gift["frequency"],
            "amount": amount if amount in presets else OTHER,
            "other_amount": "" if amount in presets else amount.replace(".", ","),
            "name": gift["name"],
            "email": gift["email"],
            "route": PaymentRoute.MANDATE,
            "holder": gift["holder"],
            "iban": gift["iban"],
            "link": gift.get("link", ""),
            "page": gift.get("page", ""),
        }
    )


@cookie_free_post()
@require_POST
@never_cache
@sensitive_post_parameters("payload")
@sensitive_variables("gift")
@no_faster_than("DONATION_START_MIN_RESPONSE_SECONDS")
def mandate_sign(request: HttpRequest) -> HttpResponse:
    """The donor agrees to the mandate (or goes back to change something): the gift begins."""
    gift = _mandate_payload(request)
    if gift is None:
        message = _(
            "This page was open too long, or it was changed. Please fill in the form again."
        )
        return _form_page(request, DonationForm(), status=400, general_error=message)
    if "change" in request.POST:
        return _form_page(request, _form_again(gift))
    form = MandateSignForm(request.POST)
    if not form.is_valid():
        return _mandate_page(request, gift, status=400, form=form)
    try:
        mandate = services.mandate_gift_start(
            amount=Decimal(gift["amount"]),
            frequency=gift["frequency"],
            name=gift["name"],
            email=gift["email"],
            language=get_language(),
            holder=gift["holder"],
            iban=gift["iban"],
            reference=gift["reference"],
            source={"link": gift.get("link", ""), "page": gift.get("page", "")},
            # A whole IPv6 subscriber (a /48 at most) is one client for mandates.
            client_key=ratelimit.client_key(request, v6_prefix=48),
        )
    except DirectDebitLimitReached:
        message = _(
            "Several direct debits were set up lately from here, for this address or for this "
            "account, so we cannot take another one now. Please pay now instead, or try again "
            "later."
        )
        return _mandate_page(request, gift, status=429, general_error=message)
    except AccountRefused:
        form = _form_again(gift)
        form.initial["iban"] = ""
        message = _("Our payment provider does not accept this account. Please check the IBAN.")
        return _form_page(request, form, status=400, general_error=message)
    except PROVIDER_UNAVAILABLE as error:
        context = {"form": _form_again(gift)}
        return provider_unavailable(request, "donations/donate.html", context, error=error)
    except PaymentProviderRefused as error:
        logger.error("Mollie refused a mandate: %s (field %s)", error, error.field)
        message = _("The payment provider did not accept this gift. Please check the amount.")
        return _form_page(request, _form_again(gift), status=400, general_error=message)
    donation = mandate.donation
    donation_remember_started(request, donation.public_token, name=gift["name"])
    return see_other(reverse("donations:mandate_done", kwargs={"token": donation.public_token}))


@never_cache
def mandate_done(request: HttpRequest, token: str) -> HttpResponse:
    """After agreeing: what will be collected, and when. The account and the reference only in
    the browser that gave the mandate (the link alone tells nobody whose it is)."""
    donation = selectors.donation_by_token(token=token)
    mandate = selectors.donation_bank_mandate(donation=donation) if donation else None
    if mandate is None:
        raise Http404
    context = {
        "donation": donation,
        "mandate": mandate,
        "started_here": token in donations_started_here(request),
    }
    return render(request, "donations/mandate_done.html", context)


@cookie_free_post()
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def mandate_stop(request: HttpRequest, token: str) -> HttpResponse:
    """The "this was not me / stop it" link of a mandate's notice. Opening it changes nothing
    (mail scanners open links); the button stops the mandate and its gift. The page says
    nothing about whose mandate it is."""
    if request.method != "POST":
        valid = services.mandate_by_stop_token(token) is not None
        status = 200 if valid else 404
        return render(request, "donations/mandate_stop.html", {"valid": valid}, status=status)
    stopped = services.mandate_stop_by_link(
        token=token, actor=anonymous_actor(request, "stop link")
    )
    context = {"valid": stopped, "stopped": stopped}
    return render(request, "donations/mandate_stop.html", context, status=200 if stopped else 404)


def _bot_message() -> str:
    return _("Something went wrong with the form. Please fill it in again.")


@never_cache
def _donate_retry(request: HttpRequest, token: str) -> HttpResponse:
    """The form again after a failed payment, filled in with what the donor typed before.

    The name and address only in the browser that started the donation: the link alone (in a
    browser history, a shared screen, a proxy log) tells nobody who gave.
    """
    donation = selectors.donation_by_token(token=token)
    if donation is None:
        return _donate_blank(request)
    started_here = token in donations_started_here(request)
    amount = f"{donation.amount:.2f}".removesuffix(".00")
    presets = {str(a) for a in settings.DONATION_PRESET_AMOUNTS}
    initial = {
        "frequency": donation.frequency,
        "amount": amount if amount in presets else OTHER,
        "other_amount": "" if amount in presets else amount.replace(".", ","),
        # What this browser typed, never the stored name: whether the address belonged to a
        # supporter already must not show.
        "name": donation_typed_name(request, token),
        "email": donation.supporter.email if started_here else "",
    }
    return _form_page(request, DonationForm(initial=initial))


@never_cache
def donation_return(request: HttpRequest, token: str) -> HttpResponse:
    """Where Mollie sends the donor back. Works without a session (bank apps switch browsers).

    Syncs the payment when it is not final yet, then shows success, failure or processing.
    """
    donation = selectors.donation_by_token(token=token)
    if donation is None:
        raise Http404
    payment = selectors.donation_latest_payment(donation=donation)
    if payment is not None and not payment.is_final:
        try:
            payment = services.payment_refresh(payment=payment)
        except PROVIDER_FAILED as error:
            logger.warning(
                "Could not sync %s on the return page (%s)", payment.mollie_id, describe(error)
            )
    context = {"donation": donation, "payment": payment}
    if payment is not None and payment.is_paid:
        return render(request, "donations/success.html", context)
    if payment is None or payment.is_unsuccessful:
        context["retry_url"] = reverse("donations:donate") + f"?retry={donation.public_token}"
        return render(request, "donations/failure.html", context)
    return _processing(request, context)


PROCESSING_REFRESH_SECONDS = 5
PROCESSING_MAX_REFRESHES = 24  # two minutes; after that the page waits for the donor


def _processing(request: HttpRequest, context: dict) -> HttpResponse:
    """The "processing" page, reloading itself every few seconds for two minutes, without JS.

    The reload is asked for with a Refresh header rather than a meta tag, and it stops after a
    while: someone reading the page with assistive technology is not interrupted for ever.
    """
    try:
        checks = max(0, int(request.GET.get("check", "0")))
    except ValueError:
        checks = 0
    context["keeps_refreshing"] = checks < PROCESSING_MAX_REFRESHES
    response = render(request, "donations/processing.html", context)
    if context["keeps_refreshing"]:
        response["Refresh"] = f"{PROCESSING_REFRESH_SECONDS}; url=?check={checks + 1}"
    return response


# Behind the token, only Mollie calls (and it calls about our payments); still, ids that turn
# out not to be ours are counted per client, per worker process, and once a client has sent
# WEBHOOK_UNKNOWN_IDS_PER_CLIENT of them in ten minutes, an id we do not store is answered 503
# without asking Mollie (Mollie calls a refused real one again later, and reconciliation reads
# the recent charges anyway): a leaked token cannot be used to keep our workers busy.
WEBHOOK_MISSES = ratelimit.LocalBudget(window=600)


@csrf_exempt
@require_POST
def mollie_webhook(request: HttpRequest, token: str) -> HttpResponse:
    """Mollie's ping: `id=tr_...`. We fetch the payment ourselves; the body is never trusted.

    404 without our token (nothing is fetched); 200 for anything we cannot or need not act on
    (junk, unknown ids) and after a sync; 503 when Mollie is unreachable, the payment is
    locked, or a client that sent many ids not ours sends another unknown one, so Mollie calls
    again later.
    """
    if not services.webhook_token_is_ours(token):
        raise Http404
    mollie_id = request.POST.get("id", "")
    if not gateway.id_is_wellformed(mollie_id, "payment"):
        return HttpResponse(status=200)  # nothing of ours: never passed on to Mollie
    client = ratelimit.client_key(request)
    # A unit of the budget is taken before asking Mollie and given back when the id is ours.
    taken = WEBHOOK_MISSES.take(client, settings.WEBHOOK_UNKNOWN_IDS_PER_CLIENT)
    if not taken and not selectors.payment_is_known(mollie_id):
        logger.warning("Webhook for %s refused: its client sent many ids not ours", mollie_id)
        return HttpResponse(status=503)
    ours = False
    try:
        ours = services.payment_sync(mollie_id=mollie_id).payment is not None
    except PaymentNotFound:
        pass
    except (*PROVIDER_UNAVAILABLE, GiftBusy) as error:
        ours = True  # not known yet: Mollie calls again
        # Expected on a bad day and retried by Mollie: one line with the cause, no traceback.
        logger.warning("Webhook for %s could not be handled now (%s)", mollie_id, describe(error))
        return HttpResponse(status=503)
    except PaymentProviderRefused:
        logger.exception("Mollie refused a call while handling the webhook for %s", mollie_id)
    finally:
        if taken and ours:
            WEBHOOK_MISSES.give_back(client)
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def mollie_webhook_without_token(request: HttpRequest) -> HttpResponse:
    """The webhook's address before it carried a token. Anyone can post here, so nothing is
    fetched: 200, so that Mollie stops calling, and reconciliation brings in the payment (it
    also moves each older subscription to the address with the token)."""
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def webhook_reference(request: HttpRequest) -> HttpResponse:
    """For the benchmark R4 only (mounted when BENCHMARK_REFERENCE_VIEW is on): the work no
    webhook can do without, on the same gunicorn and middleware. It fetches the payment through
    the same client and writes one row in a transaction (an expired rate-limit row, the
    smallest table we have; `purge_expired` sweeps it), so that the webhook's own cost can be
    put beside it."""
    data = gateway.payment_get(request.POST.get("id", ""))
    with transaction.atomic():
        RateLimitCounter.objects.create(
            key=f"bench:{data.id}:{secrets.token_hex(6)}", expires_at=timezone.now()
        )
    return HttpResponse(status=200)
