"""Two-factor login for staff (django-otp): an authenticator app (TOTP) plus recovery codes.

Who needs it (`STAFF_OTP_REQUIRED`, on by default in production): every superuser and every
account with a permission outside the campaign's content (`SECOND_FACTOR_FREE_APPS`). Reading
donors' data, touching money and granting permissions (users, groups, second factors) all
count; editing articles and guide steps does not. Such an account logs in with its password and
is then sent, before any admin or staff page, to enter a code from its app.

Setting up an app needs more than the password: a one-time link sent to the account's email
address (or printed for it on the server by `manage.py staff_two_factor_link`), valid
`STAFF_OTP_LINK_MINUTES` and spent once an app is set up. Someone who has only the password of
an account without an app can therefore never give it one of their own.

Every staff page outside the model admin names the permission it needs
(`staff_permission_required`), as the model admin does for its own pages.
"""

import secrets
from base64 import b32encode
from functools import wraps
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import ratelimit
from .http import safe_next, with_next
from .outbox import context_preparer, email_queue

RECOVERY_CODES = 10
# Apps whose permissions are about what readers see, not about people or money: holding only
# these needs no second factor. Any other permission (a new model's included) does.
SECOND_FACTOR_FREE_APPS = frozenset({"campaign"})


def needs_second_factor(user) -> bool:
    """Whether this staff account must use a second factor: a superuser, or any permission
    outside `SECOND_FACTOR_FREE_APPS` (donor data, money, users, groups, second factors)."""
    if not settings.STAFF_OTP_REQUIRED or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(
        name.partition(".")[0] not in SECOND_FACTOR_FREE_APPS for name in user.get_all_permissions()
    )


class TwoFactorAdminSite(admin.AdminSite):
    """The admin, closed to an account that needs a second factor until it has given one."""

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        return not needs_second_factor(request.user) or request.user.is_verified()

    def login(self, request, extra_context=None):
        # Logged in with the password but not verified yet: the second step, not the form again.
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff
            and needs_second_factor(user)
            and not user.is_verified()
        ):
            return redirect(with_next(reverse("staff_two_factor"), request))
        return super().login(request, extra_context)


def _next(request: HttpRequest) -> str:
    return safe_next(request, reverse("admin:index"))


def staff_permission_required(permission: str):
    """For a staff page outside the model admin: the admin's own door (a staff login, and the
    second factor where one is needed), then `permission` ("app.codename"), else 403.

    The permission is kept on the view as `staff_permission`, so a test can check that every
    staff page names one."""

    def decorate(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not admin.site.has_permission(request):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('admin:login')}?{query}")
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.staff_permission = permission
        return wrapped

    return decorate


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _context(request: HttpRequest, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "title": title, **extra}


@never_cache
@staff_member_required(login_url="admin:login")
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the app or a recovery code; the setup the first time."""
    user = request.user
    if not list(devices_for_user(user)):
        return redirect(with_next(reverse("staff_two_factor_setup"), request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"].replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error("token", _("That code is not right, or was used already."))
    context = _context(request, _("Two-step login"), form=form, next=_next(request))
    return render(request, "admin/two_factor.html", context, status=400 if form.errors else 200)


@never_cache
@staff_member_required(login_url="admin:login")
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan or type the key, confirm with a first code.

    Only with a second factor given already (replacing the app), or with a valid setup link
    opened in this session (`two_factor_enrol`); otherwise the page offers to email a link.
    """
    user = request.user
    verified = user.is_verified()
    if list(devices_for_user(user)) and not verified:
        return redirect(reverse("staff_two_factor"))
    if not verified and not enrolment_granted(request):
        context = _context(request, _("Set up two-step login"), sent=request.GET.get("sent"))
        return render(request, "admin/two_factor_enrol.html", context, status=403)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].replace(" ", "")):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _recovery_codes_new(user)
            otp_login(request, device)
            request.session.pop(ENROLMENT_SESSION_KEY, None)
            context = _context(
                request,
                _("Recovery codes"),
                codes=codes,
                next=_next(request),
            )
            return render(request, "admin/two_factor_codes.html", context)
        form.add_error("token", _("That code is not right. Check the time on your phone."))
    context = _context(
        request,
        _("Set up two-step login"),
        form=form,
        key=_spaced(device.bin_key),
        qr=segno.make(device.config_url, error="m").svg_data_uri(scale=4),
        next=_next(request),
    )
    return render(
        request, "admin/two_factor_setup.html", context, status=400 if form.errors else 200
    )


