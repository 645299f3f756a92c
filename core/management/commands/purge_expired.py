from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand
from django.utils import timezone

from core import ratelimit


class Command(BaseCommand):
    help = "Delete closed rate-limit windows and expired sessions (the timer runs it)."

    def handle(self, *args, **options) -> None:
        counters = ratelimit.purge_expired()
        sessions, _ = Session.objects.filter(expire_date__lte=timezone.now()).delete()
        self.stdout.write(f"Deleted {counters} rate-limit window(s) and {sessions} session(s).")
