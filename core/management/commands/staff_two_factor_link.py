from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.two_factor import enrolment_link


class Command(BaseCommand):
    help = (
        "Print a one-time link with which a staff account sets up its authenticator app (for "
        "the first account on a server, or one without a working email address). Hand it to "
        "the account's owner yourself: with the password, it gives the account a second factor."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        user = get_user_model().objects.filter(username=username, is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff account {username!r}.")
        self.stdout.write(enrolment_link(user))
        self.stderr.write(
            f"It works once, for {settings.STAFF_OTP_LINK_MINUTES} minutes, after logging in "
            "as that account."
        )
