"""A new client's onboarding (G5): its steps and the upsell answers."""

from django.conf import settings
from django.db import models

from workflows import clock
from workflows.models import Ficha, WorkflowModel


class Onboarding(WorkflowModel):
    """G7: the checklist every new registration goes through. `origin` is the ficha whose
    registration started it (one onboarding per registration, never moved); `ficha` is where
    it lives now — a merge moves it to the kept ficha with its progress."""

    state_machine_name = "onboarding.statemachines.OnboardingFlow"
    merge_keeps_in_place = ("origin",)

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "Em andamento"
        COMPLETED = "completed", "Concluído"

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="onboardings")
    origin = models.OneToOneField(
        Ficha, on_delete=models.PROTECT, related_name="+", verbose_name="cadastro de origem"
    )
    state = models.CharField(max_length=20, choices=State, default=State.IN_PROGRESS)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="cadastrado por",
    )
    started_at = models.DateTimeField("iniciado em", default=clock.now, db_index=True)
    completed_at = models.DateTimeField("concluído em", null=True, blank=True)
    call_agendamento = models.ForeignKey(
        "workflows.Agendamento",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="agendamento #onboarding 1º contato",
    )

    class Meta:
        verbose_name = "onboarding"
        verbose_name_plural = "onboardings"
        ordering = ["started_at", "pk"]

    def __str__(self):
        return f"Onboarding de {self.ficha.name}"


class OnboardingStep(WorkflowModel):
    """One item of the G7 checklist: pending → feito, or dispensado with a reason."""

    state_machine_name = "onboarding.statemachines.OnboardingStepFlow"

    class Kind(models.TextChoices):
        INTIMACAO = "intimacao", "Habilitar intimação"
        CALL = "call", "Ligação de onboarding"
        PRESENTATION = "presentation", "Apresentar o sistema"
        TRAINING = "training", "Agendar treinamento"
        UPSELL = "upsell", "Incluir mais produtos (advogados, estados, beneficiários)"

    class State(models.TextChoices):
        PENDING = "pending", "Pendente"
        DONE = "done", "Feito"
        SKIPPED = "skipped", "Dispensado"

    onboarding = models.ForeignKey(Onboarding, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField("etapa", max_length=20, choices=Kind)
    state = models.CharField(max_length=20, choices=State, default=State.PENDING)
    note = models.TextField("registro", blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(null=True, blank=True)

    ORDER = [k.value for k in Kind]

    class Meta:
        verbose_name = "etapa do onboarding"
        verbose_name_plural = "etapas do onboarding"
        ordering = ["onboarding", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["onboarding", "kind"], name="one_step_per_kind")
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.get_state_display()}"


class UpsellAnswer(models.Model):
    """G7 upsell check: one recorded answer (more lawyers, more states, beneficiários).
    Append-only: answering again adds a row; the latest answer per question counts."""

    class Question(models.TextChoices):
        LAWYERS = "lawyers", "Tem mais advogados?"
        STATES = "states", "Atua em mais estados?"
        BENEFICIARIES = "beneficiaries", "Tem beneficiários?"

    onboarding = models.ForeignKey(Onboarding, on_delete=models.PROTECT, related_name="answers")
    question = models.CharField("pergunta", max_length=20, choices=Question)
    yes = models.BooleanField("resposta: sim")
    details = models.TextField("detalhes", blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=clock.now)
    follow_up = models.ForeignKey(
        "workflows.Agendamento",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="agendamento da oportunidade",
    )
    orcamento = models.ForeignKey(
        "workflows.Orcamento",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="orçamento da oportunidade",
    )

    class Meta:
        verbose_name = "resposta do upsell"
        verbose_name_plural = "respostas do upsell"
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_question_display()} {'sim' if self.yes else 'não'}"

    @property
    def is_opportunity(self) -> bool:
        return self.yes
