"""The donations app announces what happens to a gift; it sends no email itself."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection

from core.actors import Actor
from core.models import EmailLog
from donations import services
from donations.events import GiftEvent, gift_event
from donations.models import NET_AMOUNT, Payment, Subscription
from supporter_area.receivers import gift_emails
from supporters.models import Supporter

from .conftest import charge_settled, pay, start, webhook
from .factories import make_payment

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system()  # the services record who acts; here, nobody in particular


@pytest.fixture
def announced():
    """Every gift event sent while the test runs: (event, in a transaction, the details)."""
    seen = []

    def listen(sender, *, event, **details):
        seen.append((event, connection.in_atomic_block, details))

    gift_event.connect(listen, dispatch_uid="test-listener")
    yield seen
    gift_event.disconnect(dispatch_uid="test-listener")


@pytest.fixture
def without_supporter_emails():
    gift_event.disconnect(dispatch_uid="supporter_area.gift_emails")
    yield
    gift_event.connect(gift_emails, dispatch_uid="supporter_area.gift_emails")


def test_a_paid_gift_is_announced_once_inside_its_transaction(client, mollie, announced):
    donation, mollie_id = start(client)
    pay(client, mollie, donation, mollie_id, "paid")
    webhook(client, mollie_id)  # Mollie calls again: nothing new happened
    assert [(event, atomic) for event, atomic, _ in announced] == [(GiftEvent.PAYMENT_PAID, True)]
    assert announced[0][2]["payment"].mollie_id == mollie_id


def test_a_monthly_gift_announces_each_step(client, mollie, announced):
    donation, mollie_id = start(client, frequency="monthly", amount="10")
    pay(client, mollie, donation, mollie_id, "paid")
    subscription = Subscription.objects.get(donation=donation)
    services.subscription_update_amount(
        subscription=subscription, amount=Decimal("12.00"), actor=SYSTEM
    )
    charge = charge_settled(mollie, subscription.mollie_id, "failed")
    webhook(client, charge["id"])
    services.subscription_cancel(subscription=subscription, actor=SYSTEM)
    # Already stopped: no news.
    services.subscription_cancel(subscription=subscription, actor=SYSTEM)
    events = [event for event, _, _ in announced]
    assert events == [
        GiftEvent.PAYMENT_PAID,  # the first payment
        GiftEvent.REGULAR_STARTED,
        GiftEvent.REGULAR_AMOUNT_CHANGED,
        GiftEvent.PAYMENT_UNSUCCESSFUL,
        GiftEvent.REGULAR_STOPPED,
    ]
    assert all(atomic for _, atomic, _ in announced)
    assert announced[2][2]["previous"] == Decimal("10.00")


def test_without_the_supporters_app_listening_a_gift_sends_no_email(
    client, mollie, without_supporter_emails
):
    donation, mollie_id = start(client)
    pay(client, mollie, donation, mollie_id, "paid")
    assert Payment.objects.get(mollie_id=mollie_id).status == "paid"
    assert EmailLog.objects.count() == 0 and mail.outbox == []


def test_the_net_amount_is_the_same_in_the_database_and_on_a_row():
    supporter = Supporter.objects.create(email="ann@example.org")
    made = [
        make_payment(supporter, "25.00"),
        make_payment(supporter, "25.00", refunded="5.00"),
        make_payment(supporter, "10.00", status="failed"),
    ]
    Payment.objects.filter(pk=made[0].pk).update(amount_charged_back=Decimal("25.00"))
    rows = Payment.objects.annotate(net=NET_AMOUNT).order_by("pk")
    assert [(row.net, row.amount_kept) for row in rows] == [
        (Decimal("0.00"), Decimal("0.00")),
        (Decimal("20.00"), Decimal("20.00")),
        (Decimal("10.00"), Decimal("10.00")),
    ]
    assert [row.net_amount for row in rows] == [Decimal("0.00"), Decimal("20.00"), Decimal("0")]
