from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("workflows", "0021_orcamento_discounts")]

    operations = [
        migrations.AddField(
            model_name="companyholiday",
            name="kind",
            field=models.CharField(
                choices=[
                    ("national", "Feriado nacional"),
                    ("state", "Feriado estadual"),
                    ("city", "Feriado municipal"),
                    ("optional", "Ponto facultativo"),
                    ("company", "Dia da empresa"),
                ],
                default="company",
                max_length=10,
                verbose_name="tipo",
            ),
        ),
        migrations.AddField(
            model_name="companyholiday",
            name="closed",
            field=models.BooleanField(
                default=True,
                help_text="Desmarque para trabalhar normalmente neste dia (mesmo sendo feriado): "
                "apagar a linha de um feriado oficial não abre o dia.",
                verbose_name="empresa fechada",
            ),
        ),
    ]
