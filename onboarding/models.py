"""New registrations: duplicate detection and lossless merge (G7)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from workflows import clock
from workflows.models import Ficha, Movimentacao, WorkflowModel
from workflows.validators import validate_sane_date


class FichaKeys(models.Model):
    """G7: the normalised keys of one ficha (CPF/CNPJ, e-mail, phone E.164, OAB), indexed so
    detection on create/edit is a few indexed lookups. Refreshed on every save of the ficha."""

    # A merge never moves this row: it describes the ficha it belongs to.
    merge_keeps_in_place = ("ficha",)

    ficha = models.OneToOneField(
        Ficha, on_delete=models.CASCADE, primary_key=True, related_name="duplicate_keys"
    )
    document = models.CharField("CPF/CNPJ", max_length=14, blank=True, db_index=True)
    email = models.CharField("e-mail", max_length=254, blank=True, db_index=True)
    phone = models.CharField("telefone (E.164)", max_length=16, blank=True, db_index=True)
    oab = models.CharField("OAB", max_length=24, blank=True, db_index=True)

    class Meta:
        verbose_name = "chaves de duplicidade"
        verbose_name_plural = "chaves de duplicidade"

    def __str__(self):
        return f"{self.ficha_id}: {self.document} {self.email} {self.phone} {self.oab}"


class NameWord(models.Model):
    """One searchable word of a ficha's name (keys.name_words), indexed so the name search is
    a prefix range per word, not a scan of every name. Refreshed with the keys."""

    merge_keeps_in_place = ("ficha",)  # it describes the name of the ficha it belongs to

    ficha = models.ForeignKey(Ficha, on_delete=models.CASCADE, related_name="name_words")
    word = models.CharField("palavra", max_length=40)

    class Meta:
        verbose_name = "palavra do nome"
        verbose_name_plural = "palavras dos nomes"
        constraints = [models.UniqueConstraint(fields=["ficha", "word"], name="one_word_once")]
        # Covering: a word's range yields its fichas without touching the table.
        indexes = [models.Index(fields=["word", "ficha"], name="name_word_search")]

    def __str__(self):
        return f"{self.ficha_id}: {self.word}"


class DuplicateCase(WorkflowModel):
    """G7: two fichas suspected to be the same client, in the central team's queue.

    aberto → cliente informado → ficha escolhida → unificado, or descartado (não é duplicidade).
    `ficha_a` is always the older ficha (lower pk), so a pair has exactly one case.
    """

    state_machine_name = "onboarding.statemachines.DuplicateCaseFlow"
    merge_keeps_in_place = ("ficha_a", "ficha_b", "kept")

    class State(models.TextChoices):
        OPEN = "open", "Aberto"
        CLIENT_INFORMED = "client_informed", "Cliente informado"
        KEPT_CHOSEN = "kept_chosen", "Ficha escolhida"
        MERGED = "merged", "Unificado"
        DISMISSED = "dismissed", "Descartado: não é duplicidade"
        SUPERSEDED = "superseded", "Encerrado: ficha já unificada em outro caso"

    class Source(models.TextChoices):
        REGISTRATION = "registration", "Cadastro"
        EDIT = "edit", "Edição da ficha"
        SCAN = "scan", "Varredura da base"

    LIVE = (State.OPEN, State.CLIENT_INFORMED, State.KEPT_CHOSEN)

    ficha_a = models.ForeignKey(
        Ficha, on_delete=models.PROTECT, related_name="+", verbose_name="ficha mais antiga"
    )
    ficha_b = models.ForeignKey(
        Ficha, on_delete=models.PROTECT, related_name="+", verbose_name="ficha mais nova"
    )
    matched_keys = models.JSONField("chaves iguais", default=list)
    source = models.CharField("detectado em", max_length=20, choices=Source)
    detected_at = models.DateTimeField("detectado em", default=clock.now, db_index=True)
    state = models.CharField(max_length=20, choices=State, default=State.OPEN)
    client_contact = models.ForeignKey(
        Movimentacao,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="movimentação que informou o cliente",
    )
    kept = models.ForeignKey(
        Ficha,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="ficha a manter",
    )
    client_answer = models.TextField("resposta do cliente", blank=True)
    closed_at = models.DateTimeField("encerrado em", null=True, blank=True)
    closed_reason = models.TextField("motivo do encerramento", blank=True)

    class Meta:
        verbose_name = "caso de duplicidade"
        verbose_name_plural = "casos de duplicidade"
        ordering = ["detected_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ficha_a", "ficha_b"], name="one_case_per_pair"),
            models.CheckConstraint(
                condition=models.Q(ficha_a__lt=models.F("ficha_b")), name="case_pair_ordered"
            ),
        ]
        indexes = [models.Index(fields=["state", "detected_at"])]

    def __str__(self):
        return f"Duplicidade #{self.pk}: fichas {self.ficha_a_id} e {self.ficha_b_id}"

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE

    @property
    def discarded(self) -> Ficha | None:
        if self.kept_id is None:
            return None
        return self.ficha_b if self.kept_id == self.ficha_a_id else self.ficha_a

    @property
    def matched_labels(self) -> list[str]:
        from .keys import KEY_LABELS

        return [KEY_LABELS.get(k, k) for k in self.matched_keys]


class MergeRecord(models.Model):
    """G7: what one merge did, so it can be inspected afterwards: the ids of every row moved
    per model, the products added, and each chosen field with both fichas' values."""

    merge_keeps_in_place = ("kept", "discarded")

    case = models.OneToOneField(
        DuplicateCase, on_delete=models.PROTECT, related_name="merge_record"
    )
    kept = models.ForeignKey(
        Ficha, on_delete=models.PROTECT, related_name="+", verbose_name="ficha mantida"
    )
    discarded = models.ForeignKey(
        Ficha, on_delete=models.PROTECT, related_name="+", verbose_name="ficha unificada"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="quem unificou"
    )
    at = models.DateTimeField("quando", default=clock.now)
    moved = models.JSONField("linhas movidas (ids por modelo)", default=dict)
    left_in_place = models.JSONField("linhas mantidas na ficha unificada", default=dict)
    products_added = models.JSONField("produtos acrescentados", default=list)
    fields = models.JSONField("campos escolhidos (antes/depois)", default=dict)
    warnings = models.JSONField("pontos para o gestor", default=list, blank=True)

    class Meta:
        verbose_name = "registro de unificação"
        verbose_name_plural = "registros de unificação"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"Ficha {self.discarded_id} unificada em {self.kept_id}"

    @property
    def moved_count(self) -> int:
        return sum(len(ids) for ids in self.moved.values())


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


