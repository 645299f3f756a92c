"""Supporter login with emailed codes, and the supporter area. Thin: one service call each.

Every page of the area reads only `request.supporter`'s own data. The one id a URL carries is
a regular gift's (`gifts/<id>/...`), and it is looked up among the supporter's own gifts only:
another supporter's id is a 404 like an unknown one.
"""

import contextlib
import json
from functools import wraps

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from core import ratelimit
from core.actors import supporter_actor
from core.http import cookie_free_post, no_faster_than, safe_next, see_other, with_next
from core.sealed import seal, unseal
from donations import selectors as gifts
from donations import services as gift_services
from donations.exceptions import GiftBusy, GiftError
from donations.forms import (
    AgreementForm,
    AmountForm,
    NewAccountForm,
    PauseForm,
    TransferAgreementForm,
)
from donations.http import PROVIDER_FAILED, provider_unavailable
from donations.session import donations_started_here
from supporters import services
from supporters.auth import (
    supporter_login,
    supporter_login_limited,
    supporter_logout,
    supporter_or_limited_required,
    supporter_refresh_session,
    supporter_required,
)
from supporters.exceptions import LoginCodeLimitReached
from supporters.forms import CodeForm, EmailChangeCodeForm, EmailChangeForm, EmailForm, ProfileForm
from supporters.models import normalise_email
from supporters.services import CodeResult

from .privacy import supporter_erase, supporter_export

LOGIN_EMAIL_KEY = "supporter_login_email"
NEW_EMAIL_KEY = "supporter_new_email"

CODE_MESSAGES = {
    CodeResult.WRONG: gettext_lazy("That code is not right. Check the email and try again."),
    CodeResult.EXPIRED: gettext_lazy("That code has expired: ask for a new one."),
    CodeResult.USED: gettext_lazy("That code has already been used: each code works once."),
    CodeResult.TOO_MANY: gettext_lazy(
        "Too many wrong tries. For your safety this code no longer works."
    ),
}

# A wrong, expired or used code is a bad request; a spent budget of wrong tries is "too many".
CODE_STATUS = dict.fromkeys(CODE_MESSAGES, 400) | {CodeResult.TOO_MANY: 429}


# The login forms carry no CSRF token, so reading them sets no cookie.
@never_cache
@no_faster_than("LOGIN_CODE_MIN_RESPONSE_SECONDS")
@require_http_methods(["GET", "HEAD", "POST"])
@cookie_free_post()
def login(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "supporters/login.html", {"form": EmailForm()})
    form = EmailForm(request.POST)
    if not form.is_valid():
        return render(request, "supporters/login.html", {"form": form}, status=400)
    email = normalise_email(form.cleaned_data["email"])
    try:
        services.login_code_request(
            email=email, language=get_language(), client_key=ratelimit.client_key(request)
        )
    except LoginCodeLimitReached:
        message = _("You asked for several codes in a short time. Please wait 15 minutes.")
        context = {"form": form, "general_error": message}
        return render(request, "supporters/login.html", context, status=429)
    request.session[LOGIN_EMAIL_KEY] = email
    return see_other(with_next(reverse("supporters:login_code"), request))


@never_cache
@no_faster_than("LOGIN_CODE_MIN_RESPONSE_SECONDS")
@require_http_methods(["GET", "HEAD", "POST"])
@cookie_free_post()
def login_code(request: HttpRequest) -> HttpResponse:
    email = request.session.get(LOGIN_EMAIL_KEY, "")
    context = {"code_minutes": settings.LOGIN_CODE_VALID_MINUTES}
    if request.method != "POST":
        form = CodeForm(initial={"email": email})
        return render(request, "supporters/login_code.html", {**context, "form": form})
    form = CodeForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, "supporters/login_code.html", context, status=400)
    check = services.login_code_check(
        email=form.cleaned_data["email"],
        code=form.cleaned_data["code"],
        client_key=ratelimit.client_key(request),
    )
    if check.result is not CodeResult.OK:
        context |= {"code_error": CODE_MESSAGES[check.result], "offer_new_code": True}
        return render(
            request, "supporters/login_code.html", context, status=CODE_STATUS[check.result]
        )
    supporter_login(request, check.supporter, actor=supporter_actor(request, check.supporter.pk))
    return see_other(safe_next(request, reverse("supporters:home")))


