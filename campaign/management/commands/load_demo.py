from django.core.management.base import BaseCommand

from campaign.services import demo_content_load


class Command(BaseCommand):
    help = (
        "Load the demo campaign with its goal, its objection guide, two more articles and a "
        "few campaign links (safe to re-run)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Write the demo texts back over edited ones."
        )

    def handle(self, *args, reset: bool = False, **options) -> None:
        created = demo_content_load(reset=reset)
        if options["verbosity"] == 0:
            return
        self.stdout.write(
            self.style.SUCCESS(
                "Demo content ready: {campaigns} campaign(s), {articles} article(s), "
                "{steps} guide step(s) and {links} campaign link(s) created.".format(**created)
            )
        )
