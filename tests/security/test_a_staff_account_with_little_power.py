"""A staff account with little power, or the password of one: a campaign editor, a colleague
who may only look at payments, an account that may edit users, or a stolen password.

Every staff page and action names the permission it needs (the admin's own model); reading
donors' data, touching money and granting permissions need a second factor; and a second
factor cannot be set up with the password alone.
"""

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import two_factor
from core.models import AuthenticatorApp
from donations import staff_urls

from ..donations.conftest import mollie, pay, start  # noqa: F401 (mollie: a fixture)

pytestmark = pytest.mark.django_db

PASSWORD = "right-pass-1234"


def _admin_login(client, username, password=PASSWORD, address="198.51.100.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def _totp_now(device) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def _staff(django_user_model, username, *permissions, **fields):
    user = django_user_model.objects.create_user(
        username, f"{username}@example.org", PASSWORD, is_staff=True, **fields
    )
    for name in permissions:
        app, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    return user


def _logged_in(user) -> Client:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(user)
    return browser


STAFF_PAGES = [
    "/staff/dashboard/",
    "/staff/regular-giving/",
    "/staff/regular-giving/mrr.csv",
    "/staff/payments.csv?start=2026-06-01&end=2026-06-30",
    "/staff/payments.csv",
    "/staff/sources/",
    "/staff/sources.csv?start=2026-06-01&end=2026-06-30",
]


# --- Least privilege ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "permissions",
    [(), ("campaign.change_article", "campaign.view_article")],
    ids=["no permission", "campaign only"],
)
@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_staff_account_without_the_permission_reads_no_donor_data(
    django_user_model, permissions, path
):
    """Finding 2: any is_staff account downloaded every donor's name, address and gifts."""
    browser = _logged_in(_staff(django_user_model, "editor", *permissions))
    response = browser.get(path)
    assert response.status_code == 403
    assert b"@example.org" not in response.content


def test_every_staff_page_names_the_permission_it_needs():
    pages = [p for p in staff_urls.urlpatterns if isinstance(p, URLPattern)]
    assert pages
    named = {p.name: getattr(p.callback, "staff_permission", None) for p in pages}
    assert None not in named.values(), named
    assert named["payments_export"] == "donations.export_payments"
    assert named["dashboard"] == named["regular_giving"] == "donations.view_figures"


def test_each_page_opens_with_exactly_its_permission(django_user_model):
    figures = _logged_in(_staff(django_user_model, "analyst", "donations.view_figures"))
    assert figures.get("/staff/dashboard/").status_code == 200
    assert figures.get("/staff/regular-giving/").status_code == 200
    assert figures.get("/staff/sources/").status_code == 200
    assert figures.get(STAFF_PAGES[3]).status_code == 403
    assert b"payments.csv" not in figures.get("/staff/dashboard/").content
    export = _logged_in(_staff(django_user_model, "bookkeeper", "donations.export_payments"))
    assert export.get(STAFF_PAGES[3]).status_code == 200
    assert export.get("/staff/dashboard/").status_code == 403


def test_the_admin_index_links_only_to_pages_the_account_may_open(django_user_model):
    editor = _logged_in(_staff(django_user_model, "editor", "campaign.change_article"))
    index = editor.get("/admin/").content.decode()
    assert "/staff/" not in index


def test_looking_at_payments_is_not_refunding_them(client, mollie, django_user_model):  # noqa: F811
    donation, mollie_id = start(client)
    pay(client, mollie, donation, mollie_id)
    payment = donation.payments.get()
    viewer = _logged_in(_staff(django_user_model, "viewer", "donations.view_payment"))
    listing = viewer.get("/admin/donations/payment/").content.decode()
    assert 'value="refund"' not in listing
    viewer.post(
        "/admin/donations/payment/",
        {"action": "refund", "_selected_action": [payment.pk], "confirm": "yes", "amount": ""},
    )
    assert mollie.store.payments[mollie_id].get("amountRefunded") in (
        None,
        {"value": "0.00", "currency": "EUR"},
    )
    payment.refresh_from_db()
    assert payment.amount_refunded == 0


def test_looking_at_gifts_is_not_stopping_them(client, mollie, django_user_model):  # noqa: F811
    donation, mollie_id = start(client, frequency="monthly", amount="10")
    pay(client, mollie, donation, mollie_id)
    gift = donation.subscription
    viewer = _logged_in(_staff(django_user_model, "viewer", "donations.view_subscription"))
    listing = viewer.get("/admin/donations/subscription/").content.decode()
    assert 'value="cancel"' not in listing
    viewer.post(
        "/admin/donations/subscription/",
        {"action": "cancel", "_selected_action": [gift.pk], "confirm": "yes"},
    )
    assert mollie.store.subscriptions[gift.mollie_id]["status"] == "active"


