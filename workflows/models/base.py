"""The workflow machinery every app builds on: the state-machine base model, the audit trail,
the manager's overrides (M1), the company calendar and the timers."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.module_loading import import_string

from .. import clock
from ..validators import validate_meaningful_text


class WorkflowModel(models.Model):
    """A model whose state field is driven by one python-statemachine StateMachine.

    Subclasses set `state_machine_name` (dotted path into their app's statemachines.py) and
    declare the state field. The machine is built lazily, so listing rows builds none.
    State changes go through `workflows.engine.transition`, never by assigning the field.
    """

    state_machine_name: str = ""
    state_field_name: str = "state"
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        abstract = True

    @classmethod
    def machine_class(cls):
        return import_string(cls.state_machine_name)

    @cached_property
    def machine(self):
        return self.machine_class()(self, state_field=self.state_field_name)

    @property
    def state_value(self) -> str:
        return getattr(self, self.state_field_name)

    @property
    def state_label(self) -> str:
        return getattr(self, f"get_{self.state_field_name}_display")()

    def refresh_from_db(self, *args, **kwargs):
        self.__dict__.pop("machine", None)
        super().refresh_from_db(*args, **kwargs)


class ObjectRef(models.Model):
    """A pointer to any row: the audit trail and overrides attach to every kind of record."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["content_type", "object_id"])]

    @classmethod
    def for_object(cls, obj):
        return cls.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        )


