"""G3stor tickets (T2, T4): their SLA policy and clock (T6), SLA alerts and the GitHub
webhook deliveries (T7). Their notes (the conversation) are in `notes.py`."""

import datetime as dt
import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from workflows import clock
from workflows.models import Ficha, Movimentacao, WorkflowModel
from workflows.validators import validate_meaningful_text

# T6: at most about a year of business minutes (9 h × ~260 days): a deadline stays computable.
MAX_SLA_MINUTES = 150_000
SLA_MINUTES = [
    MinValueValidator(1, "Use ao menos 1 minuto útil."),
    MaxValueValidator(MAX_SLA_MINUTES, "No máximo 150.000 minutos úteis (cerca de um ano)."),
]


class SlaPolicy(models.Model):
    """T6: targets in business minutes (company calendar + working hours, São Paulo)."""

    name = models.CharField("nome", max_length=80, unique=True)
    priority = models.CharField(
        "prioridade padrão", max_length=2, blank=True, help_text="P1…P4: aplicada a novos chamados"
    )
    first_response_minutes = models.PositiveIntegerField(
        "primeira resposta (minutos úteis)", validators=SLA_MINUTES
    )
    next_update_minutes = models.PositiveIntegerField(
        "próxima atualização (minutos úteis)", validators=SLA_MINUTES
    )
    resolution_minutes = models.PositiveIntegerField(
        "resolução (minutos úteis)", validators=SLA_MINUTES
    )
    work_start = models.TimeField("início do expediente", default=dt.time(9, 0))
    work_end = models.TimeField("fim do expediente", default=dt.time(18, 0))
    time_zone = models.CharField("fuso horário", max_length=40, default="America/Sao_Paulo")
    warn_percent = models.PositiveSmallIntegerField(
        "avisar em (%)", default=80, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )

    class Meta:
        verbose_name = "política de SLA"
        verbose_name_plural = "políticas de SLA"
        ordering = ["priority", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.work_start and self.work_end and self.work_end <= self.work_start:
            raise ValidationError({"work_end": "O fim do expediente deve ser depois do início."})
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            raise ValidationError({"time_zone": "Fuso horário desconhecido."}) from None


class Level(models.IntegerChoices):
    LOW = 1, "Baixa"
    MEDIUM = 2, "Média"
    HIGH = 3, "Alta"
    CRITICAL = 4, "Crítica"


class Ticket(WorkflowModel):
    """T2/T4: a G3stor ticket; its state moves only through `TicketFlow` (audited)."""

    state_machine_name = "tickets.statemachines.TicketFlow"

    class State(models.TextChoices):
        OPEN = "aberto", "Aberto"
        ANALYSIS = "em_analise", "Em análise"
        WAITING_CLIENT = "aguardando_cliente", "Aguardando cliente"
        DEVELOPMENT = "em_desenvolvimento", "Em desenvolvimento"
        DONE = "concluido", "Concluído"
        MERGED = "mesclado", "Mesclado"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        PHONE = "phone", "Telefone"
        CHAT = "chat", "Chat"
        WHATSAPP = "whatsapp", "WhatsApp"
        REVIEW = "review", "Revisão dos atendimentos"
        OTHER = "other", "Outro"

    ficha = models.ForeignKey(
        Ficha,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name="ficha do cliente",
    )
    requester = models.CharField("cliente / contato", max_length=160, blank=True)
    requester_email = models.EmailField("e-mail do cliente", blank=True)
    channel = models.CharField("canal", max_length=20, choices=Channel)
    subject = models.CharField("assunto", max_length=200, validators=[validate_meaningful_text])
    description = models.TextField("descrição", validators=[validate_meaningful_text])
    urgency = models.PositiveSmallIntegerField("urgência", choices=Level, default=Level.MEDIUM)
    impact = models.PositiveSmallIntegerField(
        "impacto no cliente", choices=Level, default=Level.MEDIUM
    )
    sla_policy = models.ForeignKey(
        SlaPolicy, on_delete=models.PROTECT, related_name="tickets", verbose_name="SLA"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets_assigned",
        verbose_name="responsável",
    )
    state = models.CharField(max_length=20, choices=State, default=State.OPEN, db_index=True)
    created_at = models.DateTimeField("aberto em", default=clock.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets_created",
        verbose_name="aberto por",
    )
    # T6: the SLA clock.
    first_response_at = models.DateTimeField("primeira resposta em", null=True, blank=True)
    # Issue 19: the business minutes (SLA clock) from opening to these moments, stamped when
    # they happen (tickets.business_time).
    response_business_minutes = models.PositiveIntegerField(
        "primeira resposta em minutos úteis", null=True, blank=True, editable=False
    )
    last_response_at = models.DateTimeField("última resposta em", null=True, blank=True)
    response_due_at = models.DateTimeField("retorno ao cliente até", null=True, blank=True)
    resolution_due_at = models.DateTimeField("resolução até", null=True, blank=True)
    resolved_at = models.DateTimeField("concluído em", null=True, blank=True)
    resolution_business_minutes = models.PositiveIntegerField(
        "conclusão em minutos úteis", null=True, blank=True, editable=False
    )
    response_since = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_since = models.DateTimeField(null=True, blank=True, editable=False)
    # T6: the nearest deadline while the client waits for us; kept by save() so the queue is an
    # index scan on a large base.
    next_breach_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    # T7: the GitHub issue.
    github_issue_url = models.URLField("issue no GitHub", blank=True)
    github_issue_number = models.PositiveIntegerField("número da issue", null=True, blank=True)
    github_issue_state = models.CharField("estado da issue", max_length=20, blank=True)
    # T7: set when GitHub transferred the issue: the link then follows the new issue.
    github_issue_moved_from = models.CharField("issue transferida de", max_length=200, blank=True)
    github_pending = models.BooleanField("criação da issue pendente", default=False)
    github_error = models.CharField("último erro do GitHub", max_length=300, blank=True)
    github_attempts = models.PositiveSmallIntegerField("tentativas no GitHub", default=0)
    needs_development = models.BooleanField("precisa de desenvolvimento (GitHub)", default=False)
    # T2: the attendance of the day before this ticket was opened from ("revisar ontem").
    source_movimentacao = models.ForeignKey(
        Movimentacao,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name="atendimento de origem",
    )

    # T1: an e-mail whose [#N] tag or In-Reply-To pointed at ticket N although its sender is
    # not that ticket's client: it opened this ticket instead, for support to link it.
    suspected_reply_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="suspected_replies",
        verbose_name="possível resposta ao chamado",
    )

    # T4: merged into the ticket kept (`tickets.merge`): its thread and GitHub link went there.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        verbose_name="mesclado em",
    )

    ACTIVE = (State.OPEN, State.ANALYSIS, State.WAITING_CLIENT, State.DEVELOPMENT)
    WAITING_FOR_US = (State.OPEN, State.ANALYSIS, State.DEVELOPMENT)

    class Meta:
        verbose_name = "chamado"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "response_due_at"]),
            # T8: the routine counts the open e-mail tickets.
            models.Index(fields=["channel", "state"]),
            # T7: the webhook finds a ticket by its issue (number, then the issue's URL).
            models.Index(
                fields=["github_issue_number"],
                name="ticket_github_issue",
                condition=models.Q(github_issue_number__isnull=False),
            ),
            # Indicadores: the tickets concluded in a period (issue 19).
            models.Index(fields=["resolved_at"], name="ticket_resolved_at"),
            # T8: the routine's open tickets untouched since the review day, among a base that
            # is mostly concluded (by creation date alone SQLite read every older ticket).
            models.Index(fields=["state", "created_at"], name="ticket_state_opened"),
            # T7/T8: the few tickets still to open on GitHub, out of the whole base.
            models.Index(
                fields=["state"],
                name="ticket_to_open_on_github",
                condition=models.Q(github_issue_number__isnull=True)
                & (models.Q(needs_development=True) | models.Q(github_pending=True)),
            ),
        ]

    def __str__(self):
        return f"{self.tag} {self.subject}"

    def next_breach(self):
        """T6: the nearest SLA deadline while the client waits for us (None otherwise)."""
        if self.state not in self.WAITING_FOR_US:
            return None
        return min(filter(None, (self.response_due_at, self.resolution_due_at)), default=None)

    def save(self, *args, **kwargs):
        self.next_breach_at = self.next_breach()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "next_breach_at"}
        super().save(*args, **kwargs)

    @property
    def tag(self) -> str:
        return f"[#{self.pk}]"

    @property
    def priority_score(self) -> int:
        """T6: priority from urgency × impact (1…16)."""
        return self.urgency * self.impact

    @property
    def priority(self) -> str:
        return priority_for(self.urgency, self.impact)

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def github_repository(self) -> str:
        """T7: "owner/name" of the linked issue, read from its stored URL ("" if none)."""
        parts = urlsplit(self.github_issue_url).path.strip("/").split("/")
        return "/".join(parts[:2]) if len(parts) >= 4 and parts[2] == "issues" else ""

    @property
    def github_issue_state_label(self) -> str:
        """T7: the issue's state in the users' words (aberta, fechada, apagada no GitHub),
        and where it came from when GitHub transferred it."""
        label = GITHUB_ISSUE_STATES.get(self.github_issue_state, "")
        if self.github_issue_moved_from:
            moved = f"transferida de {self.github_issue_moved_from} para {self.github_repository}"
            label = f"{label} · {moved}" if label else moved
        return label

    @property
    def waits_for_us(self) -> bool:
        """T6: the client waits for a return from us (not while we wait for the client)."""
        return self.state in (self.State.OPEN, self.State.ANALYSIS, self.State.DEVELOPMENT)


