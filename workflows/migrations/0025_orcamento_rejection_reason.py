from django.db import migrations, models


def existing_refusals_are_other(apps, schema_editor):
    """The refusals recorded before the reason was structured keep their text as details."""
    Orcamento = apps.get_model("workflows", "Orcamento")
    Orcamento.objects.filter(state="rejected", rejection_kind="").update(rejection_kind="other")


class Migration(migrations.Migration):
    dependencies = [("workflows", "0024_indicator_indexes")]

    operations = [
        migrations.AddField(
            model_name="orcamento",
            name="rejection_kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("price", "Preço"),
                    ("deadline", "Prazo"),
                    ("competitor", "Escolheu um concorrente"),
                    ("no_budget", "Desistiu / sem verba"),
                    ("other", "Outro"),
                ],
                max_length=20,
                verbose_name="motivo da recusa",
            ),
        ),
        migrations.AlterField(
            model_name="orcamento",
            name="rejection_reason",
            field=models.TextField(blank=True, verbose_name="detalhes da recusa"),
        ),
        migrations.RunPython(existing_refusals_are_other, migrations.RunPython.noop),
    ]
