"""T8: a routine item marked done while its count was not zero keeps the written reason."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0016_conversation")]

    operations = [
        migrations.AddField(
            model_name="routinecheck",
            name="reason",
            field=models.TextField(blank=True, verbose_name="por que marcado com pendências"),
        ),
    ]
