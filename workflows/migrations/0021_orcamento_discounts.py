"""G8: discounts as a percentage or an amount, per item and on the whole quote."""

from decimal import Decimal

import django.core.validators
from django.db import migrations, models


def percent_field(label):
    return models.DecimalField(
        blank=True,
        decimal_places=2,
        max_digits=5,
        null=True,
        validators=[
            django.core.validators.MinValueValidator(
                Decimal("0"), "O desconto não pode ser negativo."
            ),
            django.core.validators.MaxValueValidator(Decimal("100"), "O desconto máximo é 100%%."),
        ],
        verbose_name=label,
    )


def money_field(label):
    return models.DecimalField(
        decimal_places=2,
        default=0,
        max_digits=10,
        validators=[
            django.core.validators.MinValueValidator(
                Decimal("0"), "O valor não pode ser negativo."
            ),
            django.core.validators.MaxValueValidator(
                Decimal("99999999.99"), "O valor máximo é R$ 99.999.999,99."
            ),
        ],
        verbose_name=label,
    )


class Migration(migrations.Migration):
    dependencies = [("workflows", "0020_phone_e164")]

    operations = [
        migrations.AddField(
            model_name="orcamento",
            name="discount_percent",
            field=percent_field("desconto no orçamento (%)"),
        ),
        migrations.AddField(
            model_name="orcamento",
            name="discount_amount",
            field=money_field("desconto no orçamento (R$)"),
        ),
        migrations.AddField(
            model_name="orcamentoitem",
            name="discount_percent",
            field=percent_field("desconto (%)"),
        ),
        migrations.AddField(
            model_name="orcamentoitem",
            name="quote_discount",
            field=money_field("parte do desconto no orçamento (R$)"),
        ),
        migrations.AddConstraint(
            model_name="orcamento",
            constraint=models.CheckConstraint(
                condition=models.Q(discount_percent__isnull=True) | models.Q(discount_amount=0),
                name="orcamento_discount_percent_or_amount",
            ),
        ),
    ]
