"""T7: GitHub sync both ways: a comment's note keeps its earlier texts (edited or deleted on
GitHub), a transferred issue is followed, and the webhook finds a ticket by its issue."""

import django.db.models.deletion
from django.db import migrations, models

import workflows.clock


class Migration(migrations.Migration):
    dependencies = [("tickets", "0013_sla_policy_bounds")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="github_issue_moved_from",
            field=models.CharField(blank=True, max_length=200, verbose_name="issue transferida de"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("github_issue_number__isnull", False)),
                fields=["github_issue_number"],
                name="ticket_github_issue",
            ),
        ),
        migrations.AddField(
            model_name="ticketnote",
            name="edited_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="editado no GitHub em"),
        ),
        migrations.AddField(
            model_name="ticketnote",
            name="deleted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="apagado no GitHub em"),
        ),
        migrations.CreateModel(
            name="TicketNoteRevision",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "change",
                    models.CharField(
                        choices=[("edited", "Editado no GitHub"), ("deleted", "Apagado no GitHub")],
                        max_length=10,
                        verbose_name="mudança",
                    ),
                ),
                ("text", models.TextField(verbose_name="texto anterior")),
                (
                    "at",
                    models.DateTimeField(default=workflows.clock.now, verbose_name="quando"),
                ),
                ("by", models.CharField(blank=True, max_length=160, verbose_name="por")),
                (
                    "note",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="revisions",
                        to="tickets.ticketnote",
                    ),
                ),
            ],
            options={
                "verbose_name": "versão anterior de um registro",
                "verbose_name_plural": "versões anteriores dos registros",
                "ordering": ["at", "pk"],
            },
        ),
    ]