@pytest.mark.parametrize(
    ("permissions", "needed"),
    [
        ((), False),
        (("campaign.change_article", "campaign.add_guidestep"), False),
        (("donations.view_figures",), True),
        (("donations.export_payments",), True),
        (("supporters.view_supporter",), True),
        (("core.view_emaillog",), True),
        (("auth.change_user",), True),
        (("auth.add_group",), True),
        (("auth.change_permission",), True),
        (("core.delete_authenticatorapp",), True),
    ],
)
def test_reading_donor_data_or_granting_permissions_needs_a_second_factor(
    django_user_model, settings, permissions, needed
):
    settings.STAFF_OTP_REQUIRED = True
    user = _staff(django_user_model, "someone", *permissions)
    assert two_factor.needs_second_factor(user) is needed


# --- A second factor needs more than the password ---------------------------------------------


def test_a_password_alone_cannot_set_up_a_second_factor(django_user_model, settings):
    """Finding 3: an account that may edit users made itself superuser, then set up its own
    second factor with the password alone."""
    settings.STAFF_OTP_REQUIRED = True
    mallory = _staff(django_user_model, "mallory", "auth.change_user", "auth.view_user")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert _admin_login(browser, "mallory").status_code == 302
    # Before a second factor, no admin page opens: not the user list, not its own account.
    for path in ("/admin/", "/admin/auth/user/", f"/admin/auth/user/{mallory.pk}/change/"):
        answer = browser.get(path)
        assert answer.status_code == 302 and "/admin/" in answer["Location"], path
    browser.post(
        f"/admin/auth/user/{mallory.pk}/change/",
        {"username": "mallory", "is_superuser": "on", "is_staff": "on", "is_active": "on"},
    )
    mallory.refresh_from_db()
    assert not mallory.is_superuser
    # The setup page asks for the emailed link; no key is shown, no code is taken.
    setup = browser.get("/admin/two-step/setup/")
    assert setup.status_code == 403
    page = setup.content.decode()
    assert "data:image/svg+xml" not in page and "Email me a setup link" in page
    assert not TOTPDevice.objects.filter(user=mallory).exists()
    assert browser.post("/admin/two-step/setup/", {"token": "123456"}).status_code == 403
    assert not TOTPDevice.objects.filter(user=mallory, confirmed=True).exists()


def test_the_emailed_link_sets_up_the_app_once(django_user_model, settings, fixed_clock):
    settings.STAFF_OTP_REQUIRED = True
    settings.PUBLIC_BASE_URL = "http://testserver"
    _staff(django_user_model, "kim", "donations.view_payment")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    _admin_login(browser, "kim")
    asked = browser.post("/admin/two-step/link/")
    assert asked.status_code == 302 and "sent=1" in asked["Location"]
    [email] = mail.outbox
    assert email.to == ["kim@example.org"]
    link = re.search(r"http://testserver(/admin/two-step/setup/\S+/)", email.body).group(1)
    assert browser.get(link)["Location"] == "/admin/two-step/setup/"
    setup = browser.get("/admin/two-step/setup/")
    assert setup.status_code == 200 and "data:image/svg+xml" in setup.content.decode()
    device = TOTPDevice.objects.get(user__username="kim")
    done = browser.post("/admin/two-step/setup/", {"token": _totp_now(device)})
    assert done.status_code == 200 and len(re.findall(r"<code>\w+</code>", done.text)) == 10
    assert browser.get("/admin/donations/payment/").status_code == 200
    # The link is spent: in another session (the password known, say) it opens nothing.
    thief = Client()
    _admin_login(thief, "kim", address="203.0.113.9")
    assert thief.get(link).status_code == 400
    assert thief.get("/admin/two-step/setup/")["Location"] == "/admin/two-step/"


def test_a_link_works_only_for_its_account_and_not_for_long(
    django_user_model, settings, fixed_clock
):
    settings.STAFF_OTP_REQUIRED = True
    kim = _staff(django_user_model, "kim", "donations.view_payment")
    _staff(django_user_model, "lee", "donations.view_payment")
    token = two_factor.enrolment_token(kim)
    lee = Client()
    _admin_login(lee, "lee")
    assert lee.get(f"/admin/two-step/setup/{token}/").status_code == 400
    kims = Client()
    _admin_login(kims, "kim", address="198.51.100.8")
    fixed_clock.shift(datetime.timedelta(minutes=31))
    assert kims.get(f"/admin/two-step/setup/{token}/").status_code == 400
    # A new password ends every link made before it.
    token = two_factor.enrolment_token(kim)
    kim.set_password("another-pass-5678")
    kim.save()
    assert kims.get(f"/admin/two-step/setup/{token}/").status_code in (302, 400)
    assert not TOTPDevice.objects.filter(user=kim).exists()


