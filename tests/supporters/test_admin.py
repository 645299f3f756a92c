"""Staff and supporters: search, gifts inline, sending a code, and no codes on show."""

import pytest
from django.core import mail
from django.urls import reverse

from supporters.models import LoginCode

from .conftest import last_code, make_supporter

pytestmark = pytest.mark.django_db


def test_supporter_list_search_and_gifts_inline(staff):
    ann = make_supporter()
    make_supporter("bob@example.org", "Bob")
    found = staff.get(reverse("admin:supporters_supporter_changelist"), {"q": "ann@"})
    assert found.context["cl"].result_count == 1
    page = staff.get(reverse("admin:supporters_supporter_change", args=[ann.pk]))
    assert 'name="donations-TOTAL_FORMS"' in page.content.decode()


def test_staff_can_send_a_login_code_without_seeing_it(staff):
    ann = make_supporter()
    staff.post(
        reverse("admin:supporters_supporter_changelist"),
        {"action": "send_login_code", "_selected_action": [ann.pk]},
    )
    assert mail.outbox[-1].to == ["ann@example.org"]
    code = last_code("ann@example.org")
    code_hash = LoginCode.objects.get(supporter=ann).code_hash
    for view in (
        reverse("admin:supporters_supporter_change", args=[ann.pk]),
        reverse("admin:core_emaillog_changelist"),
        reverse("admin:index"),
    ):
        html = staff.get(view).content.decode()
        assert code_hash not in html and code not in html
    assert staff.get("/admin/supporters/logincode/").status_code == 404
