"""Indicadores (issue 19): the tickets concluded in a period come off an index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0017_helpdesk_views")]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["resolved_at"], name="ticket_resolved_at"),
        ),
    ]
