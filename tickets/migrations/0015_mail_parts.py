"""T1: the original HTML of an e-mail and the Content-ID of its inline images."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0014_github_comment_sync")]

    operations = [
        migrations.AddField(
            model_name="inboundemail",
            name="html",
            field=models.TextField(blank=True, verbose_name="HTML original"),
        ),
        migrations.AddField(
            model_name="emailattachment",
            name="content_id",
            field=models.CharField(blank=True, max_length=255, verbose_name="Content-ID"),
        ),
    ]
