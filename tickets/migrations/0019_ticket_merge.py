import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0018_ticket_resolved_at_index")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="merged_from",
                to="tickets.ticket",
                verbose_name="mesclado em",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="state",
            field=models.CharField(
                choices=[
                    ("aberto", "Aberto"),
                    ("em_analise", "Em análise"),
                    ("aguardando_cliente", "Aguardando cliente"),
                    ("em_desenvolvimento", "Em desenvolvimento"),
                    ("concluido", "Concluído"),
                    ("mesclado", "Mesclado"),
                ],
                db_index=True,
                default="aberto",
                max_length=20,
            ),
        ),
    ]
