"""Background tasks of the supporters app (run by `manage.py db_worker` in production)."""

from django_tasks import task

from .emails import email_deliver


@task(queue_name="email")
def deliver_email(log_id: int) -> bool:
    """Send one queued email (see supporters.emails)."""
    return email_deliver(log_id=log_id)
