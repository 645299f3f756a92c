"""Site-wide security settings: the deployment checks and security.txt."""

import datetime
import re

import pytest
from django.test import Client

from core import checks

pytestmark = pytest.mark.django_db


def test_deploy_check_wants_an_https_public_url(settings):
    settings.PUBLIC_BASE_URL = ""
    assert [e.id for e in checks.public_base_url_check(None)] == ["core.E001"]
    settings.PUBLIC_BASE_URL = "http://gifts.example.org"
    assert [e.id for e in checks.public_base_url_check(None)] == ["core.E001"]
    settings.PUBLIC_BASE_URL = "https://gifts.example.org"
    assert checks.public_base_url_check(None) == []


def test_security_txt_follows_rfc_9116(client, settings):
    settings.PUBLIC_BASE_URL = "https://gifts.example.org"
    settings.SECURITY_CONTACT = "mailto:security@example.org"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = dict(line.split(": ", 1) for line in response.content.decode().splitlines())
    assert fields["Contact"] == "mailto:security@example.org"
    assert fields["Canonical"] == "https://gifts.example.org/.well-known/security.txt"
    assert fields["Expires"].startswith("2027-06-15T")  # a year from the tests' fixed clock
    assert not response.cookies


def _admin_login(client, username, password, address="198.51.100.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.mark.django_db(transaction=True)
def test_thirty_wrong_passwords_then_the_right_one_does_not_log_in(client, django_user_model):
    """Finding 8: the admin login is throttled per account (and the right password waits)."""
    django_user_model.objects.create_user("boss", password="right-pass-1234", is_staff=True)
    answers = [_admin_login(client, "boss", f"wrong{n}", f"198.51.100.{n}") for n in range(30)]
    assert all(a.status_code == 200 for a in answers)
    assert "Too many failed log-ins" in answers[5].content.decode()
    assert "Too many failed log-ins" not in answers[4].content.decode()
    right = _admin_login(client, "boss", "right-pass-1234", "198.51.100.99")
    assert right.status_code == 200 and "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)
def test_one_address_trying_many_accounts_is_throttled(client, django_user_model, fixed_clock):
    import datetime

    django_user_model.objects.create_user("clerk", password="right-pass-1234", is_staff=True)
    for n in range(20):
        _admin_login(client, f"user{n}", "guess")
    refused = _admin_login(client, "clerk", "right-pass-1234")
    assert "Too many failed log-ins" in refused.content.decode()
    fixed_clock.shift(datetime.timedelta(minutes=16))
    assert _admin_login(client, "clerk", "right-pass-1234").status_code == 302


def _totp_now(device) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


@pytest.mark.django_db(transaction=True)
def test_two_step_login_for_staff_who_can_refund(client, django_user_model, settings, fixed_clock):
    """Finding 8: TOTP with recovery codes, required for accounts that can refund or cancel."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.STAFF_OTP_REQUIRED = True
    django_user_model.objects.create_superuser("boss", "b@example.org", "right-pass-1234")
    first = _admin_login(client, "boss", "right-pass-1234")
    assert first.status_code == 302
    # The password alone opens no admin page and no staff page: the setup comes first.
    for path in ("/admin/", "/admin/donations/payment/", "/staff/dashboard/"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/admin/" in answer["Location"], path
    assert client.get("/admin/login/")["Location"].startswith("/admin/two-step/")
    assert client.get("/admin/two-step/")["Location"].startswith("/admin/two-step/setup/")
    setup = client.get("/admin/two-step/setup/")
    assert setup.status_code == 200 and "data:image/svg+xml" in setup.content.decode()
    device = TOTPDevice.objects.get(user__username="boss")
    wrong = f"{(int(_totp_now(device)) + 1) % 10**6:06d}"
    assert client.post("/admin/two-step/setup/", {"token": wrong}).status_code == 400
    fixed_clock.shift(datetime.timedelta(seconds=2))  # django-otp waits a moment after a miss
    done = client.post("/admin/two-step/setup/", {"token": _totp_now(device)})
    codes = re.findall(r"<code>(\w+)</code>", done.content.decode())
    assert done.status_code == 200 and len(codes) == 10
    assert client.get("/admin/").status_code == 200
    assert client.get("/staff/dashboard/").status_code == 200
    # Next time: password, then a recovery code (once).
    for attempt in range(2):
        browser = Client()
        _admin_login(browser, "boss", "right-pass-1234", f"198.51.100.{attempt + 10}")
        assert browser.get("/admin/")["Location"].startswith("/admin/login/")
        answer = browser.post("/admin/two-step/", {"token": codes[0]})
        if attempt == 0:
            assert answer.status_code == 302 and browser.get("/admin/").status_code == 200
        else:
            assert answer.status_code == 400 and browser.get("/admin/").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_staff_without_money_permissions_need_no_second_step(client, django_user_model, settings):
    settings.STAFF_OTP_REQUIRED = True
    django_user_model.objects.create_user("editor", password="right-pass-1234", is_staff=True)
    assert _admin_login(client, "editor", "right-pass-1234").status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/en/search/", {"q": "\x00"}),
        ("get", "/en/donate/return/ab%00cd/", {}),
        ("post", "/mollie/webhook/", {"id": "tr_\x00"}),
        ("post", "/en/supporters/login/", {"email": "a\x00@example.org"}),
    ],
)
def test_nul_bytes_anywhere_get_a_400(client, method, path, data):
    """Found by the fuzz test on PostgreSQL: a NUL in a search term or token was a 500."""
    response = getattr(client, method)(path, data)
    assert response.status_code == 400
    assert b"NUL" in response.content


@pytest.mark.django_db
def test_the_admin_shows_second_factors_without_their_secrets(staff, django_user_model):
    """Staff see whose authenticator exists and can delete a lost one; no key, no adding."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.models import AuthenticatorApp

    colleague = django_user_model.objects.create_user("kim", "k@example.org", "pw", is_staff=True)
    device = TOTPDevice.objects.create(user=colleague, name="phone", confirmed=True)
    listing = staff.get("/admin/core/authenticatorapp/").content.decode()
    assert "kim" in listing and device.key not in listing
    page = staff.get(f"/admin/core/authenticatorapp/{device.pk}/change/").content.decode()
    assert "kim" in page and device.key not in page and 'name="key"' not in page
    assert staff.get("/admin/core/authenticatorapp/add/").status_code == 403
    assert staff.get("/admin/otp_totp/totpdevice/").status_code == 404  # django-otp's page is gone
    staff.post(f"/admin/core/authenticatorapp/{device.pk}/delete/", {"post": "yes"})
    assert not AuthenticatorApp.objects.filter(pk=device.pk).exists()


def test_the_benchmark_reference_view_is_off_and_a_deploy_check_names_it(client, settings):
    from core import checks

    assert client.post("/mollie/reference/", {"id": "tr_0000000000"}).status_code == 404
    assert checks.benchmark_view_check(None) == []
    settings.BENCHMARK_REFERENCE_VIEW = True
    assert [w.id for w in checks.benchmark_view_check(None)] == ["core.W014"]