class AuditEntry(ObjectRef):
    """One transition: who, when, from, to, event, reason and the rule IDs that applied."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    at = models.DateTimeField(default=clock.now, db_index=True)
    event = models.CharField(max_length=64)
    from_state = models.CharField(max_length=64)
    to_state = models.CharField(max_length=64)
    reason = models.TextField(blank=True)
    rule_ids = models.JSONField(default=list, blank=True)

    class Meta(ObjectRef.Meta):
        verbose_name = "registro de auditoria"
        verbose_name_plural = "auditoria"
        ordering = ["at", "pk"]

    def __str__(self):
        who = self.actor or "sistema"
        at = timezone.localtime(self.at)
        return f"{at:%d/%m/%Y %H:%M} {who}: {self.event} ({self.from_state} → {self.to_state})"


class Override(ObjectRef):
    """M1: a manager's written decision to override a rule's outcome on one record."""

    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    # The client the record belongs to, so a ficha lists its exceptions in one indexed query.
    ficha = models.ForeignKey(
        "Ficha", null=True, blank=True, on_delete=models.PROTECT, related_name="overrides"
    )
    at = models.DateTimeField(default=clock.now, db_index=True)
    rule_id = models.CharField("regra", max_length=8)
    reason = models.TextField("justificativa", validators=[validate_meaningful_text])
    details = models.JSONField(default=dict, blank=True)

    class Meta(ObjectRef.Meta):
        verbose_name = "exceção do gestor"
        verbose_name_plural = "exceções do gestor"
        ordering = ["at", "pk"]

    def __str__(self):
        at = timezone.localtime(self.at)
        return f"{self.rule_id} por {self.manager} em {at:%d/%m/%Y}: {self.reason[:60]}"


class CompanyHoliday(models.Model):
    """One day of the company calendar (S2, T6). The official holidays of the configured state
    and city (`workflows.businessdays`) are closed even without a row; a row closes any other
    day (`closed`), or opens an official holiday the company works on (`closed=False`)."""

    class Kind(models.TextChoices):
        NATIONAL = "national", "Feriado nacional"
        STATE = "state", "Feriado estadual"
        CITY = "city", "Feriado municipal"
        OPTIONAL = "optional", "Ponto facultativo"
        COMPANY = "company", "Dia da empresa"

    date = models.DateField("data", unique=True)
    name = models.CharField("nome", max_length=80)
    kind = models.CharField("tipo", max_length=10, choices=Kind.choices, default=Kind.COMPANY)
    closed = models.BooleanField(
        "empresa fechada",
        default=True,
        help_text="Desmarque para trabalhar normalmente neste dia (mesmo sendo feriado): "
        "apagar a linha de um feriado oficial não abre o dia.",
    )

    class Meta:
        verbose_name = "dia sem expediente"
        verbose_name_plural = "calendário da empresa"
        ordering = ["date"]

    def __str__(self):
        state = "" if self.closed else " (expediente normal)"
        return f"{self.date:%d/%m/%Y} {self.name}{state}"


class Timer(ObjectRef):
    """A deadline on a row: a django-q2 one-off task fires it, the minute sweep backs it up.

    A handler that raises is tried again later (`retry_at`, backing off); after
    `timers.MAX_ATTEMPTS` errors the timer ends as "falhou" for a manager to retry. `effects`
    lists the side effects (e-mails) a firing already did, so a retry skips them
    (`timers.once`)."""

    class Outcome(models.TextChoices):
        PENDING = "", "Aguardando"
        FIRED = "fired", "Disparado"
        STALE = "stale", "Sem efeito: o registro mudou"
        REFUSED = "refused", "Recusado pela regra"
        CANCELLED = "cancelled", "Cancelado"
        FAILED = "failed", "Falhou"

    # What a timer does, in the users' words (the manager console's "falhou" list).
    KEY_LABELS = {
        "expiry": "Expiração",
        "reminder": "Lembrete do treinamento (e-mails)",
        "owner-offer": "Fim da vez do responsável (1º passo)",
        "validity": "Fim da validade do orçamento",
        "github_retry": "Nova tentativa de abrir a issue no GitHub",
        "sla_response_warning": "Aviso de SLA de resposta",
        "sla_response_breach": "SLA de resposta estourado",
        "sla_resolution_warning": "Aviso de SLA de solução",
        "sla_resolution_breach": "SLA de solução estourado",
    }

    key = models.CharField(max_length=40)
    handler = models.CharField(max_length=200)
    due_at = models.DateTimeField(db_index=True)
    armed_state = models.CharField(max_length=64, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, blank=True, choices=Outcome)
    attempts = models.PositiveSmallIntegerField("tentativas com erro", default=0)
    last_error = models.CharField("último erro", max_length=300, blank=True)
    retry_at = models.DateTimeField("próxima tentativa", null=True, blank=True)
    effects = models.JSONField("efeitos já feitos", default=list, blank=True)

    class Meta:
        verbose_name = "prazo"
        verbose_name_plural = "prazos"
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "key"], name="one_timer_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["fired_at", "due_at"]),
            # the manager console's "falhou" list
            models.Index(
                fields=["-fired_at"], condition=models.Q(outcome="failed"), name="timer_failed"
            ),
        ]

    def __str__(self):
        due = timezone.localtime(self.due_at)
        return f"{self.key} de {self.content_type.model} #{self.object_id} em {due:%d/%m/%Y %H:%M}"

    @property
    def schedule_name(self) -> str:
        return f"timer:{self.pk}"

    @property
    def what(self) -> str:
        """What the timer does (a merge may have suffixed its key with `@ficha<pk>`)."""
        return self.KEY_LABELS.get(self.key.split("@", 1)[0], self.key)

    # What went wrong, in the manager's words, by the kind of error `timers` recorded
    # ("SMTPRecipientsRefused: …"): the console never shows the technical text, which stays in
    # `last_error` (the admin) and in the log.
    PROBLEMS = (
        (("SMTP",), "O servidor de e-mail recusou a mensagem ou não respondeu."),
        (
            ("GitHub", "Connection", "Timeout", "timeout", "OSError", "gaierror", "URLError"),
            "Um serviço externo (e-mail, GitHub) não respondeu.",
        ),
        (
            ("OperationalError", "DatabaseError", "InterfaceError"),
            "O banco de dados estava ocupado ou fora do ar.",
        ),
        (("Rotina ",), "A rotina deste prazo não existe nesta versão do sistema."),
    )
    UNEXPECTED = "Erro inesperado do sistema (o detalhe fica no registro técnico)."

    @property
    def problem(self) -> str:
        """Why the timer failed, for the manager console's "falhou" list."""
        if not self.last_error:
            return ""
        kind = self.last_error.split(":", 1)[0]
        for prefixes, text in self.PROBLEMS:
            if any(kind.startswith(p) or p in kind for p in prefixes):
                return text
        return self.UNEXPECTED
