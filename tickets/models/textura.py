"""Textura (T3, T5): architects with their change history, and packing lists (romaneios)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from workflows import clock
from workflows.models import WorkflowModel
from workflows.validators import validate_meaningful_text


class Architect(models.Model):
    """T3: a Textura architect: contacts, vínculos (stores, offices, clients) and notes."""

    TRACKED = ["name", "office", "email", "phone", "city", "links", "notes", "active"]

    name = models.CharField("nome", max_length=160, validators=[validate_meaningful_text])
    office = models.CharField("escritório", max_length=160, blank=True)
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField("telefone / WhatsApp", max_length=30, blank=True)
    city = models.CharField("cidade/UF", max_length=80, blank=True)
    links = models.TextField(
        "vínculos", blank=True, help_text="Lojas, escritórios ou clientes, um por linha."
    )
    notes = models.TextField("observações", blank=True)
    active = models.BooleanField("ativo", default=True)
    created_at = models.DateTimeField("incluído em", default=clock.now)
    updated_at = models.DateTimeField("atualizado em", default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="atualizado por",
    )

    class Meta:
        verbose_name = "arquiteto Textura"
        verbose_name_plural = "arquitetos Textura"
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def link_list(self) -> list[str]:
        return [line.strip() for line in self.links.splitlines() if line.strip()]


class ArchitectChange(models.Model):
    """T3: one add/update of an architect: who, when, and each field's old → new value."""

    architect = models.ForeignKey(Architect, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField("quando", default=clock.now)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created = models.BooleanField("inclusão", default=False)
    changes = models.JSONField("alterações", default=dict)

    class Meta:
        verbose_name = "alteração de arquiteto"
        verbose_name_plural = "alterações de arquitetos"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.architect} em {timezone.localtime(self.at):%d/%m/%Y %H:%M}"


class Romaneio(WorkflowModel):
    """T5: a Textura packing list: pendente → digitado → conferido (RomaneioFlow)."""

    state_machine_name = "tickets.statemachines.RomaneioFlow"

    class State(models.TextChoices):
        PENDING = "pendente", "Pendente"
        TYPED = "digitado", "Digitado"
        CHECKED = "conferido", "Conferido"

    number = models.CharField("número", max_length=30, unique=True)
    date = models.DateField("data")
    architect = models.ForeignKey(
        Architect,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="romaneios",
        verbose_name="arquiteto",
    )
    client = models.CharField("cliente", max_length=160, blank=True)
    store = models.CharField("loja", max_length=120)
    state = models.CharField(max_length=20, choices=State, default=State.PENDING, db_index=True)
    created_at = models.DateTimeField("registrado em", default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    typed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="digitado por",
    )
    typed_at = models.DateTimeField("digitado em", null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="conferido por",
    )
    checked_at = models.DateTimeField("conferido em", null=True, blank=True)

    class Meta:
        verbose_name = "romaneio Textura"
        verbose_name_plural = "romaneios Textura"
        ordering = ["-date", "-pk"]

    def __str__(self):
        return f"Romaneio {self.number}"


class RomaneioItem(models.Model):
    class Unit(models.TextChoices):
        UNIT = "un", "unidade"
        BOX = "cx", "caixa"
        SQUARE_METRE = "m2", "m²"
        METRE = "m", "metro"
        LITRE = "l", "litro"
        GALLON = "gl", "galão"
        KG = "kg", "kg"

    romaneio = models.ForeignKey(Romaneio, on_delete=models.CASCADE, related_name="items")
    product = models.CharField("produto", max_length=160, validators=[validate_meaningful_text])
    quantity = models.DecimalField(
        "quantidade",
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit = models.CharField("unidade", max_length=4, choices=Unit)

    class Meta:
        verbose_name = "item do romaneio"
        verbose_name_plural = "itens do romaneio"
        ordering = ["pk"]

    def __str__(self):
        return f"{self.quantity} {self.unit} {self.product}"
