"""The ficha's status (S5, S6, G7) and the holder's sensitive-data change (S1)."""

from statemachine.states import States

from .. import clock
from ..engine import Action, Workflow, guard
from ..models import DataChangeRequest, Ficha
from ..refusals import INPUT
from ..roles import ATTENDANTS, CENTRAL_TEAM
from ..validators import is_placeholder


class FichaFlow(Workflow):
    choices = Ficha.Status
    s = States.from_enum(
        choices, initial=choices.ACTIVE, final=choices.MERGED, use_enum_instance=False
    )

    inactivate_manually = s.ACTIVE.to(s.INACTIVE_MANUAL)
    inactivate_automatically = s.ACTIVE.to(s.INACTIVE_AUTO)
    record_inactivation_answer = s.INACTIVE_MANUAL.to.itself()
    recontract = s.INACTIVE_MANUAL.to(s.ACTIVE) | s.INACTIVE_AUTO.to(s.ACTIVE)
    merge = s.ACTIVE.to(s.MERGED) | s.INACTIVE_MANUAL.to(s.MERGED) | s.INACTIVE_AUTO.to(s.MERGED)

    actions = {
        "inactivate_manually": Action(
            "Inativar manualmente", ATTENDANTS, ("S5",), reason=True, slug="inativar"
        ),
        "inactivate_automatically": Action("Inativar automaticamente", rules=("S6",)),
        "record_inactivation_answer": Action(
            "Registrar a resposta à inativação",
            ATTENDANTS,
            ("S5",),
            guards=("answer_given",),
            slug="resposta-inativacao",
        ),
        "recontract": Action("Recontratar", ATTENDANTS, ("S5", "S6", "S7")),
        "merge": Action("Unificar fichas", CENTRAL_TEAM, ("G7",), guards=("target_ok",)),
    }

    @guard(
        "Registre a resposta do cliente (mesmo negativa, ex.: “não tenho interesse neste "
        "momento”).",
        "S5",
        kind=INPUT,
    )
    def answer_given(self, answer=""):
        return not is_placeholder(answer)

    @guard("Escolha uma ficha ativa para manter.", "G7", kind=INPUT)
    def target_ok(self, into=None):
        return not (into is None or into.pk == self.model.pk or into.status == "merged")

    def on_inactivate_manually(self, actor):
        ficha = self.model
        ficha.inactivated_at = clock.now()
        ficha.inactivated_by = actor
        ficha.inactivation_answer = ""

    def on_inactivate_automatically(self):
        ficha = self.model
        ficha.inactivated_at = clock.now()
        ficha.inactivated_by = None
        ficha.inactivation_answer = ""

    def on_record_inactivation_answer(self, answer):
        self.model.inactivation_answer = answer.strip()

    def on_merge(self, into):
        self.model.merged_into = into


class DataChangeFlow(Workflow):
    """S1: a third party's sensitive-data change waits for the holder (titular). No roles:
    only the holder's signed link (the system, actor None) decides."""

    choices = DataChangeRequest.State
    s = States.from_enum(
        choices,
        initial=choices.PENDING,
        final=[choices.CONFIRMED, choices.REJECTED, choices.EXPIRED, choices.SUPERSEDED],
        use_enum_instance=False,
    )

    confirm = s.PENDING.to(s.CONFIRMED)
    reject = s.PENDING.to(s.REJECTED)
    expire = s.PENDING.to(s.EXPIRED)
    supersede = s.PENDING.to(s.SUPERSEDED)  # a newer change of the same field was proposed

    actions = {
        "confirm": Action("Confirmar", rules=("S1",)),
        "reject": Action("Recusar", rules=("S1",)),
        "expire": Action("Expirar", rules=("S1",)),
        "supersede": Action("Substituir", rules=("S1",)),
    }