@require_POST
@cookie_free_post()
def enter_after_gift(request: HttpRequest, token: str) -> HttpResponse:
    """The success page's button: into the area at once, to see the gift just made.

    Only in the browser that started the donation, and only into a *limited* session that shows
    the gifts this browser started and nothing else (see supporters/auth.py): typing an address
    into the donate form proves nothing about it. Everyone else goes to the login page, with
    nothing filled in, so the token alone tells nobody whose gift it was.
    """
    donation = gifts.donation_by_token(token=token)
    if donation is None:
        raise Http404
    started_here = donations_started_here(request)
    if token in started_here and gifts.donation_is_paid(donation=donation):
        supporter_login_limited(
            request,
            donation.supporter,
            started_here,
            actor=supporter_actor(request, donation.supporter_id),
            donation_id=donation.pk,
        )
        request.session[LOGIN_EMAIL_KEY] = donation.supporter.email  # typed in this browser
        return see_other(reverse("supporters:home"))
    return see_other(reverse("supporters:login"))


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    supporter_logout(request)
    return see_other(reverse("supporters:logged_out"))


@never_cache
def logged_out(request: HttpRequest) -> HttpResponse:
    return render(request, "supporters/logged_out.html")


@never_cache
@supporter_or_limited_required
def home(request: HttpRequest) -> HttpResponse:
    if not request.supporter:
        return _home_limited(request)
    supporter = request.supporter
    page = Paginator(
        gifts.supporter_payments(supporter=supporter), settings.SUPPORTER_HISTORY_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context = {
        "supporter": supporter,
        "gifts": gifts.supporter_running_gifts(supporter=supporter),
        "totals": gifts.supporter_totals(supporter=supporter),
        "page": page,
        "transfer_reference": gift_services.transfer_reference_for(supporter=supporter),
        "transfer_agreements": gifts.supporter_transfer_agreements(supporter=supporter),
    }
    return render(request, "supporters/home.html", context)


def _home_limited(request: HttpRequest) -> HttpResponse:
    """The gifts this browser started, and the way to unlock the rest with a code.

    Shows no name and nothing stored about the supporter: the address may have been typed by
    someone else.
    """
    access = request.limited_access
    payments = gifts.supporter_payments_of_donations(
        supporter=access.supporter, donation_tokens=access.scope
    )[: settings.SUPPORTER_HISTORY_PAGE_SIZE]
    context = {"payments": payments, "email": request.session.get(LOGIN_EMAIL_KEY, "")}
    return render(request, "supporters/home_limited.html", context)


def with_regular_gift(chooser_title):
    """A page about one of the supporter's running regular gifts, for proven supporters only.

    The view gets the gift as `subscription`. With `gift` in the URL it is that gift of this
    supporter (404 for anyone else's); without, the supporter's only running gift, or a list to
    choose from when they have several (a gift someone else started with their address is one
    of them), or a page saying they have none.
    """

    def decorate(view):
        @never_cache
        @supporter_required
        @require_http_methods(["GET", "HEAD", "POST"])
        @wraps(view)
        def wrapped(request: HttpRequest, gift: int | None = None) -> HttpResponse:
            supporter = request.supporter
            if gift is not None:
                subscription = gifts.supporter_running_gift(supporter=supporter, pk=gift)
                if subscription is None:
                    raise Http404
                return view(request, subscription)
            running = gifts.supporter_running_gifts(supporter=supporter)
            if not running:
                return render(request, "supporters/monthly_none.html")
            if len(running) > 1:
                context = {
                    "gifts": running,
                    "title": chooser_title,
                    "action": request.resolver_match.url_name,
                }
                return render(request, "supporters/gift_choose.html", context)
            return view(request, running[0])

        return wrapped

    return decorate


# What a donor is told when a change to a gift met another one, or a rule said no.
GIFT_BUSY = gettext_lazy(
    "Another change to this gift is being made at this moment. Please try again in a few seconds."
)
PROVIDER_UNCERTAIN = gettext_lazy(
    "We could not get an answer from our payment provider. Please try again in a few minutes: "
    "if your change went through after all, we will email you."
)


def _attempt(request, template: str, context: dict, call, done: str = "") -> HttpResponse:
    """Run `call()` (one donations service) and go to `done`, or return the response `call`
    gives; on failure `template` again with what happened: a rule or a change of the gift at
    the same moment (409), or Mollie unreachable (503)."""
    try:
        answer = call()
    except GiftBusy:
        return render(request, template, {**context, "general_error": GIFT_BUSY}, status=409)
    except GiftError as error:
        return render(request, template, {**context, "general_error": str(error)}, status=409)
    except PROVIDER_FAILED as error:
        return provider_unavailable(
            request, template, context, error=error, message=PROVIDER_UNCERTAIN
        )
    return answer if isinstance(answer, HttpResponse) else see_other(done)


def _actor(request: HttpRequest):
    """The supporter acting in their own area."""
    return supporter_actor(request, request.supporter.pk)


@with_regular_gift(gettext_lazy("Which gift do you want to change?"))
def monthly(request: HttpRequest, subscription) -> HttpResponse:
    """Change the amount of a regular gift: the form, a confirmation step, then Mollie."""
    form = AmountForm(request.POST or None)
    context = {"subscription": subscription, "form": form}
    if request.method != "POST":
        return render(request, "supporters/monthly.html", context)
    if not form.is_valid():
        return render(request, "supporters/monthly.html", context, status=400)
    if "confirm" not in request.POST:
        return render(request, "supporters/monthly_confirm.html", context)
    return _attempt(
        request,
        "supporters/monthly.html",
        context,
        lambda: gift_services.subscription_update_amount(
            subscription=subscription, amount=form.cleaned_data["amount"], actor=_actor(request)
        ),
        reverse("supporters:home") + "?changed=amount",
    )


@with_regular_gift(gettext_lazy("Which gift do you want to stop?"))
def monthly_stop(request: HttpRequest, subscription) -> HttpResponse:
    context = {"subscription": subscription}
    if request.method != "POST":
        return render(request, "supporters/monthly_stop.html", context)
    return _attempt(
        request,
        "supporters/monthly_stop.html",
        context,
        lambda: gift_services.subscription_cancel(subscription=subscription, actor=_actor(request)),
        reverse("supporters:home") + "?changed=stopped",
    )


@with_regular_gift(gettext_lazy("Which gift do you want to pause?"))
def monthly_pause(request: HttpRequest, subscription) -> HttpResponse:
    """Pause for one, two or three months: the choice, then Mollie."""
    form = PauseForm(request.POST or None)
    context = {"subscription": subscription, "form": form}
    if subscription.is_paused or request.method != "POST":
        return render(request, "supporters/monthly_pause.html", context)
    if not form.is_valid():
        return render(request, "supporters/monthly_pause.html", context, status=400)
    return _attempt(
        request,
        "supporters/monthly_pause.html",
        context,
        lambda: gift_services.subscription_pause(
            subscription=subscription, months=form.cleaned_data["months"], actor=_actor(request)
        ),
        reverse("supporters:home") + "?changed=paused",
    )


@with_regular_gift(gettext_lazy("Which gift do you want to take up again?"))
def monthly_resume(request: HttpRequest, subscription) -> HttpResponse:
    if request.method != "POST" or not subscription.is_paused:
        return redirect("supporters:home")
    context = {"subscription": subscription, "form": PauseForm()}
    return _attempt(
        request,
        "supporters/monthly_pause.html",
        context,
        lambda: gift_services.subscription_resume(subscription=subscription, actor=_actor(request)),
        reverse("supporters:home") + "?changed=resumed",
    )


@with_regular_gift(gettext_lazy("Which gift gets a new payment method?"))
def payment_method(request: HttpRequest, subscription) -> HttpResponse:
    """A new bank account or card: a check of one cent through Mollie's checkout, refunded."""
    context = {"subscription": subscription, "amount": gift_services.VERIFICATION_AMOUNT}
    if request.method != "POST":
        return render(request, "supporters/payment_method.html", context)

    def return_url(token: str) -> str:
        path = reverse("supporters:payment_method_return", kwargs={"token": token})
        return settings.PUBLIC_BASE_URL + path

    def start() -> HttpResponse:
        _change, checkout_url = gift_services.mandate_change_start(
            subscription=subscription,
            return_url=return_url,
            language=get_language(),
            actor=_actor(request),
        )
        return see_other(checkout_url)

    return _attempt(request, "supporters/payment_method.html", context, start)


ACCOUNT_SALT = "supporters.new-account"


@with_regular_gift(gettext_lazy("Which gift gets a new account?"))
@sensitive_post_parameters("holder", "iban")
def bank_account(request: HttpRequest, subscription) -> HttpResponse:
    """A new account for a running gift by direct-debit mandate: the mandate to agree to (its
    reference carried, signed, from the page to the agreement), then the gift moves onto it."""
    form = NewAccountForm(request.POST or None)
    carried = unseal(request.POST.get("reference", ""), purpose=ACCOUNT_SALT, max_age=1800)
    terms = gift_services.mandate_terms(reference=(carried or {}).get("reference", ""))
    context = {
        "subscription": subscription,
        "current": gifts.subscription_bank_mandate(subscription=subscription),
        "form": form,
        "signed_reference": seal({"reference": terms.reference}, purpose=ACCOUNT_SALT),
        "reference": terms.reference,
        "amount": subscription.amount,
        "frequency": subscription.frequency,
        "creditor_name": terms.creditor_name,
        "creditor_id": terms.creditor_id,
        "creditor_address": terms.creditor_address,
        "signed_on": terms.signed_on,
        "next_collection_on": gift_services.replacement_first_collection(subscription),
        "account": _("the account you give above"),
    }
    template = "supporters/bank_account.html"
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)

    def replace() -> HttpResponse:
        try:
            gift_services.mandate_replace(
                subscription=subscription,
                holder=form.cleaned_data["holder"],
                iban=form.cleaned_data["iban"],
                reference=terms.reference,
                actor=_actor(request),
                client_key=ratelimit.client_key(request, v6_prefix=48),
            )
        except gift_services.AccountRefused:
            form.add_error(
                "iban", _("Our payment provider does not accept this account. Please check it.")
            )
            return render(request, template, context, status=400)
        except gift_services.DirectDebitLimitReached:
            message = _("You gave several new accounts in a short time. Please try again later.")
            return render(request, template, {**context, "general_error": message}, status=429)
        return see_other(reverse("supporters:home") + "?changed=account")

    return _attempt(request, template, context, replace)


