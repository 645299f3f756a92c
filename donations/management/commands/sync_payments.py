import time

from django.core.management.base import BaseCommand, CommandError

from core.demo_clock import demo_clock_for_command
from core.outbox import emails_requeue_stale
from donations.services import payments_reconcile
from donations.services.reconcile import SUBSCRIPTIONS_PER_RUN


class Command(BaseCommand):
    help = (
        "Re-sync from Mollie unfinished payments, the charges Mollie made lately that we lack, "
        "and the monthly gifts not compared with Mollie for a day, so a lost webhook never "
        "loses a gift; queue again emails lost on their way to the worker. Safe to run from "
        "cron on several machines at once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=5,
            metavar="MINUTES",
            help="Only payments created at least this long ago (default 5; 0 for all).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=8,
            help="Payments synced at once (default 8); each mostly waits for Mollie.",
        )
        parser.add_argument(
            "--all-subscriptions",
            action="store_true",
            help=(
                "Compare every running monthly gift with Mollie now, not only those last "
                f"compared a day ago (at most {SUBSCRIPTIONS_PER_RUN} of those per run); after "
                "the command could not run for days, say."
            ),
        )

    def handle(
        self, *args, older_than: int, workers: int, all_subscriptions: bool, **options
    ) -> None:
        demo_clock_for_command()  # in the demo, the sandbox's time (core/demo_clock.py)
        started = time.monotonic()
        report = payments_reconcile(
            older_than_minutes=older_than, workers=workers, all_subscriptions=all_subscriptions
        )
        requeued = emails_requeue_stale()
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Checked {report.payments_checked} payment(s) in {seconds:.1f} s: "
            f"{report.payments_changed} changed, {report.payments_adopted} new, "
            f"{report.subscriptions_created} monthly gift(s) started, "
            f"{report.subscriptions_updated} monthly gift(s) updated, "
            f"{report.pauses_scheduled} resume(s) scheduled, "
            f"{report.method_changes_finished} payment method change(s) finished, "
            f"{report.mandates_revoked} old mandate(s) revoked, "
            f"{report.notices_sent} pre-debit notice(s) sent, "
            f"{report.returned_debits_followed} returned debit(s) followed up, "
            f"{report.bank_mandates_followed} mandate(s) by IBAN followed up; "
            f"{requeued} lost email(s) queued again."
        )
        for error in report.errors:
            self.stderr.write(f"Error: {error}")
        if report.errors:
            # Non-zero exit, so the timer's unit shows as failed and monitoring sees it.
            raise CommandError(f"{len(report.errors)} error(s); see above.")
