"""The onboarding flows (G7): duplicate cases handled by the central team, the onboarding
checklist of every new registration and its steps, and training bookings (G5)."""

from statemachine.states import States

from workflows import clock
from workflows.engine import Action, Workflow, guard
from workflows.refusals import INPUT
from workflows.roles import ATTENDANTS, CENTRAL_TEAM, STAFF, SUPPORT_ALL

from .models import DuplicateCase, Onboarding, OnboardingStep, TrainingBooking

# What "done" needs for the steps that have evidence (G7).
EVIDENCE = {
    "call": "uma ligação que falou com o cliente",
    "training": "um treinamento agendado (G5)",
    "upsell": "a resposta das três perguntas",
}


class DuplicateCaseFlow(Workflow):
    """G7: tell the client, ask which ficha to keep, merge — or dismiss (não é duplicidade).
    Only the central team (and managers) act on a case; the system closes cases whose ficha
    was merged through another case."""

    choices = DuplicateCase.State
    viewers = CENTRAL_TEAM
    s = States.from_enum(
        choices,
        initial=choices.OPEN,
        final=[choices.MERGED, choices.DISMISSED, choices.SUPERSEDED],
        use_enum_instance=False,
    )

    inform_client = s.OPEN.to(s.CLIENT_INFORMED)
    choose_kept = s.CLIENT_INFORMED.to(s.KEPT_CHOSEN) | s.KEPT_CHOSEN.to.itself()
    merge = s.KEPT_CHOSEN.to(s.MERGED)
    dismiss = (
        s.OPEN.to(s.DISMISSED) | s.CLIENT_INFORMED.to(s.DISMISSED) | s.KEPT_CHOSEN.to(s.DISMISSED)
    )
    supersede = (
        s.OPEN.to(s.SUPERSEDED)
        | s.CLIENT_INFORMED.to(s.SUPERSEDED)
        | s.KEPT_CHOSEN.to(s.SUPERSEDED)
    )

    actions = {
        "inform_client": Action(
            "Informar o cliente", CENTRAL_TEAM, ("G7", "G1"), guards=("contact_logged",)
        ),
        "choose_kept": Action(
            "Registrar a ficha escolhida",
            CENTRAL_TEAM,
            ("G7",),
            guards=("kept_is_one_of_the_two",),
            reason=True,
        ),
        "merge": Action("Unificar", CENTRAL_TEAM, ("G7",)),
        "dismiss": Action("Descartar (não é duplicidade)", CENTRAL_TEAM, ("G7",), reason=True),
        "supersede": Action("Encerrar (ficha já unificada)", rules=("G7",)),
    }

    @guard("Registre a movimentação em que o cliente foi informado.", "G7", kind=INPUT)
    def contact_logged(self, movimentacao=None):
        return movimentacao is not None

    @guard("Escolha uma das duas fichas do caso para manter.", "G7", kind=INPUT)
    def kept_is_one_of_the_two(self, kept=None):
        case = self.model
        return kept is not None and kept.pk in (case.ficha_a_id, case.ficha_b_id)

    def on_inform_client(self, movimentacao):
        self.model.client_contact = movimentacao

    def on_choose_kept(self, kept, reason):
        self.model.kept = kept
        self.model.client_answer = reason.strip()

    def on_merge(self):
        self.model.closed_at = clock.now()

    def on_dismiss(self, reason):
        self.model.closed_at = clock.now()
        self.model.closed_reason = reason.strip()

    def on_supersede(self, reason):
        self.model.closed_at = clock.now()
        self.model.closed_reason = reason.strip()


class OnboardingFlow(Workflow):
    """G7: a registration's onboarding completes only when every step is done or skipped."""

    choices = Onboarding.State
    s = States.from_enum(
        choices, initial=choices.IN_PROGRESS, final=choices.COMPLETED, use_enum_instance=False
    )

    complete = s.IN_PROGRESS.to(s.COMPLETED)

    actions = {
        "complete": Action(
            "Concluir o onboarding", ATTENDANTS, ("G7",), guards=("every_step_answered",)
        )
    }

    def _pending_steps(self) -> list[str]:
        return [s.get_kind_display() for s in self.model.steps.all() if s.state == "pending"]

    @guard(
        lambda machine: (
            "Para concluir o onboarding, faça ou dispense (com motivo) cada etapa. "
            f"Pendente: {', '.join(machine._pending_steps())}."
        ),
        "G7",
        condition="Cada etapa feita ou dispensada com motivo.",
    )
    def every_step_answered(self):
        return not self._pending_steps()

    def on_complete(self):
        self.model.completed_at = clock.now()


class OnboardingStepFlow(Workflow):
    """G7: one checklist item. Done needs its evidence (a call that reached the client, a
    training booking, every upsell answer); skipping needs a written reason."""

    choices = OnboardingStep.State
    s = States.from_enum(choices, initial=choices.PENDING, use_enum_instance=False)

    mark_done = s.PENDING.to(s.DONE)
    skip = s.PENDING.to(s.SKIPPED)
    reopen = s.DONE.to(s.PENDING) | s.SKIPPED.to(s.PENDING)

    actions = {
        "mark_done": Action(
            "Marcar como feita",
            ATTENDANTS,
            ("G7",),
            guards=("onboarding_open", "evidence_given"),
            reason=True,
        ),
        "skip": Action(
            "Dispensar a etapa", ATTENDANTS, ("G7",), guards=("onboarding_open",), reason=True
        ),
        "reopen": Action(
            "Reabrir a etapa", ATTENDANTS, ("G7",), guards=("onboarding_open",), reason=True
        ),
    }

    @guard("Este onboarding já foi concluído.", "G7")
    def onboarding_open(self):
        return self.model.onboarding.state == "in_progress"

    @guard(
        lambda machine: f"Esta etapa se conclui com {EVIDENCE[machine.model.kind]}.",
        "G7",
        kind=INPUT,
        condition="A etapa tem a sua evidência (ligação atendida, treinamento, respostas).",
    )
    def evidence_given(self, evidence=None):
        return self.model.kind not in EVIDENCE or bool(evidence)

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

    choices = TrainingBooking.State
    viewers = STAFF
    s = States.from_enum(
        choices,
        initial=choices.BOOKED,
        final=[choices.CANCELLED, choices.HELD],
        use_enum_instance=False,
    )

    cancel = s.BOOKED.to(s.CANCELLED)
    attend = s.BOOKED.to(s.HELD)

    actions = {
        "cancel": Action("Cancelar o treinamento", STAFF, ("G5",), reason=True),
        "attend": Action(
            "Marcar como realizado", SUPPORT_ALL, ("G5",), guards=("training_day_reached",)
        ),
    }

    @guard("O treinamento ainda não aconteceu.", "G5")
    def training_day_reached(self):
        return self.model.slot.date <= clock.today()

    def on_cancel(self):
        self.model.cancelled_at = clock.now()