def test_without_email_a_link_is_printed_on_the_server(django_user_model, settings, capsys):
    settings.STAFF_OTP_REQUIRED = True
    settings.PUBLIC_BASE_URL = "https://gifts.example.org"
    boss = django_user_model.objects.create_superuser("boss", "", PASSWORD)
    call_command("staff_two_factor_link", "boss")
    link = capsys.readouterr().out.strip()
    assert link.startswith("https://gifts.example.org/admin/two-step/setup/")
    browser = Client()
    _admin_login(browser, "boss")
    path = link.removeprefix("https://gifts.example.org")
    assert browser.get(path)["Location"] == "/admin/two-step/setup/"
    assert browser.get("/admin/two-step/setup/").status_code == 200
    assert boss.is_superuser


# --- A stolen password, and what staff see of second factors ---------------------------------


def test_thirty_wrong_passwords_then_the_right_one_does_not_log_in(client, django_user_model):
    """The admin login is throttled per account (and the right password waits)."""
    django_user_model.objects.create_user("boss", password="right-pass-1234", is_staff=True)
    answers = [_admin_login(client, "boss", f"wrong{n}", f"198.51.100.{n}") for n in range(30)]
    assert all(a.status_code == 200 for a in answers)
    assert "Too many failed log-ins" in answers[5].content.decode()
    assert "Too many failed log-ins" not in answers[4].content.decode()
    right = _admin_login(client, "boss", "right-pass-1234", "198.51.100.99")
    assert right.status_code == 200 and "_auth_user_id" not in client.session


def test_one_address_trying_many_accounts_is_throttled(client, django_user_model, fixed_clock):
    django_user_model.objects.create_user("clerk", password="right-pass-1234", is_staff=True)
    for n in range(20):
        _admin_login(client, f"user{n}", "guess")
    refused = _admin_login(client, "clerk", "right-pass-1234")
    assert "Too many failed log-ins" in refused.content.decode()
    fixed_clock.shift(datetime.timedelta(minutes=16))
    assert _admin_login(client, "clerk", "right-pass-1234").status_code == 302