@never_cache
@supporter_required
def payment_method_return(request: HttpRequest, token: str) -> HttpResponse:
    """Back from Mollie's checkout: done, still being processed, or did not go through."""
    change = gifts.supporter_mandate_change(supporter=request.supporter, token=token)
    if change is None:
        raise Http404
    # When Mollie is away (or the gift is busy) the page says it is being processed; the
    # webhook or reconciliation finishes it.
    with contextlib.suppress(*PROVIDER_FAILED, GiftError):
        change = gift_services.mandate_change_refresh(change=change)
    response = render(request, "supporters/payment_method_return.html", {"change": change})
    if change.in_progress:
        response["Refresh"] = "3"
    return response


def _signed(data: dict) -> dict:
    """What an agreement form says, as the signing services take it."""
    return {
        "years": data["years"],
        "ends_on_income_loss": data["ends_on_income_loss"],
        "signed_name": data["signed_name"],
        "signed_place": data["signed_place"],
        "details": {name: data.get(name) for name in gift_services.DONOR_FIELDS},
    }


@with_regular_gift(gettext_lazy("Which gift becomes a periodic gift?"))
def agreement_new(request: HttpRequest, subscription) -> HttpResponse:
    """Turn a running gift into a periodic gift agreement: the form, then the signature."""
    if subscription.agreement_number:
        return redirect("supporters:agreement", number=subscription.agreement_number)
    form = AgreementForm(request.POST or None, initial={"years": "5"})
    context = {
        "form": form,
        "subscription": subscription,
        "yearly_amount": gift_services.agreement_yearly_amount(subscription),
    }
    if request.method != "POST":
        return render(request, "supporters/agreement_new.html", context)
    if not form.is_valid():
        return render(request, "supporters/agreement_new.html", context, status=400)
    data = form.cleaned_data

    def sign() -> HttpResponse:
        agreement = gift_services.agreement_sign(
            subscription=subscription, **_signed(data), actor=_actor(request)
        )
        number = agreement.transaction_number
        return see_other(reverse("supporters:agreement", kwargs={"number": number}))

    return _attempt(request, "supporters/agreement_new.html", context, sign)