# T7: the issue's state as the webhook keeps it ("deleted": the issue was deleted on GitHub).
GITHUB_ISSUE_STATES = {"open": "aberta", "closed": "fechada", "deleted": "apagada no GitHub"}


def priority_for(urgency: int, impact: int) -> str:
    """T6: P1 (most urgent) … P4 from urgency × impact."""
    score = urgency * impact
    if score >= 12:
        return "P1"
    if score >= 6:
        return "P2"
    if score >= 3:
        return "P3"
    return "P4"


class TicketAlert(models.Model):
    """T6: an SLA warning (80 %) to the assignee or a breach escalated to the managers."""

    class Kind(models.TextChoices):
        WARNING = "warning", "Aviso (prazo perto de vencer)"
        BREACH = "breach", "Estouro (escalado ao gestor)"

    class Target(models.TextChoices):
        RESPONSE = "response", "retorno ao cliente"
        RESOLUTION = "resolution", "resolução"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField("tipo", max_length=10, choices=Kind)
    target = models.CharField("prazo", max_length=12, choices=Target)
    at = models.DateTimeField("quando", default=clock.now)
    due_at = models.DateTimeField("prazo em")
    recipients = models.TextField("enviado para", blank=True)

    class Meta:
        verbose_name = "alerta de SLA"
        verbose_name_plural = "alertas de SLA"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_target_display()} · {self.ticket.tag}"


class GithubDelivery(models.Model):
    """T7: every webhook delivery processed, applied once: a replayed `X-GitHub-Delivery`
    (compared whole, by its hash) or the same change under a new delivery id (`event_key`:
    event, issue, action, comment id, issue update time) is ignored."""

    delivery_id = models.CharField("entrega", max_length=255)
    delivery_hash = models.CharField(  # noqa: DJ001 (NULL: unique, and rows from before)
        max_length=64, unique=True, null=True, editable=False
    )
    event_key = models.CharField(  # noqa: DJ001 (NULL: unique, and rows from before)
        max_length=64, unique=True, null=True, editable=False
    )
    event = models.CharField("evento", max_length=40)
    action = models.CharField("ação", max_length=40, blank=True)
    received_at = models.DateTimeField("recebida em", default=clock.now)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    outcome = models.CharField("resultado", max_length=200, blank=True)

    class Meta:
        verbose_name = "entrega do webhook do GitHub"
        verbose_name_plural = "entregas do webhook do GitHub"
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return f"{self.event}/{self.action} {self.delivery_id}"