# --- Setup links ------------------------------------------------------------------------------
# A link holds the account's id and a keyed digest of its password hash and its confirmed
# devices, signed with a time stamp: it stops working after STAFF_OTP_LINK_MINUTES, when the
# password changes, and once an app is set up with it (the devices change).

ENROLMENT_SALT = "core.two_factor.enrolment"
ENROLMENT_SESSION_KEY = "staff_two_factor_enrolment"
LINK_EMAIL_PREPARER = "staff-two-factor-link"
LINKS_PER_WINDOW = 3
LINK_WINDOW_SECONDS = 15 * 60


def _enrolment_state(user) -> str:
    devices = ",".join(sorted(device.persistent_id for device in devices_for_user(user)))
    value = f"{user.pk}|{user.password}|{devices}"
    return salted_hmac(ENROLMENT_SALT, value, algorithm="sha256").hexdigest()


def enrolment_token(user) -> str:
    """A setup link's token for `user` (see above)."""
    return signing.dumps(
        {"user": user.pk, "state": _enrolment_state(user)}, salt=ENROLMENT_SALT, compress=True
    )


def enrolment_link(user) -> str:
    return settings.PUBLIC_BASE_URL + reverse(
        "staff_two_factor_enrol", kwargs={"token": enrolment_token(user)}
    )


def _enrolment_token_valid(token: str, user) -> bool:
    try:
        data = signing.loads(
            token, salt=ENROLMENT_SALT, max_age=settings.STAFF_OTP_LINK_MINUTES * 60
        )
    except signing.BadSignature:
        return False
    return (
        isinstance(data, dict)
        and data.get("user") == user.pk
        and constant_time_compare(str(data.get("state", "")), _enrolment_state(user))
    )


def enrolment_granted(request: HttpRequest) -> bool:
    """Whether this session opened a setup link of its logged-in account that still works."""
    token = request.session.get(ENROLMENT_SESSION_KEY)
    return isinstance(token, str) and _enrolment_token_valid(token, request.user)


@never_cache
@staff_member_required(login_url="admin:login")
def two_factor_enrol(request: HttpRequest, token: str) -> HttpResponse:
    """A setup link, opened after logging in with the password: on to the setup."""
    if not _enrolment_token_valid(token, request.user):
        context = _context(request, _("Set up two-step login"), invalid_link=True)
        return render(request, "admin/two_factor_enrol.html", context, status=400)
    request.session[ENROLMENT_SESSION_KEY] = token
    return redirect(reverse("staff_two_factor_setup"))


@never_cache
@require_POST
@staff_member_required(login_url="admin:login")
def two_factor_link_send(request: HttpRequest) -> HttpResponse:
    """Email a setup link to the logged-in account's own address (a few per quarter hour)."""
    user = request.user
    allowed = ratelimit.hit(
        scope="staff-two-factor-link",
        key=ratelimit.hash_key(f"user:{user.pk}"),
        limit=LINKS_PER_WINDOW,
        window=LINK_WINDOW_SECONDS,
    )
    if allowed and user.email:
        email_queue(
            event_key=f"staff-two-factor-link:{user.pk}:{secrets.token_hex(8)}",
            to=user.email,
            language=get_language(),
            template="staff/two_factor_link",
            subject=_("Set up two-step login"),
            context={"username": user.get_username()},
            recipient=user,
            prepare=LINK_EMAIL_PREPARER,
        )
    return redirect(reverse("staff_two_factor_setup") + "?sent=1")


@context_preparer(LINK_EMAIL_PREPARER)
def _link_email_context(*, recipient, context: dict) -> dict:
    """The link is made when the email is sent, so it never waits in the database."""
    if recipient is None:
        return {}
    return {"link": enrolment_link(recipient), "minutes": settings.STAFF_OTP_LINK_MINUTES}


def _spaced(key: bytes) -> str:
    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _recovery_codes_new(user) -> list[str]:
    """Replace the account's recovery codes with ten new ones (shown once, stored as given)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes
