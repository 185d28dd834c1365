# The ticket conversation (issue 21): replies and internal notes written on the ticket page.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0015_mail_parts"),
        ("workflows", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketnote",
            name="sent_to",
            field=models.EmailField(blank=True, max_length=254, verbose_name="enviado para"),
        ),
        migrations.AddField(
            model_name="ticketnote",
            name="delivery_error",
            field=models.CharField(blank=True, max_length=300, verbose_name="falha no envio"),
        ),
        migrations.AddField(
            model_name="ticketnote",
            name="transition",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="workflows.auditentry",
                verbose_name="mudança de status junto",
            ),
        ),
        migrations.CreateModel(
            name="TicketNoteAttachment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("filename", models.CharField(max_length=255, verbose_name="arquivo")),
                ("content_type", models.CharField(max_length=120, verbose_name="tipo")),
                ("size", models.PositiveIntegerField(verbose_name="tamanho (bytes)")),
                ("content", models.BinaryField(verbose_name="conteúdo")),
                (
                    "note",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="files",
                        to="tickets.ticketnote",
                    ),
                ),
            ],
            options={
                "verbose_name": "anexo de uma resposta",
                "verbose_name_plural": "anexos das respostas",
                "ordering": ["pk"],
            },
        ),
    ]
