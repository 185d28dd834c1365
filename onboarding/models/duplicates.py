"""Duplicate registrations (G7): the case two fichas are one, and the lossless merge record."""

from django.conf import settings
from django.db import models

from workflows import clock
from workflows.models import Ficha, Movimentacao, WorkflowModel


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
        from onboarding.keys import KEY_LABELS

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
