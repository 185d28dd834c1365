"""Indicadores (issue 19): the agendamentos and orçamentos of a period come off an index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("workflows", "0023_ficha_address")]

    operations = [
        migrations.AddIndex(
            model_name="agendamento",
            index=models.Index(fields=["created_at"], name="agendamento_created_at"),
        ),
        migrations.AddIndex(
            model_name="orcamento",
            index=models.Index(fields=["created_at"], name="orcamento_created_at"),
        ),
    ]
