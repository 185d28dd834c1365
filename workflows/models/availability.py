"""S8, S9: whether an attendant is available, busy, absent or on vacation."""

from django.conf import settings
from django.db import models


class AgentProfile(models.Model):
    """Availability of an attendant (S8 hand-offs, S9 absent or on vacation)."""

    class Status(models.TextChoices):
        AVAILABLE = "available", "Disponível"
        BUSY = "busy", "Ocupado"
        ABSENT = "absent", "Ausente"
        VACATION = "vacation", "De férias"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.AVAILABLE)
    vacation_from = models.DateField("férias de", null=True, blank=True)
    vacation_until = models.DateField("férias até", null=True, blank=True)

    class Meta:
        verbose_name = "disponibilidade do atendente"
        verbose_name_plural = "disponibilidade dos atendentes"

    def __str__(self):
        return f"{self.user}: {self.get_status_display()}"

    def status_on(self, day) -> str:
        """Vacation dates win over the manual status (S9 tells vacation from absence)."""
        on_vacation = self.vacation_from and self.vacation_until
        if on_vacation and self.vacation_from <= day <= self.vacation_until:
            return self.Status.VACATION
        if self.status == self.Status.VACATION:
            return self.Status.AVAILABLE  # vacation ended: back at work
        return self.status
