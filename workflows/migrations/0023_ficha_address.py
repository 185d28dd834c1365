"""The holder's address on the ficha (issue 20, item 6): street line, district, city, UF and
CEP (8 digits), all optional."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("workflows", "0022_company_calendar")]

    operations = [
        migrations.AddField(
            model_name="ficha",
            name="address",
            field=models.CharField(
                blank=True,
                max_length=200,
                verbose_name="endereço (logradouro, número e complemento)",
            ),
        ),
        migrations.AddField(
            model_name="ficha",
            name="district",
            field=models.CharField(blank=True, max_length=80, verbose_name="bairro"),
        ),
        migrations.AddField(
            model_name="ficha",
            name="city",
            field=models.CharField(blank=True, max_length=80, verbose_name="cidade"),
        ),
        migrations.AddField(
            model_name="ficha",
            name="state_uf",
            field=models.CharField(
                blank=True,
                choices=[
                    ("AC", "Acre (AC)"),
                    ("AL", "Alagoas (AL)"),
                    ("AP", "Amapá (AP)"),
                    ("AM", "Amazonas (AM)"),
                    ("BA", "Bahia (BA)"),
                    ("CE", "Ceará (CE)"),
                    ("DF", "Distrito Federal (DF)"),
                    ("ES", "Espírito Santo (ES)"),
                    ("GO", "Goiás (GO)"),
                    ("MA", "Maranhão (MA)"),
                    ("MT", "Mato Grosso (MT)"),
                    ("MS", "Mato Grosso do Sul (MS)"),
                    ("MG", "Minas Gerais (MG)"),
                    ("PR", "Paraná (PR)"),
                    ("PB", "Paraíba (PB)"),
                    ("PA", "Pará (PA)"),
                    ("PE", "Pernambuco (PE)"),
                    ("PI", "Piauí (PI)"),
                    ("RN", "Rio Grande do Norte (RN)"),
                    ("RS", "Rio Grande do Sul (RS)"),
                    ("RJ", "Rio de Janeiro (RJ)"),
                    ("RO", "Rondônia (RO)"),
                    ("RR", "Roraima (RR)"),
                    ("SC", "Santa Catarina (SC)"),
                    ("SE", "Sergipe (SE)"),
                    ("SP", "São Paulo (SP)"),
                    ("TO", "Tocantins (TO)"),
                ],
                max_length=2,
                verbose_name="UF",
            ),
        ),
        migrations.AddField(
            model_name="ficha",
            name="cep",
            field=models.CharField(blank=True, max_length=8, verbose_name="CEP"),
        ),
    ]
