"""S8: incoming contacts guided through the passos."""

from django.conf import settings
from django.db import models

from .. import clock
from .agendamentos import Agendamento
from .base import WorkflowModel
from .fichas import Ficha, Product
from .movimentacoes import Movimentacao
from .sales import Sale


class Triage(WorkflowModel):
    """S8: one incoming contact (chat, e-mail, phone, WhatsApp) guided through the passos."""

    state_machine_name = "workflows.statemachines.TriageFlow"

    class State(models.TextChoices):
        OFFERED_TO_OWNER = "offered_to_owner", "1º passo: oferecido ao dono do agendamento"
        OFFERED_TO_TEAM = "offered_to_team", "1º passo: aguardando um vendedor disponível"
        HANDED_OFF = "handed_off", "Repassado: vendedor atendendo"
        SELLING = "selling", "2º passo: venda agora"
        TO_COMERCIAL = "to_comercial", "3º passo: com o comercial"
        OPEN = "open", "1º passo: abrindo a ficha"
        PRICE_SENT = "price_sent", "Preço enviado: aguardando retorno"
        SOLD = "sold", "Vendido"
        CLOSED = "closed", "Encerrado sem venda"

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="triages")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name="produto")
    channel = models.CharField("canal", max_length=20, choices=Movimentacao.Channel)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="triages_started"
    )
    started_at = models.DateTimeField(default=clock.now, db_index=True)
    state = models.CharField(max_length=20, choices=State, default=State.OPEN)
    reserved_by = models.ForeignKey(
        Agendamento, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="triage_offers",
    )
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    attendant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="triages_attended",
        verbose_name="quem atende",
    )
    context = models.TextField("contexto", blank=True)
    sale = models.ForeignKey(Sale, null=True, blank=True, on_delete=models.PROTECT)
    follow_up = models.ForeignKey(
        Agendamento, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "atendimento receptivo"
        verbose_name_plural = "atendimentos receptivos"
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["state", "offered_to"])]

    def __str__(self):
        return f"{self.ficha.name} · {self.product} · {self.get_channel_display()}"

    @property
    def passo(self) -> str:
        if self.state in (self.State.OPEN, self.State.OFFERED_TO_OWNER, self.State.OFFERED_TO_TEAM):
            return "1º passo"
        if self.state == self.State.TO_COMERCIAL:
            return "3º passo"
        return "2º passo"
