"""A payment Mollie made on its own (a regular gift's charge) is dated by Mollie's createdAt.

The row used to be dated when we stored it, which for a direct debit is the day it was paid,
days after the collection day (and a month later in a demo whose clock was moved). Rows stored
so far take the createdAt of the Mollie data they keep, where that is earlier.
"""

import datetime

import django.utils.timezone
from django.db import migrations, models

BATCH = 2000


def _mollie_created(data) -> datetime.datetime | None:
    text = (data or {}).get("createdAt") if isinstance(data, dict) else None
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def date_charges_by_mollie(apps, schema_editor):
    Payment = apps.get_model("donations", "Payment")
    charges = Payment.objects.filter(sequence_type="recurring").exclude(mollie_id=None)
    changed = []
    for payment in charges.only("pk", "created_at", "mollie_data").iterator(chunk_size=BATCH):
        made = _mollie_created(payment.mollie_data)
        if made is not None and made < payment.created_at:
            payment.created_at = made
            changed.append(payment)
        if len(changed) >= BATCH:
            Payment.objects.bulk_update(changed, ["created_at"])
            changed = []
    if changed:
        Payment.objects.bulk_update(changed, ["created_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0013_gifts_first_paid_and_source_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="payment",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, editable=False, verbose_name="created"
            ),
        ),
        migrations.RunPython(date_charges_by_mollie, migrations.RunPython.noop, elidable=True),
    ]
