"""S1: a sensitive-data change a third party proposed, pending the holder's validation."""

from django.conf import settings
from django.db import models

from .. import clock
from .base import WorkflowModel
from .fichas import Ficha


class DataChangeRequest(WorkflowModel):
    """S1: a sensitive-data change a third party proposed, pending the holder's validation."""

    state_machine_name = "workflows.statemachines.DataChangeFlow"

    class State(models.TextChoices):
        PENDING = "pending", "Aguardando o titular"
        CONFIRMED = "confirmed", "Confirmada pelo titular"
        REJECTED = "rejected", "Recusada pelo titular"
        EXPIRED = "expired", "Expirada"
        SUPERSEDED = "superseded", "Substituída por um pedido mais novo"

    SENSITIVE_FIELDS = {
        "document": "CPF/CNPJ do titular",
        "name": "nome do titular",
        "email": "e-mail do administrador",
        "oab": "OAB",
    }

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="data_changes")
    field = models.CharField("dado", max_length=20, choices=list(SENSITIVE_FIELDS.items()))
    old_value = models.CharField("valor atual", max_length=160, blank=True)
    new_value = models.CharField("valor proposto", max_length=160)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="registrado por"
    )
    third_party = models.CharField("terceiro que pediu", max_length=160)
    sent_to = models.EmailField("enviado para")
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField("expira em")
    state = models.CharField(max_length=20, choices=State, default=State.PENDING)
    # A newer pending change of the same field of the same ficha replaces this one (it ends
    # expired and can no longer be confirmed).
    superseded_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="substituída pelo pedido",
    )

    class Meta:
        verbose_name = "alteração de dado sensível"
        verbose_name_plural = "alterações de dados sensíveis"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["ficha", "field", "state"], name="data_change_pending")]

    def __str__(self):
        return f"{self.get_field_display()} de {self.ficha.name}: {self.get_state_display()}"

    @property
    def superseded(self) -> bool:
        return self.superseded_by_id is not None
