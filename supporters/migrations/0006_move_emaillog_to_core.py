"""The email outbox moves to the core app: copy every row (same ids), then drop the old table."""

from django.core.management.color import no_style
from django.db import migrations


COPIED = ["id", "event_key", "kind", "language", "context", "attempts", "to", "subject", "status"]
COPIED += ["error", "created_at", "sent_at"]


def copy_to_core(apps, schema_editor):
    """One INSERT ... SELECT, so every row keeps its id and its dates exactly."""
    content_type = apps.get_model("contenttypes", "ContentType")
    supporter_type, _ = content_type.objects.get_or_create(app_label="supporters", model="supporter")
    connection = schema_editor.connection
    columns = ", ".join(connection.ops.quote_name(name) for name in COPIED)
    with connection.cursor() as cursor:
        # Emails still queued invite the donor in: their code is made at sending time, by the
        # supporters app's context preparer ("supporter").
        cursor.execute(
            f"INSERT INTO core_emaillog ({columns}, prepare, recipient_type_id, recipient_id) "
            f"SELECT {columns}, 'supporter', "
            "CASE WHEN supporter_id IS NULL THEN NULL ELSE %s END, supporter_id "
            "FROM supporters_emaillog",
            [supporter_type.pk],
        )
        new_log = apps.get_model("core", "EmailLog")
        for statement in connection.ops.sequence_reset_sql(no_style(), [new_log]):
            cursor.execute(statement)


def copy_back(apps, schema_editor):
    connection = schema_editor.connection
    columns = ", ".join(connection.ops.quote_name(name) for name in COPIED)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO supporters_emaillog ({columns}, supporter_id) "
            f"SELECT {columns}, recipient_id FROM core_emaillog"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0003_email_outbox"),
        ("supporters", "0005_supporter_code_login_at"),
    ]

    operations = [
        migrations.RunPython(copy_to_core, copy_back),
        migrations.DeleteModel(name="EmailLog"),
    ]
