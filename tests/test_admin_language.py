"""The admin speaks one language at a time: every text in the staff member's language, and a switch
that keeps their choice (without it: the browser's language, then LANGUAGE_CODE)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import django
import polib
import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from core.admin import permission_label
from donations.models import Payment
from supporters.models import Supporter

from .donations.factories import make_payment

pytestmark = pytest.mark.django_db

DJANGO = Path(django.__file__).parent
ROOT = Path(__file__).resolve().parents[1]
# Catalogues whose msgids are English texts the admin can show.
ENGLISH = [
    DJANGO / "contrib/admin/locale/en/LC_MESSAGES/django.po",
    DJANGO / "contrib/auth/locale/en/LC_MESSAGES/django.po",
    DJANGO / "contrib/contenttypes/locale/en/LC_MESSAGES/django.po",
    ROOT / "locale/nl/LC_MESSAGES/django.po",
    ROOT / "config/locale/nl/LC_MESSAGES/django.po",
]
DUTCH = [
    DJANGO / "contrib/admin/locale/nl/LC_MESSAGES/django.po",
    DJANGO / "contrib/auth/locale/nl/LC_MESSAGES/django.po",
    DJANGO / "contrib/contenttypes/locale/nl/LC_MESSAGES/django.po",
    ROOT / "config/locale/nl/LC_MESSAGES/django.po",
    ROOT / "locale/nl/LC_MESSAGES/django.po",
]


class _Texts(HTMLParser):
    """The visible texts of a page, and the attributes a reader hears or sees."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0  # inside a script, a style or a text in another language

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style") or (tag == "option" and dict(attrs).get("lang") == "en"):
            self._hidden += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label") and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style", "option") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(" ".join(data.split()))


def texts_of(response) -> list[str]:
    parser = _Texts()
    parser.feed(response.content.decode())
    return parser.texts


def english_left_in_dutch() -> "callable":
    english = {e.msgid for path in ENGLISH for e in polib.pofile(str(path)) if e.msgid}
    dutch: dict[str, str] = {}
    for path in DUTCH:  # later files win, as the site's own catalogues do
        dutch.update({e.msgid: e.msgstr for e in polib.pofile(str(path)) if e.msgstr})

    def untranslated(text: str) -> bool:
        bare = text.rstrip(":").strip()
        return bare in english and dutch.get(bare) != bare

    return untranslated


def admin_pages(client) -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        urls.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    urls.append(reverse("staff:dashboard"))
    return urls


@pytest.fixture
def content(staff):
    call_command("load_demo", verbosity=0)
    ann = Supporter.objects.create(email="ann@example.org", name="Ann")
    make_payment(ann, amount="10.00")
    return Payment.objects.get()


def test_every_admin_page_in_dutch_shows_no_english_text(staff, content):
    untranslated = english_left_in_dutch()
    staff.defaults.pop("HTTP_ACCEPT_LANGUAGE")
    staff.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    found = {}
    for url in admin_pages(staff):
        response = staff.get(url)
        if response.status_code == 403:  # an add page of a read-only list
            continue
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == "nl", url
        english = [
            t
            for t in texts_of(response)
            if (untranslated(t) or t.startswith("Can ")) and t != "staff"  # the user's name
        ]
        if english:
            found[url] = english
    assert found == {}


def test_the_admin_index_names_every_app_in_dutch(staff):
    names = {}
    for language in ("nl", "en"):
        response = staff.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=language)
        names[language] = re.findall(
            r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', response.content.decode()
        )
    same_in_both = {"Supporters"}
    assert names["nl"] and len(names["nl"]) == len(names["en"])
    assert [
        n for n, e in zip(names["nl"], names["en"], strict=True) if n == e and n not in same_in_both
    ] == []


def test_permissions_are_named_in_the_readers_language_and_only_for_the_admins_models(staff):
    response = staff.get(reverse("admin:auth_group_add"), HTTP_ACCEPT_LANGUAGE="nl")
    labels = [
        str(label)
        for _value, label in response.context["adminform"].form.fields["permissions"].choices
    ]
    assert "Donaties | donatie | Mag donatie bekijken" in labels
    assert not [label for label in labels if "Can " in label]
    # Sessions and content types have no page in the admin: granting them means nothing.
    assert not [
        label for label in labels if "sessie" in label.lower() or "session" in label.lower()
    ]
    view_payment = Permission.objects.get(codename="view_payment")
    with translation.override("en"):
        assert permission_label(view_payment) == "Donations | payment | Can view payment"


def test_the_language_switch_keeps_the_staff_members_choice(staff):
    staff.defaults.pop("HTTP_ACCEPT_LANGUAGE")
    assert staff.get(reverse("admin:index")).headers["Content-Language"] == "nl"  # LANGUAGE_CODE
    page = reverse("admin:donations_payment_changelist")
    response = staff.post(reverse("staff_language"), {"language": "en", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en" and cookie["httponly"] and cookie["samesite"] == "Lax"
    # The choice wins over the browser's language, on admin pages and the staff reports alike.
    for url in (reverse("admin:index"), reverse("staff:dashboard")):
        answer = staff.get(url, HTTP_ACCEPT_LANGUAGE="nl")
        assert answer.headers["Content-Language"] == "en", url
        assert 'name="language"' in answer.content.decode()


def test_the_switch_is_on_the_log_in_page_too(client):
    response = client.get(reverse("admin:login"), HTTP_ACCEPT_LANGUAGE="en")
    assert f'action="{reverse("staff_language")}"' in response.content.decode()
    client.post(reverse("staff_language"), {"language": "nl", "next": reverse("admin:login")})
    assert client.get(reverse("admin:login")).headers["Content-Language"] == "nl"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin/", "/nl/"])
def test_the_switch_only_returns_to_staff_pages(staff, target):
    response = staff.post(reverse("staff_language"), {"language": "en", "next": target})
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_the_switch_refuses_an_unknown_language_with_a_message(staff):
    response = staff.post(reverse("staff_language"), {"language": "xx", "next": "/admin/"})
    assert response.status_code == 400
    assert "language" in response.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert staff.get(reverse("staff_language")).status_code == 405
