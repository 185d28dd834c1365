"""A toy flow (test settings only) that exercises the engine without any business rule."""

from django.db import models

from workflows.models import WorkflowModel


class Errand(WorkflowModel):
    state_machine_name = "tests.flowapp.statemachines.ErrandFlow"

    class State(models.TextChoices):
        OPEN = "open", "Aberta"
        STARTED = "started", "Iniciada"
        DONE = "done", "Concluída"
        EXPIRED = "expired", "Expirada"

    state = models.CharField(max_length=20, choices=State, default=State.OPEN)
    size = models.PositiveIntegerField(default=0)
    ready = models.BooleanField(default=True)
