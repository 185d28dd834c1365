"""G8: consultative quotes (orçamentos) and their items."""

from decimal import Decimal

from django.conf import settings
from django.db import models

from .. import clock
from ..validators import (
    MAX_UNIT_PRICE,
    money_validators,
    quantity_validators,
    validate_meaningful_text,
    validate_sane_date,
)
from .agendamentos import Agendamento
from .base import WorkflowModel
from .fichas import Ficha, Product


class Orcamento(WorkflowModel):
    """G8: a consultative quote: demand → products → values → sent → accepted/rejected/expired."""

    state_machine_name = "workflows.statemachines.OrcamentoFlow"

    class State(models.TextChoices):
        ANALYSING = "analysing", "Demanda em análise"
        PRODUCTS_DEFINED = "products_defined", "Produtos definidos"
        PRICED = "priced", "Valores definidos"
        SENT = "sent", "Enviado"
        ACCEPTED = "accepted", "Aceito"
        REJECTED = "rejected", "Recusado"
        EXPIRED = "expired", "Expirado"

    EDITABLE = (State.ANALYSING, State.PRODUCTS_DEFINED)

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="orcamentos")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="responsável"
    )
    created_at = models.DateTimeField(default=clock.now)
    state = models.CharField(max_length=20, choices=State, default=State.ANALYSING)
    demand = models.TextField("análise da demanda", validators=[validate_meaningful_text])
    from_campaign = models.BooleanField("veio de campanha (disparo)", default=False)
    valid_until = models.DateField(
        "válido até", null=True, blank=True, validators=[validate_sane_date]
    )
    sent_at = models.DateTimeField("enviado em", null=True, blank=True)
    decided_at = models.DateTimeField("decidido em", null=True, blank=True)
    rejection_reason = models.TextField("motivo da recusa", blank=True)
    follow_up = models.ForeignKey(
        Agendamento, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "orçamento"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.number} · {self.ficha.name}"

    @property
    def number(self) -> str:
        return f"ORC-{self.created_at:%Y}-{self.pk:05d}"

    @property
    def total(self) -> Decimal:
        return sum((item.total for item in self.items.all()), Decimal("0.00"))


class OrcamentoItem(models.Model):
    orcamento = models.ForeignKey(Orcamento, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name="produto")
    # Bounded so the item's sale fits Sale.total: a sent quote can always be accepted.
    quantity = models.PositiveIntegerField("quantidade", validators=quantity_validators())
    unit_price = models.DecimalField(
        "preço unitário",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=money_validators(MAX_UNIT_PRICE),
    )
    discount = models.DecimalField(
        "desconto (R$)",
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=money_validators(),
    )

    class Meta:
        verbose_name = "item do orçamento"
        verbose_name_plural = "itens do orçamento"
        ordering = ["pk"]

    def __str__(self):
        return f"{self.quantity} × {self.product}"

    @property
    def gross(self) -> Decimal:
        price = self.unit_price if self.unit_price is not None else self.product.unit_price
        return (price * self.quantity).quantize(Decimal("0.01"))

    @property
    def total(self) -> Decimal:
        return self.gross - self.discount