class TrainingSlot(models.Model):
    """G5: a training slot support publishes: a day, a shift, an attendant and a capacity."""

    class Shift(models.TextChoices):
        MORNING = "manha", "Manhã"
        AFTERNOON = "tarde", "Tarde"

    SHIFT_HOURS = {Shift.MORNING: "9h às 12h", Shift.AFTERNOON: "14h às 17h"}
    MAX_CAPACITY = 50

    date = models.DateField("dia", validators=[validate_sane_date])
    shift = models.CharField("turno", max_length=10, choices=Shift)
    attendant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="training_slots",
        verbose_name="atendente do suporte",
    )
    capacity = models.PositiveSmallIntegerField(
        "vagas", validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)]
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField("publicado em", default=clock.now)

    class Meta:
        verbose_name = "horário de treinamento"
        verbose_name_plural = "horários de treinamento"
        ordering = ["date", "shift", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "shift", "attendant"], name="one_slot_per_attendant_shift"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="slot_capacity_min"),
        ]

    def __str__(self):
        who = self.attendant.get_full_name() or self.attendant.username
        return f"{self.date:%d/%m/%Y} · {self.get_shift_display()} · {who}"

    @property
    def hours(self) -> str:
        return self.SHIFT_HOURS[self.shift]


class TrainingBooking(WorkflowModel):
    """G5: one client booked into a slot; cancelling frees the seat; the client and the
    attendant are reminded by e-mail the day before."""

    state_machine_name = "onboarding.statemachines.TrainingBookingFlow"

    class State(models.TextChoices):
        BOOKED = "booked", "Agendado"
        CANCELLED = "cancelled", "Cancelado"
        HELD = "held", "Realizado"

    slot = models.ForeignKey(TrainingSlot, on_delete=models.PROTECT, related_name="bookings")
    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="training_bookings")
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    booked_at = models.DateTimeField("agendado em", default=clock.now)
    movimentacao = models.ForeignKey(
        Movimentacao, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=20, choices=State, default=State.BOOKED)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField("lembrete enviado em", null=True, blank=True)
    rebooked_as = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rebooked_from",
        verbose_name="remarcado para",
    )

    class Meta:
        verbose_name = "treinamento agendado"
        verbose_name_plural = "treinamentos agendados"
        ordering = ["slot__date", "pk"]
        indexes = [models.Index(fields=["slot", "state"]), models.Index(fields=["ficha", "state"])]
        constraints = [
            # G5: a client holds one live booking at a time (rebooking cancels, then books).
            models.UniqueConstraint(
                fields=["ficha"],
                condition=models.Q(state="booked"),
                name="one_live_booking_per_ficha",
            )
        ]

    def __str__(self):
        return f"{self.ficha.name} · {self.slot}"
