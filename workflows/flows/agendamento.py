"""Agendamento deadlines (S2, G2, M1): renew, conclude, extend, validate, reassign, expire."""

from statemachine.states import States

from .. import clock
from ..businessdays import add_business_days
from ..engine import Action, Workflow, guard
from ..models import Agendamento
from ..refusals import INPUT, OWNER
from ..roles import ATTENDANTS, FRONT_LINE, MANAGERS, has_role, is_manager
from ..validators import is_placeholder

RENEWAL_BUSINESS_DAYS = 4
MAX_WITH_CONTACT_BUSINESS_DAYS = 6
MAX_DAYS_OUT = 7  # S2: an agendamento set further out reserves nothing until validated


class AgendamentoFlow(Workflow):
    choices = Agendamento.State
    s = States.from_enum(
        choices,
        initial=choices.ACTIVE,
        final=[choices.CONCLUDED, choices.EXPIRED, choices.CANCELLED],
        use_enum_instance=False,
    )

    renew = s.ACTIVE.to(s.RENEWED)
    extend = s.ACTIVE.to.itself() | s.RENEWED.to.itself()
    validate = s.ACTIVE.to.itself() | s.RENEWED.to.itself()
    reassign = s.ACTIVE.to.itself() | s.RENEWED.to.itself()
    conclude = s.ACTIVE.to(s.CONCLUDED) | s.RENEWED.to(s.CONCLUDED)
    expire = s.ACTIVE.to(s.EXPIRED) | s.RENEWED.to(s.EXPIRED)
    cancel = s.ACTIVE.to(s.CANCELLED) | s.RENEWED.to(s.CANCELLED)

    actions = {
        "renew": Action(
            "Renovar (+4 dias úteis)",
            ATTENDANTS,
            ("S2",),
            guards=("is_owner_or_manager", "has_contact", "within_deadline"),
            slug="renovar",
        ),
        "conclude": Action(
            "Concluir",
            ATTENDANTS,
            ("G2",),
            guards=("conclusion_written", "is_owner_or_manager_or_sale"),
            slug="concluir",
        ),
        "extend": Action(
            "Estender prazo",
            MANAGERS,
            ("S2", "M1"),
            guards=("new_due_date_ok",),
            reason=True,
            slug="estender",
        ),
        "validate": Action(
            "Validar (> 7 dias)",
            MANAGERS,
            ("S2", "M1"),
            guards=("awaits_validation",),
            reason=True,
            slug="validar",
        ),
        "reassign": Action(
            "Passar para outro atendente",
            MANAGERS,
            ("M1",),
            guards=("new_owner_ok",),
            reason=True,
            slug="reatribuir",
        ),
        "cancel": Action("Cancelar", MANAGERS, ("M1",), reason=True, slug="cancelar"),
        "expire": Action("Expirar", rules=("S2",)),
    }

    @guard("Só o responsável pelo agendamento (ou o gestor) pode fazer isso.", "S2", kind=OWNER)
    def is_owner_or_manager(self, actor=None):
        return actor is None or actor.pk == self.model.owner_id or is_manager(actor)

    @guard("Só o responsável pelo agendamento (ou o gestor) pode concluí-lo.", "G2", kind=OWNER)
    def is_owner_or_manager_or_sale(self, actor=None, by_sale=None):
        """S4: a sale concludes the agendamento for whoever sold."""
        return by_sale is not None or self.is_owner_or_manager(actor)

    @guard(
        "Agendamento sem contato não pode ser renovado: prazo máximo de 2 dias úteis. "
        "Só o gestor pode estender.",
        "S2",
        "M1",
    )
    def has_contact(self):
        return self.model.with_contact

    @guard("O prazo já venceu: não dá mais para renovar.", "S2")
    def within_deadline(self):
        return self.model.due_date >= clock.today()

    @guard(
        "Para concluir o agendamento, registre o que você fez "
        "(ex.: “concluindo agendamento, abri ficha errada”).",
        "G2",
        kind=INPUT,
    )
    def conclusion_written(self, text=""):
        return not is_placeholder(text)

    @guard("Informe uma nova data de prazo a partir de amanhã.", "M1", kind=INPUT)
    def new_due_date_ok(self, due_date=None):
        return due_date is not None and due_date > clock.today()

    @guard("Este agendamento não está marcado para mais de 7 dias: não precisa de validação.", "S2")
    def awaits_validation(self):
        ag = self.model
        set_days_out = (ag.scheduled_for - clock.localdate(ag.created_at)).days
        return not ag.manager_validated and set_days_out > MAX_DAYS_OUT

    @guard("Escolha um atendente para assumir o agendamento.", "M1", kind=INPUT)
    def new_owner_ok(self, owner=None):
        return owner is not None and has_role(owner, *FRONT_LINE)

    def on_renew(self):
        """S2: only `com contato` renews, once, by 4 business days, never past 6 from creation."""
        ag = self.model
        created = clock.localdate(ag.created_at)
        ag.due_date = add_business_days(created, MAX_WITH_CONTACT_BUSINESS_DAYS)
        ag.scheduled_for = min(max(ag.scheduled_for, clock.today()), ag.due_date)
        ag.renewed = True

    def on_extend(self, due_date):
        self.model.due_date = due_date

    def on_validate(self):
        """M1: a manager validates an agendamento set more than 7 days out (S2)."""
        ag = self.model
        ag.manager_validated = True
        ag.due_date = max(ag.due_date, ag.scheduled_for)

    def on_reassign(self, owner):
        self.model.owner = owner
