"""Sales and their commission (S1, S4, S7, S8, S9, M1)."""

from django.conf import settings
from django.db import models

from .. import clock
from ..validators import MAX_SALE_TOTAL, MAX_UNIT_PRICE, money_validators, quantity_validators
from .base import WorkflowModel
from .fichas import Ficha, Product


class Sale(WorkflowModel):
    """A sale; its state is the commission's: clear at once, or left to a manager (S8, S9, M1)."""

    state_machine_name = "workflows.statemachines.CommissionFlow"

    class State(models.TextChoices):
        REGISTERED = "registered", "Registrada"
        ASSIGNED = "assigned", "Comissão definida"
        TO_SETTLE = "to_settle", "Comissão a definir pelo gestor"
        SETTLED = "settled", "Comissão definida pelo gestor"

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="sales")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name="produto")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales"
    )
    at = models.DateTimeField("quando", default=clock.now, db_index=True)
    quantity = models.PositiveIntegerField(
        "quantidade", default=1, validators=quantity_validators()
    )
    unit_price = models.DecimalField(
        "preço unitário",
        max_digits=10,
        decimal_places=2,
        validators=money_validators(MAX_UNIT_PRICE),
    )
    discount = models.DecimalField(
        "desconto (R$)", max_digits=10, decimal_places=2, default=0, validators=money_validators()
    )
    total = models.DecimalField(
        "total", max_digits=12, decimal_places=2, validators=money_validators(MAX_SALE_TOTAL)
    )
    from_campaign = models.BooleanField("veio de campanha (disparo)", default=False)
    debt_waived = models.BooleanField("dívida com mais de 1 ano abonada (S7)", default=False)
    boleto_charge_noted = models.BooleanField("cobrança dos boletos em aberto feita", default=False)
    state = models.CharField(max_length=20, choices=State, default=State.REGISTERED)
    commission_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="commissions",
        verbose_name="comissão para",
    )
    commission_rule = models.CharField("regra da comissão", max_length=8)
    commission_reason = models.CharField("motivo da comissão", max_length=200)
    # S1: a third party contracting for the client.
    contractor_name = models.CharField("contratante (terceiro)", max_length=160, blank=True)
    contractor_email = models.EmailField("e-mail do contratante", blank=True)
    data_confirmed = models.BooleanField("dados do cliente confirmados", default=False)
    request_token = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = "venda"
        ordering = ["-at", "-pk"]
        # The manager console: commissions to settle, and today's total.
        indexes = [models.Index(fields=["state", "-at"]), models.Index(fields=["-at"])]

    def __str__(self):
        return f"{self.product} para {self.ficha.name} por {self.seller}"