@never_cache
@supporter_required
@require_http_methods(["GET", "HEAD", "POST"])
def agreement_by_transfer(request: HttpRequest) -> HttpResponse:
    """A periodic gift agreement paid by bank transfer: the amount a year, the particulars,
    then the signature."""
    form = TransferAgreementForm(request.POST or None, initial={"years": "5"})
    context = {"form": form, "by_transfer": True}
    if request.method != "POST":
        return render(request, "supporters/agreement_new.html", context)
    if not form.is_valid():
        return render(request, "supporters/agreement_new.html", context, status=400)
    data = form.cleaned_data
    agreement = gift_services.agreement_sign_by_transfer(
        supporter=request.supporter,
        yearly_amount=data["yearly_amount"],
        **_signed(data),
        actor=_actor(request),
    )
    number = agreement.transaction_number
    return see_other(reverse("supporters:agreement", kwargs={"number": number}))


@never_cache
@supporter_required
def agreement(request: HttpRequest, number: str) -> HttpResponse:
    found = gifts.supporter_agreement(supporter=request.supporter, number=number)
    if found is None:
        raise Http404
    context = {"agreement": found, "transfer_reference": found.transaction_number}
    return render(request, "supporters/agreement.html", context)


@never_cache
@supporter_required
def statement(request: HttpRequest, year: int) -> HttpResponse:
    # Any year with gifts has a statement (the payment provider's clock decides when a gift
    # was paid, not ours); the bounds only keep absurd numbers away from the database.
    if not 2000 <= year <= 2999:
        raise Http404
    data = gifts.supporter_statement(supporter=request.supporter, year=year)
    if not data.payments:
        raise Http404
    context = {"supporter": request.supporter, "statement": data, "today": timezone.localdate()}
    return render(request, "supporters/statement.html", context)


