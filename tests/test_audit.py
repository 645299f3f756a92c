"""The audit trail: every change to money or to a supporter, who made it, append-only."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from donations.models import Payment, Subscription
from donations.services import webhook_path
from supporters.models import Supporter

from .donations.conftest import mollie, pay, start  # noqa: F401 (fixture used by these tests)
from .supporters.conftest import last_code, log_in, url

pytestmark = pytest.mark.django_db


def trail() -> list[tuple[str, str, str]]:
    return list(AuditEvent.objects.order_by("pk").values_list("actor_kind", "action", "subject_id"))


def test_a_supporters_own_changes_are_recorded_and_survive_erasure(client, mollie):  # noqa: F811
    donation, mollie_id = start(client, frequency="monthly", amount="10", email="ann@example.org")
    pay(client, mollie, donation, mollie_id)
    client.post(url("enter_after_gift", token=donation.public_token))
    ann = Supporter.objects.get(email="ann@example.org")
    log_in(client, ann)
    client.post(url("monthly"), {"amount": "15", "confirm": "1"})
    client.post(url("profile"), {"name": "Ann B", "language": "en"})
    client.post(url("email_change"), {"new_email": "ann.b@example.org"})
    client.post(url("email_confirm"), {"code": last_code("ann.b@example.org")})
    client.get(url("export"))
    client.post(url("monthly_stop"))
    client.post(url("erase"))
    who = f"{ann.pk}"
    assert trail() == [
        ("supporter", "supporter.login_limited", who),
        ("supporter", "supporter.login", who),
        ("supporter", "subscription.amount", who),
        ("supporter", "supporter.profile", who),
        ("supporter", "supporter.email", who),
        ("supporter", "supporter.export", who),
        ("supporter", "subscription.cancel", who),
        ("supporter", "supporter.erase", who),
    ]
    amount = AuditEvent.objects.get(action="subscription.amount")
    assert (amount.data["previous"], amount.data["amount"]) == ("10.00", "15.00")
    # Kept through erasure, and nothing in it says who Ann was.
    rows = repr(list(AuditEvent.objects.values()))
    for personal in ("ann@example.org", "ann.b@example.org", "Ann B", "127.0.0.1"):
        assert personal not in rows
    assert all(len(event.address_hash) == 32 for event in AuditEvent.objects.all())


def test_staff_refunds_and_cancels_are_recorded_with_the_staff_user(staff, mollie):  # noqa: F811
    _, mollie_id = start(Client(), frequency="monthly")
    mollie.checkout(mollie_id, "paid")
    staff.post(webhook_path(), {"id": mollie_id})
    payment = Payment.objects.get(mollie_id=mollie_id)
    subscription = Subscription.objects.get()
    staff.post(
        reverse("admin:donations_payment_changelist"),
        {"action": "refund", "_selected_action": [payment.pk], "confirm": "yes", "amount": "2"},
    )
    staff.post(
        reverse("admin:donations_subscription_changelist"),
        {"action": "cancel", "_selected_action": [subscription.pk], "confirm": "yes"},
    )
    assert trail() == [
        ("staff", "payment.refund", mollie_id),
        ("staff", "subscription.cancel", subscription.mollie_id),
    ]
    refund = AuditEvent.objects.get(action="payment.refund")
    assert refund.actor_label == "staff:staff" and refund.actor_user.username == "staff"
    assert refund.data["amount"] == "2.00" and refund.supporter_id == payment.supporter_id
    # Staff read it in the admin and can change nothing.
    page = staff.get(reverse("admin:core_auditevent_changelist"))
    assert page.status_code == 200 and mollie_id in page.content.decode()
    assert staff.get(reverse("admin:core_auditevent_add")).status_code == 403
    assert staff.post(reverse("admin:core_auditevent_delete", args=[refund.pk])).status_code == 403


def test_staff_edits_and_erasures_of_a_supporter_are_recorded(staff, mollie):  # noqa: F811
    donation, mollie_id = start(Client(), frequency="monthly", email="ann@example.org")
    pay(Client(), mollie, donation, mollie_id)
    ann = donation.supporter
    change = reverse("admin:supporters_supporter_change", args=[ann.pk])
    page = staff.get(change).content.decode()
    # The inlines' management forms, as the browser would send them back.
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    form |= {"name": "Ann Bakker", "language": "nl"}
    assert staff.post(change, form).status_code == 302
    ann.refresh_from_db()
    assert (ann.name, ann.language) == ("Ann Bakker", "nl")
    event = AuditEvent.objects.get(action="supporter.profile")
    assert (event.actor_kind, event.actor_label, event.subject_id) == (
        "staff",
        "staff:staff",
        str(ann.pk),
    )
    # Nobody adds or deletes a supporter in the admin: they leave through erasure, which
    # stops their gifts at Mollie first, and is recorded too.
    assert staff.get(reverse("admin:supporters_supporter_add")).status_code == 403
    delete = reverse("admin:supporters_supporter_delete", args=[ann.pk])
    assert staff.post(delete, {"post": "yes"}).status_code == 403
    staff.post(
        reverse("admin:supporters_supporter_changelist"),
        {"action": "erase", "_selected_action": [ann.pk]},
    )
    ann.refresh_from_db()
    assert ann.email.endswith("@erased.invalid")
    assert Subscription.objects.get().status == "canceled"
    assert trail()[-2:] == [
        ("staff", "subscription.cancel", Subscription.objects.get().mollie_id),
        ("staff", "supporter.erase", str(ann.pk)),
    ]


def test_a_supporter_acts_as_themselves_in_a_browser_also_logged_in_to_the_admin(
    staff,
    mollie,  # noqa: F811
):
    donation, mollie_id = start(Client(), frequency="monthly", email="ann@example.org")
    pay(Client(), mollie, donation, mollie_id)
    log_in(staff, donation.supporter)  # the same browser holds a staff login
    staff.post(url("monthly"), {"amount": "15", "confirm": "1"})
    assert trail() == [
        ("supporter", "supporter.login", str(donation.supporter_id)),
        ("supporter", "subscription.amount", str(donation.supporter_id)),
    ]
    assert AuditEvent.objects.filter(actor_user__isnull=False).count() == 0


def test_the_trail_is_append_only():
    event = AuditEvent.objects.create(
        actor_kind="system",
        actor_label="system",
        action="supporter.erase",
        subject_type="x",
        subject_id="1",
    )
    event.data = {"changed": True}
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(subject_id="2")
    assert AuditEvent.objects.get().data == {}
