"""G1: the contact log of a ficha (append-only)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .. import clock
from ..validators import validate_meaningful_text
from .agendamentos import Agendamento
from .fichas import Ficha, Product


class Movimentacao(models.Model):
    """G1: one logged contact or interaction on a ficha. Append-only: fix with a new entry."""

    class Channel(models.TextChoices):
        PHONE = "phone", "Telefone"
        CHAT = "chat", "Chat"
        EMAIL = "email", "E-mail"
        WHATSAPP = "whatsapp", "WhatsApp"

    class Reason(models.TextChoices):
        ERROR_RETURN = "error_return", "Retorno de erro"
        SALE = "sale", "Venda"
        OFFER = "offer", "Oferecimento de produto"
        USAGE = "usage", "Dúvida de uso"
        COMPLAINT = "complaint", "Reclamação"
        BILLING = "billing", "Cobrança"
        FOLLOW_UP = "follow_up", "Agendamento"
        TRAINING = "training", "Treinamento"
        ONBOARDING = "onboarding", "Onboarding"
        REGISTRATION = "registration", "Cadastro"
        OTHER = "other", "Outro"

    class Outcome(models.TextChoices):
        TALKED = "talked", "Contato realizado"
        NO_ANSWER = "no_answer", "Tentativa, cliente não atendeu"
        RESOLVED = "resolved", "Resolvido"
        FORWARDED = "forwarded", "Encaminhado"
        PENDING = "pending", "Pendente"

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="movimentacoes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        verbose_name="autor",
        db_index=False,  # (author, at) below serves it
    )
    at = models.DateTimeField("quando", default=clock.now, db_index=True)
    channel = models.CharField("canal", max_length=20, choices=Channel)
    reason = models.CharField("motivo", max_length=20, choices=Reason)
    outcome = models.CharField("resultado", max_length=20, choices=Outcome)
    text = models.TextField("o que foi feito", validators=[validate_meaningful_text])
    bitrix_link = models.URLField("link do Bitrix", max_length=500, blank=True)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, verbose_name="produto/serviço"
    )
    agendamento = models.ForeignKey(
        Agendamento,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="movimentacoes",
    )
    boleto_alert_given = models.BooleanField("cliente avisado dos boletos em aberto", default=False)

    class Meta:
        verbose_name = "movimentação"
        verbose_name_plural = "movimentações"
        ordering = ["-at", "-pk"]
        # The ficha's timeline; one author's day (the support routine, T2).
        indexes = [models.Index(fields=["ficha", "-at"]), models.Index(fields=["author", "at"])]

    def __str__(self):
        at = timezone.localtime(self.at)
        return f"{at:%d/%m/%Y %H:%M} {self.get_reason_display()}: {self.text[:50]}"
