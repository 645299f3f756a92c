"""Durable email: sent by the task worker, retried when SMTP fails, visible to staff at last."""

import datetime
import smtplib
import time
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import OperationalError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core import outbox
from core.models import EmailLog
from core.outbox import email_deliver, emails_requeue_stale, message_id
from donations.services import webhook_path
from supporter_area.emails import supporter_email_queue

from ..donations.conftest import mollie, start  # noqa: F401 (fixture used by these tests)
from .conftest import enter_code, last_code, make_supporter, request_code, url

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


def database_blip_once(monkeypatch, method: str, hits) -> list:
    """The first `QuerySet.<method>` call for which `hits(queryset, kwargs)` holds raises as a
    restarting database does; the list returned fills when it has happened."""
    real = getattr(QuerySet, method)
    failures = []

    def flaky(queryset, *args, **kwargs):
        if not failures and hits(queryset, kwargs):
            failures.append(True)
            raise OperationalError("the database is restarting")
        return real(queryset, *args, **kwargs)

    monkeypatch.setattr(QuerySet, method, flaky)
    monkeypatch.setattr(outbox.time, "sleep", lambda seconds: None)
    return failures


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
    assert client.post(webhook_path(), {"id": mollie_id}).status_code == 200
    assert time.monotonic() - started < 1.5
    assert EmailLog.objects.get().status == EmailLog.Status.QUEUED
    run_worker()
    assert EmailLog.objects.get().status == EmailLog.Status.SENT


# --- Exactly once, when things break -------------------------------------------------------


def test_an_email_a_worker_has_taken_on_is_not_sent_by_another(worker_tasks):
    """The same task run twice (or two tasks for one email) sends it once."""
    log = queue_one(make_supporter())
    EmailLog.objects.filter(pk=log.pk).update(status=EmailLog.Status.SENDING)
    assert email_deliver(log_id=log.pk) is False
    assert mail.outbox == []
    EmailLog.objects.filter(pk=log.pk).update(status=EmailLog.Status.QUEUED)
    assert email_deliver(log_id=log.pk) is True
    assert email_deliver(log_id=log.pk) is False
    assert len(mail.outbox) == 1


def test_every_attempt_at_an_email_has_the_same_message_id(worker_tasks, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    settings.EMAIL_RETRY_DELAYS = [3600]
    log = queue_one(make_supporter())
    run_worker()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert email_deliver(log_id=log.pk)
    [sent] = mail.outbox
    assert sent.extra_headers["Message-ID"] == message_id(log)
    assert message_id(log).startswith(f"<email-{log.pk}.") and message_id(log).endswith(
        "@example.org>"
    )


def test_a_sent_email_is_recorded_after_a_database_blip_and_not_sent_again(
    worker_tasks, monkeypatch
):
    log = queue_one(make_supporter())
    failures = database_blip_once(
        monkeypatch, "update", lambda qs, changes: changes.get("status") == EmailLog.Status.SENT
    )
    assert email_deliver(log_id=log.pk)
    log.refresh_from_db()
    assert failures and log.status == EmailLog.Status.SENT
    assert len(mail.outbox) == 1
    assert email_deliver(log_id=log.pk) is False and len(mail.outbox) == 1


def test_a_failed_attempt_is_recorded_after_a_database_blip_and_tried_again(
    worker_tasks, settings, monkeypatch
):
    """SMTP refuses and, as the worker writes that down, the database restarts: the email is
    queued for its next try, not left taken on and unsent."""
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    log = queue_one(make_supporter())
    DBTaskResult.objects.all().delete()
    failures = database_blip_once(
        monkeypatch, "update", lambda qs, changes: changes.get("status") == EmailLog.Status.QUEUED
    )
    assert email_deliver(log_id=log.pk) is False  # and it did not raise
    log.refresh_from_db()
    assert failures and (log.status, log.attempts) == (EmailLog.Status.QUEUED, 1)
    assert DBTaskResult.objects.count() == 1  # its next try is queued
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_worker()
    log.refresh_from_db()
    assert log.status == EmailLog.Status.SENT and len(mail.outbox) == 1


def test_a_database_blip_just_after_an_email_is_taken_on_does_not_strand_it(
    worker_tasks, monkeypatch
):
    log = queue_one(make_supporter())
    failures = database_blip_once(monkeypatch, "get", lambda qs, kwargs: qs.model is EmailLog)
    assert email_deliver(log_id=log.pk)
    log.refresh_from_db()
    assert failures and log.status == EmailLog.Status.SENT and len(mail.outbox) == 1


def test_an_email_and_its_task_are_stored_in_one_transaction(worker_tasks):
    """With the task queue in the database nothing can fall between storing an email and
    queueing its task (a restart right after the commit): both are in the commit, or neither."""
    supporter = make_supporter()
    with transaction.atomic():
        queue_one(supporter)
        assert DBTaskResult.objects.count() == 1  # already queued, visible once committed
        transaction.set_rollback(True)
    assert (EmailLog.objects.count(), DBTaskResult.objects.count()) == (0, 0)
    queue_one(supporter)
    assert (EmailLog.objects.count(), DBTaskResult.objects.count()) == (1, 1)


def test_emails_lost_on_the_way_to_the_worker_are_queued_again(worker_tasks, fixed_clock):
    supporter = make_supporter()
    lost = queue_one(supporter)  # committed, but (say) the process died before the enqueue
    DBTaskResult.objects.all().delete()
    with transaction.atomic():
        stuck = supporter_email_queue(
            event_key="test:2",
            supporter=supporter,
            template="donations/thanks_oneoff",
            subject="Taken on, never finished",
            context={"name": supporter.name, "amount": Decimal("5.00")},
        )
    DBTaskResult.objects.all().delete()
    EmailLog.objects.filter(pk=stuck.pk).update(
        status=EmailLog.Status.SENDING, claimed_at=timezone.now()
    )
    assert emails_requeue_stale() == 0  # too early to tell: the worker may be on its way
    fixed_clock.shift(datetime.timedelta(minutes=11))
    assert emails_requeue_stale() == 2
    run_worker()
    statuses = dict(EmailLog.objects.values_list("pk", "status"))
    assert statuses == {lost.pk: EmailLog.Status.SENT, stuck.pk: EmailLog.Status.SENT}
    assert sorted(m.subject for m in mail.outbox) == ["Taken on, never finished", "Thank you"]
    assert emails_requeue_stale() == 0


def test_a_login_code_asked_for_while_smtp_is_down_arrives_fresh_when_it_is_back(
    worker_tasks, settings, client, fixed_clock
):
    """The code is made when the email is sent, so an hour of SMTP trouble never delivers a
    code that has already expired."""
    supporter = make_supporter()
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    settings.EMAIL_RETRY_DELAYS = [60, 3600]
    assert request_code(client, supporter.email).status_code == 303  # the page says: sent
    run_worker()
    log = EmailLog.objects.get()
    assert log.status == EmailLog.Status.QUEUED and log.attempts == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    fixed_clock.shift(datetime.timedelta(minutes=settings.LOGIN_CODE_VALID_MINUTES + 50))
    assert email_deliver(log_id=log.pk)  # the worker's retry, long after the request
    code = last_code(supporter.email)
    response = enter_code(client, supporter.email, code)
    assert response.status_code == 303 and response["Location"] == url("home")
