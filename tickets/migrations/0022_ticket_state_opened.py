from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0021_ticket_business_minutes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["state", "created_at"], name="ticket_state_opened"),
        ),
        # Statistics for the new index: without them SQLite's planner takes it for selective
        # and reads the Indicadores' ticket ranges through it (both databases accept this).
        migrations.RunSQL("ANALYZE tickets_ticket", reverse_sql=migrations.RunSQL.noop),
    ]