def test_two_step_login_for_staff_who_can_refund(client, django_user_model, settings, fixed_clock):
    """TOTP with recovery codes, required for accounts that can refund or cancel."""
    settings.STAFF_OTP_REQUIRED = True
    boss = django_user_model.objects.create_superuser("boss", "b@example.org", PASSWORD)
    first = _admin_login(client, "boss")
    assert first.status_code == 302
    # The password alone opens no admin page and no staff page: the second step comes first.
    for path in ("/admin/", "/admin/donations/payment/", "/staff/dashboard/"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/admin/" in answer["Location"], path
    assert client.get("/admin/login/")["Location"].startswith("/admin/two-step/")
    assert client.get("/admin/two-step/")["Location"].startswith("/admin/two-step/setup/")
    client.get(f"/admin/two-step/setup/{two_factor.enrolment_token(boss)}/")
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
        _admin_login(browser, "boss", address=f"198.51.100.{attempt + 10}")
        assert browser.get("/admin/")["Location"].startswith("/admin/login/")
        answer = browser.post("/admin/two-step/", {"token": codes[0]})
        if attempt == 0:
            assert answer.status_code == 302 and browser.get("/admin/").status_code == 200
        else:
            assert answer.status_code == 400 and browser.get("/admin/").status_code == 302


def test_campaign_editors_need_no_second_step(client, django_user_model, settings):
    settings.STAFF_OTP_REQUIRED = True
    _staff(django_user_model, "editor", "campaign.change_article", "campaign.view_article")
    assert _admin_login(client, "editor").status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/campaign/article/").status_code == 200


def test_the_admin_shows_second_factors_without_their_secrets(staff, django_user_model):
    """Staff see whose authenticator exists and can delete a lost one; no key, no adding."""
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


# --- Nobody gives more than they have -----------------------------------------------------------


@pytest.fixture
def user_editor(django_user_model):
    """An account that may edit users (and has its second factor, as it must)."""
    return _staff(
        django_user_model, "useredit", "auth.change_user", "auth.view_user", "auth.add_user"
    )


def test_an_account_that_may_edit_users_cannot_make_itself_superuser(user_editor):
    """Attacked again: with its second factor, it ticked "superuser" on its own account and
    then downloaded every donor's data."""
    browser = _logged_in(user_editor)
    page = browser.get(f"/admin/auth/user/{user_editor.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    browser.post(
        f"/admin/auth/user/{user_editor.pk}/change/",
        {
            "username": "useredit",
            "is_superuser": "on",
            "is_staff": "on",
            "is_active": "on",
            "user_permissions": list(Permission.objects.values_list("pk", flat=True)),
            "date_joined_0": "2026-06-01",
            "date_joined_1": "10:00:00",
        },
    )
    user_editor.refresh_from_db()
    assert not user_editor.is_superuser
    assert user_editor.get_all_permissions() == {
        "auth.change_user",
        "auth.view_user",
        "auth.add_user",
    }
    assert browser.get(STAFF_PAGES[3]).status_code == 403


def test_an_account_that_may_edit_users_cannot_touch_one_that_holds_more(
    user_editor, django_user_model
):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.org", PASSWORD)
    bookkeeper = _staff(django_user_model, "books", "donations.export_payments")
    browser = _logged_in(user_editor)
    for target in (boss, bookkeeper):
        assert browser.get(f"/admin/auth/user/{target.pk}/change/").status_code == 200  # view
        browser.post(
            f"/admin/auth/user/{target.pk}/change/",
            {"username": target.username, "email": "evil@example.org", "is_active": "on"},
        )
        password = browser.post(
            f"/admin/auth/user/{target.pk}/password/",
            {"password1": "taken-over-123456", "password2": "taken-over-123456"},
        )
        assert password.status_code == 403
        target.refresh_from_db()
        assert target.email.endswith("@example.org") and target.email != "evil@example.org"
        assert target.check_password(PASSWORD)


def test_permissions_are_granted_only_by_someone_who_holds_them(user_editor, django_user_model):
    clerk = _staff(django_user_model, "clerk")
    export = Permission.objects.get(codename="export_payments")
    browser = _logged_in(user_editor)
    form = browser.get(f"/admin/auth/user/{clerk.pk}/change/").content.decode()
    assert f'value="{export.pk}"' not in form
    view_user = Permission.objects.get(codename="view_user")
    assert f'value="{view_user.pk}"' in form  # what it holds itself, it may pass on


def test_an_account_that_may_edit_groups_cannot_give_a_group_more_than_it_holds(
    django_user_model,
):
    from django.contrib.auth.models import Group

    editor = _staff(django_user_model, "groupedit", "auth.change_group", "auth.view_group")
    group = Group.objects.create(name="everyone")
    editor.groups.add(group)
    export = Permission.objects.get(codename="export_payments")
    browser = _logged_in(editor)
    browser.post(
        f"/admin/auth/group/{group.pk}/change/", {"name": "everyone", "permissions": [export.pk]}
    )
    assert not group.permissions.exists()
    strong = Group.objects.create(name="finance")
    strong.permissions.add(export)
    browser.post(f"/admin/auth/group/{strong.pk}/change/", {"name": "renamed", "permissions": []})
    strong.refresh_from_db()
    assert strong.name == "finance" and strong.permissions.count() == 1


def test_looking_at_a_supporter_shows_only_what_the_account_may_read(
    client,
    mollie,  # noqa: F811
    django_user_model,
):
    """Attacked again: with only "view supporter", the page showed the giving totals and the
    audit trail."""
    donation, mollie_id = start(client, amount="25")
    pay(client, mollie, donation, mollie_id)
    viewer = _logged_in(_staff(django_user_model, "viewer", "supporters.view_supporter"))
    page = viewer.get(f"/admin/supporters/supporter/{donation.supporter_id}/change/").text
    assert "ann@example.org" in page
    assert "25.00" not in page and "25,00" not in page
    assert "Audit trail" not in page and "supporter:" not in page


def test_an_account_that_may_edit_supporters_cannot_take_over_a_donors_area(
    client,
    mollie,  # noqa: F811
    django_user_model,
):
    """Attacked again: with only "change supporter", staff set a donor's address to their own
    mailbox and logged in to the donor's area with a code."""
    donation, mollie_id = start(client, frequency="monthly", amount="10")
    pay(client, mollie, donation, mollie_id)
    supporter = donation.supporter
    editor = _logged_in(
        _staff(
            django_user_model,
            "suppedit",
            "supporters.view_supporter",
            "supporters.change_supporter",
        )
    )
    page = editor.get(f"/admin/supporters/supporter/{supporter.pk}/change/").text
    assert 'name="email"' not in page and 'name="code_login_at"' not in page
    editor.post(
        f"/admin/supporters/supporter/{supporter.pk}/change/",
        {"email": "attacker@evil.example", "name": "Ann Example", "language": "en"},
    )
    supporter.refresh_from_db()
    assert supporter.email == "ann@example.org"


def test_an_inactive_account_keeps_what_it_holds_for_who_may_edit_users(
    user_editor, django_user_model
):
    """Attacked again: Django reports no permissions for an inactive account, so an editor of
    users could set the password of a former bookkeeper, to be used once it is reactivated."""
    former = _staff(django_user_model, "formerfin", "donations.export_payments", is_active=False)
    browser = _logged_in(user_editor)
    answer = browser.post(
        f"/admin/auth/user/{former.pk}/password/",
        {"password1": "taken-over-123456", "password2": "taken-over-123456"},
    )
    assert answer.status_code == 403
    former.refresh_from_db()
    assert former.check_password(PASSWORD)
