"""Payments stored before Mollie's answers were redacted (donations.bank.redact) kept the
payer's account and name in `mollie_data.details` (an iDEAL payment carries them): mask the
account and leave the name out, as for every answer stored since. Written out here rather than
importing the app's code, so that this migration does the same whatever the code becomes."""

import re

from django.db import migrations

IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
HOLDERS = ("consumerName", "cardHolder")


def _redacted(data: dict) -> dict | None:
    details = data.get("details") if isinstance(data, dict) else None
    if not isinstance(details, dict):
        return None
    account = details.get("consumerAccount")
    compact = re.sub(r"\s", "", account).upper() if isinstance(account, str) else ""
    masks = bool(IBAN.fullmatch(compact))
    if not masks and not any(key in details for key in HOLDERS):
        return None
    cleaned = {k: v for k, v in details.items() if k not in HOLDERS}
    if masks:
        cleaned["consumerAccount"] = f"{compact[:2]}** **** **** {compact[-4:]}"
    return {**data, "details": cleaned}


def redact_stored(apps, schema_editor):
    Payment = apps.get_model("donations", "Payment")
    changed = []
    for payment in Payment.objects.only("pk", "mollie_data").iterator(chunk_size=2000):
        redacted = _redacted(payment.mollie_data)
        if redacted is not None:
            payment.mollie_data = redacted
            changed.append(payment)
        if len(changed) >= 2000:
            Payment.objects.bulk_update(changed, ["mollie_data"])
            changed = []
    if changed:
        Payment.objects.bulk_update(changed, ["mollie_data"])


class Migration(migrations.Migration):
    dependencies = [("donations", "0009_direct_debit_mandates_and_returned_debits")]

    operations = [migrations.RunPython(redact_stored, migrations.RunPython.noop)]
