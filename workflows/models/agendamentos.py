"""S2, G6: agendamentos (follow-ups), their five types and deadlines."""

from django.conf import settings
from django.db import models

from .. import clock
from ..validators import validate_sane_date
from .base import WorkflowModel
from .fichas import Ficha, Product


class AgendamentoKind(models.TextChoices):
    """G6: exactly the five types of the rulebook, nothing free-form."""

    SALE_WITH_CONTACT = "venda_com_contato", "#venda/tratativas com contato"
    SALE_WITHOUT_CONTACT = "venda_sem_contato", "#venda/tratativas sem contato"
    WITHOUT_CONTACT = "tratativas_sem_contato", "#tratativas sem contato"
    ONBOARDING = "onboarding", "#onboarding 1º contato"
    SUPPORT = "suporte", "#suporte"


class Agendamento(WorkflowModel):
    """A follow-up owned by one agent, about one product (S2 deadlines, G6 types)."""

    state_machine_name = "workflows.statemachines.AgendamentoFlow"

    class State(models.TextChoices):
        ACTIVE = "active", "Ativo"
        RENEWED = "renewed", "Renovado"
        CONCLUDED = "concluded", "Concluído"
        EXPIRED = "expired", "Expirado"
        CANCELLED = "cancelled", "Cancelado"

    LIVE = (State.ACTIVE, State.RENEWED)

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="agendamentos")
    kind = models.CharField("tipo", max_length=30, choices=AgendamentoKind)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name="produto/serviço")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="agendamentos",
        verbose_name="responsável",
    )
    is_inactivation = models.BooleanField("sobre inativação", default=False)
    state = models.CharField(max_length=20, choices=State, default=State.ACTIVE)
    created_at = models.DateTimeField("criado em", default=clock.now)
    scheduled_for = models.DateField("agendado para", validators=[validate_sane_date])
    due_date = models.DateField("prazo", validators=[validate_sane_date])
    renewed = models.BooleanField("renovado", default=False)
    manager_validated = models.BooleanField("validado pelo gestor", default=False)
    summary = models.CharField("resumo", max_length=80)
    # S2: set past its deadline and not validated by a manager: the console lists these.
    # Stored by the database, so PostgreSQL keeps statistics on it: it guessed a third of all
    # rows for the two-column comparison, and so re-planned the console's query every time.
    awaiting_validation = models.GeneratedField(
        expression=models.Q(manager_validated=False, scheduled_for__gt=models.F("due_date")),
        output_field=models.BooleanField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = "agendamento"
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["ficha", "state"]),
            models.Index(fields=["owner", "state"]),
            # The manager console: recently expired ones, latest first (the id breaks ties, so
            # the 30 rows shown come straight off the index, unsorted)...
            models.Index(fields=["state", "due_date", "id"]),
            # ... and the live ones waiting for validation (S2): only those are in this index.
            models.Index(
                fields=["state", "kind", "due_date"],
                condition=models.Q(awaiting_validation=True),
                name="agendamento_to_validate",
            ),
            # Indicadores: the agendamentos opened in a period (issue 19).
            models.Index(fields=["created_at"], name="agendamento_created_at"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.product} · {self.owner}"

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE

    @property
    def with_contact(self) -> bool:
        return self.kind == AgendamentoKind.SALE_WITH_CONTACT
