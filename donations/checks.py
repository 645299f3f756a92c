"""`manage.py check` for the donations settings that a typo would break silently."""

import re

from django.conf import settings
from django.core.checks import Error, register

from .bank import creditor_id_is_valid


@register()
def direct_debit_settings(app_configs=None, **kwargs) -> list[Error]:
    if not settings.DIRECT_DEBIT_ENABLED:
        return []
    errors = []
    if not creditor_id_is_valid(settings.DIRECT_DEBIT_CREDITOR_ID):
        errors.append(
            Error(
                "DIRECT_DEBIT_CREDITOR_ID is not a valid SEPA creditor identifier (its check "
                "digits do not add up).",
                hint="Mollie's is NL08ZZZ502057730000; see docs/direct-debit.md.",
                id="donations.E001",
            )
        )
    if not re.fullmatch(r"[A-Za-z0-9]{2,12}", settings.MANDATE_REFERENCE_PREFIX or ""):
        errors.append(
            Error(
                "MANDATE_REFERENCE_PREFIX must be 2 to 12 letters and digits.",
                hint="It starts every mandate reference, which SEPA limits to 35 characters.",
                id="donations.E002",
            )
        )
    return errors
