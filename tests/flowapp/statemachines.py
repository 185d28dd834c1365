from statemachine import State

from workflows.engine import TransitionRefused, Workflow
from workflows.roles import AGENT, MANAGER


class ErrandFlow(Workflow):
    open = State("Aberta", initial=True, value="open")
    started = State("Iniciada", value="started")
    done = State("Concluída", final=True, value="done")
    expired = State("Expirada", final=True, value="expired")

    start = open.to(started, validators="check_size", cond="ready")
    finish = started.to(done)
    expire = open.to(expired) | started.to(expired)

    event_roles = {"start": {AGENT}, "finish": {MANAGER}}
    event_rules = {"start": ("S2",), "finish": ("M1",), "expire": ("S2",)}
    reason_required = frozenset({"finish"})
    event_labels = {"start": "iniciar", "finish": "concluir", "expire": "expirar"}

    def check_size(self, size=0):
        if size > 4:
            raise TransitionRefused("Tamanho acima do permitido.", "S2")

    def on_start(self, size=0):
        self.model.size = size
