"""Training slots and bookings (G5)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from workflows import clock
from workflows.models import Ficha, Movimentacao, WorkflowModel
from workflows.validators import validate_sane_date


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
