"""Two-factor login for staff (django-otp): an authenticator app (TOTP) plus recovery codes.

Required (`STAFF_OTP_REQUIRED`, on by default in production) for every account that can refund
or cancel, that is every account that can open the payments or monthly gifts in the admin, and
every superuser. Such an account logs in with its password as before and is then sent, before
any admin page, to set up an authenticator app (first time) or to enter a code from it. Ten
single-use recovery codes are shown once when the app is set up.
"""

from base64 import b32encode
from functools import wraps

import segno
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.http import safe_next, with_next

RECOVERY_CODES = 10
MONEY_PERMISSIONS = (
    "donations.view_payment",
    "donations.change_payment",
    "donations.view_subscription",
    "donations.change_subscription",
)


def needs_second_factor(user) -> bool:
    """Whether this staff account must use a second factor (it can refund or cancel)."""
    if not settings.STAFF_OTP_REQUIRED or not user.is_authenticated:
        return False
    return user.is_superuser or any(user.has_perm(name) for name in MONEY_PERMISSIONS)


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


def staff_required(view):
    """For staff pages outside the model admin: the same door as the admin itself (a staff
    login, and the second factor where one is needed)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not admin.site.has_permission(request):
            return redirect(f"{reverse('admin:login')}?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    return wrapped


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
    """Set up an authenticator app: scan or type the key, confirm with a first code."""
    user = request.user
    if list(devices_for_user(user)) and not request.user.is_verified():
        return redirect(reverse("staff_two_factor"))
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
