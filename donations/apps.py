from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonationsConfig(AppConfig):
    name = "donations"
    verbose_name = _("Donations")

    def ready(self) -> None:
        # Registering: the names of the actions this app records in the audit trail, and the
        # checks of the direct-debit settings.
        from campaign.goals import counter_register
        from campaign.models import GoalKind

        from . import attribution, audit, checks  # noqa: F401

        # The campaign app counts objections; gifts are counted here (campaign/goals.py).
        counter_register(GoalKind.DONORS, attribution.goal_new_regular_donors)
        counter_register(GoalKind.AMOUNT, attribution.goal_money_raised)
