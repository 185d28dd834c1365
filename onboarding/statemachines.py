"""The onboarding flows (G7): duplicate cases handled by the central team, the onboarding
checklist of every new registration and its steps."""

from statemachine import State

from workflows import clock
from workflows.engine import TransitionRefused, Workflow
from workflows.roles import ATTENDANTS, CENTRAL, MANAGER, SUPPORT, SUPPORT_DEV

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


class OnboardingFlow(Workflow):
    """G7: a registration's onboarding completes only when every step is done or skipped."""

    in_progress = State("Em andamento", initial=True, value="in_progress")
    completed = State("Concluído", final=True, value="completed")

    complete = in_progress.to(completed, validators="check_checklist")

    event_labels = {"complete": "concluir o onboarding"}
    event_roles = {"complete": ATTENDANTS}
    event_rules = {"complete": ("G7",)}

    def check_checklist(self):
        pending = [s.get_kind_display() for s in self.model.steps.all() if s.state == "pending"]
        if pending:
            raise TransitionRefused(
                "Para concluir o onboarding, faça ou dispense (com motivo) cada etapa. "
                f"Pendente: {', '.join(pending)}.",
                "G7",
            )

    def on_complete(self):
        self.model.completed_at = clock.now()


class OnboardingStepFlow(Workflow):
    """G7: one checklist item. Done needs its evidence (a call that reached the client, a
    training booking, every upsell answer); skipping needs a written reason."""

    pending = State("Pendente", initial=True, value="pending")
    done = State("Feito", value="done")
    skipped = State("Dispensado", value="skipped")

    mark_done = pending.to(done, validators="check_evidence")
    skip = pending.to(skipped, validators="check_open")
    reopen = done.to(pending, validators="check_open") | skipped.to(
        pending, validators="check_open"
    )

    event_labels = {
        "mark_done": "marcar como feita",
        "skip": "dispensar a etapa",
        "reopen": "reabrir a etapa",
    }
    event_roles = {"mark_done": ATTENDANTS, "skip": ATTENDANTS, "reopen": ATTENDANTS}
    event_rules = {"mark_done": ("G7",), "skip": ("G7",), "reopen": ("G7",)}
    reason_required = frozenset({"mark_done", "skip", "reopen"})

    def check_open(self):
        if self.model.onboarding.state != "in_progress":
            raise TransitionRefused("Este onboarding já foi concluído.", "G7")

    def check_evidence(self, evidence=None):
        self.check_open()
        step = self.model
        if step.kind in ("call", "training", "upsell") and not evidence:
            needs = {
                "call": "uma ligação que falou com o cliente",
                "training": "um treinamento agendado (G5)",
                "upsell": "a resposta das três perguntas",
            }[step.kind]
            raise TransitionRefused(f"Esta etapa se conclui com {needs}.", "G7")

    def on_mark_done(self, actor, reason):
        self._stamp(actor, reason)

    def on_skip(self, actor, reason):
        self._stamp(actor, reason)

    def on_reopen(self, actor, reason):
        self._stamp(actor, reason)

    def _stamp(self, actor, reason):
        step = self.model
        step.by = actor
        step.at = clock.now()
        step.note = reason.strip()


class TrainingBookingFlow(Workflow):
    """G5: a booked client may cancel (the seat frees, reason written) or attend."""

    booked = State("Agendado", initial=True, value="booked")
    cancelled = State("Cancelado", final=True, value="cancelled")
    held = State("Realizado", final=True, value="held")

    cancel = booked.to(cancelled)
    attend = booked.to(held)

    event_labels = {"cancel": "cancelar o treinamento", "attend": "marcar como realizado"}
    event_roles = {
        "cancel": ATTENDANTS | {SUPPORT_DEV},
        "attend": frozenset({SUPPORT, SUPPORT_DEV, MANAGER}),
    }
    event_rules = {"cancel": ("G5",), "attend": ("G5",)}
    reason_required = frozenset({"cancel"})

    def on_cancel(self):
        self.model.cancelled_at = clock.now()