@never_cache
@supporter_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    supporter = request.supporter
    initial = {"name": supporter.name, "language": supporter.language}
    form = ProfileForm(request.POST or None, initial=initial)
    context = {"form": form, "email_form": EmailChangeForm(), "supporter": supporter}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "supporters/profile.html", context, status=400)
        services.supporter_update_profile(
            supporter=supporter,
            name=form.cleaned_data["name"],
            language=form.cleaned_data["language"],
            actor=_actor(request),
        )
        return see_other(reverse("supporters:profile") + "?saved=1")
    context["saved"] = request.GET.get("saved") == "1"
    return render(request, "supporters/profile.html", context)


@never_cache
@supporter_required
@require_POST
def email_change(request: HttpRequest) -> HttpResponse:
    supporter = request.supporter
    form = EmailChangeForm(request.POST)
    context = {
        "form": ProfileForm(initial={"name": supporter.name, "language": supporter.language})
    }
    context |= {"email_form": form, "supporter": supporter}
    if not form.is_valid():
        return render(request, "supporters/profile.html", context, status=400)
    try:
        services.supporter_email_change_request(
            supporter=supporter,
            new_email=form.cleaned_data["new_email"],
            language=get_language(),
            client_key=ratelimit.client_key(request),
        )
    except LoginCodeLimitReached:
        context["email_error"] = _("You asked for several codes in a short time. Please wait.")
        return render(request, "supporters/profile.html", context, status=429)
    request.session[NEW_EMAIL_KEY] = form.cleaned_data["new_email"]
    return see_other(reverse("supporters:email_confirm"))


@never_cache
@supporter_required
@require_http_methods(["GET", "HEAD", "POST"])
def email_confirm(request: HttpRequest) -> HttpResponse:
    new_email = request.session.get(NEW_EMAIL_KEY)
    if not new_email:
        return redirect("supporters:profile")
    form = EmailChangeCodeForm(request.POST or None)
    context = {
        "form": form,
        "new_email": new_email,
        "code_minutes": settings.LOGIN_CODE_VALID_MINUTES,
    }
    if request.method != "POST":
        return render(request, "supporters/email_confirm.html", context)
    if not form.is_valid():
        return render(request, "supporters/email_confirm.html", context, status=400)
    check = services.supporter_email_change_confirm(
        supporter=request.supporter,
        new_email=new_email,
        code=form.cleaned_data["code"],
        client_key=ratelimit.client_key(request),
        actor=_actor(request),
    )
    if check.result is not CodeResult.OK:
        context["code_error"] = CODE_MESSAGES[check.result]
        return render(
            request, "supporters/email_confirm.html", context, status=CODE_STATUS[check.result]
        )
    del request.session[NEW_EMAIL_KEY]
    supporter_refresh_session(request, request.supporter)
    return see_other(reverse("supporters:profile") + "?saved=1")


@never_cache
@supporter_required
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "supporters/privacy.html", {"supporter": request.supporter})


@never_cache
@supporter_required
def export(request: HttpRequest) -> HttpResponse:
    data = supporter_export(supporter=request.supporter, actor=_actor(request))
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@never_cache
@supporter_required
@require_http_methods(["GET", "HEAD", "POST"])
def erase(request: HttpRequest) -> HttpResponse:
    context = {"supporter": request.supporter}
    if request.method != "POST":
        return render(request, "supporters/erase.html", context)

    def erase_and_leave() -> HttpResponse:
        supporter_erase(supporter=request.supporter, actor=_actor(request))
        supporter_logout(request)
        return see_other(reverse("supporters:erased"))

    return _attempt(request, "supporters/erase.html", context, erase_and_leave)


@never_cache
def erased(request: HttpRequest) -> HttpResponse:
    return render(request, "supporters/erased.html")
