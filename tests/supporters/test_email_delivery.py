"""Durable email: sent by the task worker, retried when SMTP fails, visible to staff at last."""

import smtplib
import time
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from core.models import EmailLog
from core.outbox import email_deliver
from supporters.emails import supporter_email_queue

from ..donations.conftest import mollie, start  # noqa: F401 (fixture used by these tests)
from .conftest import make_supporter

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
}


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("the SMTP server went away")


class SlowBackend(BaseEmailBackend):
    def send_messages(self, messages):
        time.sleep(2)
        return len(messages)


@pytest.fixture
def worker_tasks(settings):
    settings.TASKS = DATABASE_TASKS
    settings.EMAIL_RETRY_DELAYS = [0, 0]


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)


def queue_one(supporter) -> EmailLog:
    with transaction.atomic():
        return supporter_email_queue(
            event_key="test:1",
            supporter=supporter,
            template="donations/thanks_oneoff",
            subject="Thank you",
            context={"name": supporter.name, "amount": Decimal("5.00")},
        )


def test_the_worker_sends_queued_email(worker_tasks):
    log = queue_one(make_supporter())
    assert mail.outbox == []  # not in the request: waiting for the worker
    run_worker()
    log.refresh_from_db()
    assert log.status == EmailLog.Status.SENT and log.context == {}
    assert [m.subject for m in mail.outbox] == ["Thank you"]
    assert "€\u00a05,00" in mail.outbox[0].body  # the Decimal came back as a Decimal


def test_failing_smtp_is_retried_then_shown_to_staff(worker_tasks, settings, staff):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    log = queue_one(make_supporter())
    run_worker()  # first try and both retries (the delays are zero here)
    log.refresh_from_db()
    assert log.status == EmailLog.Status.FAILED
    assert log.attempts == 3 and "went away" in log.error
    failed = staff.get(reverse("admin:core_emaillog_changelist"), {"status__exact": "failed"})
    assert failed.context["cl"].result_count == 1


def test_a_retry_can_succeed(worker_tasks, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    settings.EMAIL_RETRY_DELAYS = [3600]
    log = queue_one(make_supporter())
    run_worker()
    log.refresh_from_db()
    assert log.status == EmailLog.Status.QUEUED and log.attempts == 1  # waits an hour
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert email_deliver(log_id=log.pk)  # what the worker does when the hour is up
    log.refresh_from_db()
    assert log.status == EmailLog.Status.SENT and log.attempts == 2


def test_a_slow_smtp_server_never_slows_the_webhook(worker_tasks, settings, client, mollie):  # noqa: F811
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    _, mollie_id = start(client)
    mollie.checkout(mollie_id, "paid")
    started = time.monotonic()
    assert client.post("/mollie/webhook/", {"id": mollie_id}).status_code == 200
    assert time.monotonic() - started < 1.5
    assert EmailLog.objects.get().status == EmailLog.Status.QUEUED
    run_worker()
    assert EmailLog.objects.get().status == EmailLog.Status.SENT
