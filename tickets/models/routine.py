"""T8: the support daily routine: its seven items and who marked each one done, per day."""

from django.conf import settings
from django.db import models

from workflows import clock


class RoutineItem(models.IntegerChoices):
    """T8: the seven items of the support daily routine (document 002), in its order."""

    EMAIL = 1, "Verificação e resposta de e-mails"
    OPEN_TICKETS = 2, "Abertura de chamados no G3stor"
    ARCHITECTS = 3, "Atualização da relação de arquitetos Textura"
    TICKET_STATUS = 4, "Atualização do status dos chamados"
    ROMANEIOS = 5, "Verificação e digitação de romaneios pendentes – Textura"
    WAITING_CLIENTS = 6, "Verificação de clientes aguardando atendimento"
    GITHUB = 7, "Abertura de chamados do G3stor no GitHub"


class RoutineCheck(models.Model):
    """T8: one support agent marked one routine item done on one day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="routine_checks"
    )
    day = models.DateField("dia", db_index=True)
    item = models.PositiveSmallIntegerField("item", choices=RoutineItem)
    done_at = models.DateTimeField("feito às", default=clock.now)
    count_at_check = models.PositiveIntegerField("pendências na hora", default=0)
    # T8: an item marked done while its count was not zero says why.
    reason = models.TextField("por que marcado com pendências", blank=True)

    class Meta:
        verbose_name = "item da rotina feito"
        verbose_name_plural = "rotina diária do suporte"
        ordering = ["day", "user", "item"]
        constraints = [
            models.UniqueConstraint(fields=["user", "day", "item"], name="one_check_per_item_day")
        ]

    def __str__(self):
        return f"{self.user} · {self.day:%d/%m/%Y} · {self.get_item_display()}"
