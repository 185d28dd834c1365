from statemachine.states import States

from workflows.engine import Action, Workflow, guard
from workflows.refusals import INPUT
from workflows.roles import AGENT, MANAGER

from .models import Errand


class ErrandFlow(Workflow):
    choices = Errand.State
    s = States.from_enum(
        choices,
        initial=choices.OPEN,
        final=[choices.DONE, choices.EXPIRED],
        use_enum_instance=False,
    )

    start = s.OPEN.to(s.STARTED)
    finish = s.STARTED.to(s.DONE)
    expire = s.OPEN.to(s.EXPIRED) | s.STARTED.to(s.EXPIRED)

    actions = {
        "start": Action("Iniciar", frozenset({AGENT}), ("S2",), guards=("is_ready", "size_ok")),
        "finish": Action("Concluir", frozenset({MANAGER}), ("M1",), reason=True),
        "expire": Action("Expirar", rules=("S2",)),
    }

    @guard("A tarefa não está pronta.", "S2")
    def is_ready(self):
        return self.model.ready

    @guard("Tamanho acima do permitido.", "S2", kind=INPUT)
    def size_ok(self, size=0):
        return size <= 4

    def on_start(self, size=0):
        self.model.size = size
