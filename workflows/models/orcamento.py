"""G8: consultative quotes (orçamentos), their items, and their discounts to the centavo."""

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .. import clock
from ..formatting import brl, percent
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

CENT = Decimal("0.01")
MAX_PERCENT = Decimal("100")


def cents(value) -> Decimal:
    """Exact to the centavo, half up (12,345 → 12,35)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_validators() -> list:
    return [
        MinValueValidator(Decimal("0"), "O desconto não pode ser negativo."),
        MaxValueValidator(MAX_PERCENT, "O desconto máximo é 100%%."),
    ]


def percent_field(label: str):
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=percent_validators(),
    )


def discount_of(base: Decimal, percentage: Decimal | None, amount: Decimal) -> Decimal:
    """A discount given as a percentage (rounded half up to the centavo) or an amount."""
    if percentage is not None:
        return cents(base * percentage / 100)
    return cents(amount or 0)


def spread(discount: Decimal, bases: list[Decimal]) -> list[Decimal]:
    """The whole-quote discount split over the items, exact to the centavo.

    Each item gets its share in proportion to its value (after its own discount), rounded
    *down* to the centavo; the centavos left over (fewer than the number of items) go one
    each to the items whose shares lost the most in that rounding — on a tie, to the item
    listed first. The shares therefore add up exactly to the discount, no item's share passes
    its value, and the items' net totals add up exactly to the quote's total."""
    whole = sum(bases, Decimal("0"))
    discount = min(cents(discount), whole)
    if whole <= 0 or discount <= 0:
        return [Decimal("0.00") for _ in bases]
    exact = [discount * base / whole for base in bases]
    shares = [share.quantize(CENT, rounding=ROUND_DOWN) for share in exact]
    left = int((discount - sum(shares, Decimal("0"))) / CENT)
    by_loss = sorted(range(len(bases)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_loss[:left]:
        shares[i] += CENT
    return shares


@dataclass(frozen=True)
class PricedItem:
    """One line of the quote: gross, its own discount, its share of the quote's discount."""

    item: "OrcamentoItem"
    gross: Decimal
    item_discount: Decimal
    quote_discount: Decimal

    @property
    def subtotal(self) -> Decimal:
        return self.gross - self.item_discount

    @property
    def discount(self) -> Decimal:
        """Everything off this item (what its sale records as the discount)."""
        return self.item_discount + self.quote_discount

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.quote_discount

    @property
    def item_discount_label(self) -> str:
        """ "10% · R$ 26,97", "R$ 5,00" or "" (pt-BR, for the page and the document)."""
        return _label(self.item.discount_percent, self.item_discount)


@dataclass(frozen=True)
class QuotePricing:
    lines: list[PricedItem]
    subtotal: Decimal  # the items after their own discounts
    discount: Decimal  # the whole-quote discount, in R$
    discount_percent: Decimal | None

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount

    @property
    def has_discount(self) -> bool:
        return self.discount > 0 or any(line.item_discount > 0 for line in self.lines)

    @property
    def discount_label(self) -> str:
        return _label(self.discount_percent, self.discount)


def _label(percentage: Decimal | None, amount: Decimal) -> str:
    if percentage:
        return f"{percent(percentage)} · {brl(amount)}"
    return brl(amount) if amount else ""


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

    class RejectionKind(models.TextChoices):
        """G8: why the client refused (issue 19 counts the refusals per reason)."""

        PRICE = "price", "Preço"
        DEADLINE = "deadline", "Prazo"
        COMPETITOR = "competitor", "Escolheu um concorrente"
        NO_BUDGET = "no_budget", "Desistiu / sem verba"
        OTHER = "other", "Outro"

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
    rejection_kind = models.CharField(
        "motivo da recusa", max_length=20, choices=RejectionKind, blank=True
    )
    rejection_reason = models.TextField("detalhes da recusa", blank=True)
    follow_up = models.ForeignKey(
        Agendamento, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The whole-quote discount: a percentage of the items' value, or an amount (one of them).
    discount_percent = percent_field("desconto no orçamento (%)")
    discount_amount = models.DecimalField(
        "desconto no orçamento (R$)",
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=money_validators(),
    )

    class Meta:
        verbose_name = "orçamento"
        ordering = ["-created_at", "-pk"]
        # Indicadores: the orçamentos created in a period (issue 19).
        indexes = [models.Index(fields=["created_at"], name="orcamento_created_at")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discount_percent__isnull=True) | models.Q(discount_amount=0),
                name="orcamento_discount_percent_or_amount",
            )
        ]

    def __str__(self):
        return f"{self.number} · {self.ficha.name}"

    @property
    def number(self) -> str:
        return f"ORC-{self.created_at:%Y}-{self.pk:05d}"

    def pricing(self, items=None) -> QuotePricing:
        """G8: every line's discounts and the total, computed from the items' values (the
        frozen price once priced, the catalogue's before) — the one place they are decided."""
        items = list(self.items.select_related("product")) if items is None else list(items)
        bases = [item.gross - item.item_discount for item in items]
        subtotal = sum(bases, Decimal("0.00"))
        discount = min(discount_of(subtotal, self.discount_percent, self.discount_amount), subtotal)
        shares = spread(discount, bases)
        lines = [
            PricedItem(item, item.gross, item.item_discount, share)
            for item, share in zip(items, shares, strict=True)
        ]
        return QuotePricing(lines, subtotal, sum(shares, Decimal("0.00")), self.discount_percent)

    @property
    def total(self) -> Decimal:
        return self.pricing().total


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
    # The item's own discount: a percentage (then `discount` is its value in R$, kept by the
    # services) or an amount in R$ (`discount_percent` empty).
    discount_percent = percent_field("desconto (%)")
    discount = models.DecimalField(
        "desconto (R$)",
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=money_validators(),
    )
    # Its share of the whole-quote discount, as the services last spread it (for readers in
    # SQL; `Orcamento.pricing` computes it).
    quote_discount = models.DecimalField(
        "parte do desconto no orçamento (R$)",
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
    def price(self) -> Decimal:
        """The frozen price once priced (G8), the catalogue's before."""
        return self.unit_price if self.unit_price is not None else self.product.unit_price

    @property
    def gross(self) -> Decimal:
        return cents(self.price * self.quantity)

    @property
    def item_discount(self) -> Decimal:
        return discount_of(self.gross, self.discount_percent, self.discount)

    @property
    def total(self) -> Decimal:
        """After its own discount and its share of the quote's (as last spread)."""
        return self.gross - self.item_discount - self.quote_discount
