"""The onboarding flows: duplicate cases handled by the central team (G7)."""

from statemachine import State

from workflows import clock
from workflows.engine import TransitionRefused, Workflow
from workflows.roles import CENTRAL, MANAGER

CENTRAL_TEAM = frozenset({CENTRAL, MANAGER})


class DuplicateCaseFlow(Workflow):
    """G7: tell the client, ask which ficha to keep, merge — or dismiss (não é duplicidade).
    Only the central team (and managers) act on a case; the system closes cases whose ficha
    was merged through another case."""

    open = State("Aberto", initial=True, value="open")
    client_informed = State("Cliente informado", value="client_informed")
    kept_chosen = State("Ficha escolhida", value="kept_chosen")
    merged = State("Unificado", final=True, value="merged")
    dismissed = State("Descartado: não é duplicidade", final=True, value="dismissed")
    superseded = State(
        "Encerrado: ficha já unificada em outro caso", final=True, value="superseded"
    )

    inform_client = open.to(client_informed, validators="check_contact")
    choose_kept = client_informed.to(kept_chosen, validators="check_kept") | kept_chosen.to.itself(
        validators="check_kept"
    )
    merge = kept_chosen.to(merged)
    dismiss = open.to(dismissed) | client_informed.to(dismissed) | kept_chosen.to(dismissed)
    supersede = open.to(superseded) | client_informed.to(superseded) | kept_chosen.to(superseded)

    event_labels = {
        "inform_client": "informar o cliente",
        "choose_kept": "registrar a ficha escolhida",
        "merge": "unificar",
        "dismiss": "descartar (não é duplicidade)",
        "supersede": "encerrar (ficha já unificada)",
    }
    event_roles = {
        "inform_client": CENTRAL_TEAM,
        "choose_kept": CENTRAL_TEAM,
        "merge": CENTRAL_TEAM,
        "dismiss": CENTRAL_TEAM,
    }
    event_rules = {
        "inform_client": ("G7", "G1"),
        "choose_kept": ("G7",),
        "merge": ("G7",),
        "dismiss": ("G7",),
        "supersede": ("G7",),
    }
    reason_required = frozenset({"dismiss", "choose_kept"})

    def check_contact(self, movimentacao=None):
        if movimentacao is None:
            raise TransitionRefused("Registre a movimentação em que o cliente foi informado.", "G7")

    def on_inform_client(self, movimentacao):
        self.model.client_contact = movimentacao

    def check_kept(self, kept=None):
        case = self.model
        if kept is None or kept.pk not in (case.ficha_a_id, case.ficha_b_id):
            raise TransitionRefused("Escolha uma das duas fichas do caso para manter.", "G7")

    def on_choose_kept(self, kept, reason):
        self.model.kept = kept
        self.model.client_answer = reason.strip()

    def on_enter_merged(self):
        self.model.closed_at = clock.now()

    def on_dismiss(self, reason):
        self.model.closed_at = clock.now()
        self.model.closed_reason = reason.strip()

    def on_supersede(self, reason):
        self.model.closed_at = clock.now()
        self.model.closed_reason = reason.strip()
