"""The sales flows: the ficha's status (S5, S6, G7), agendamento deadlines (S2, G2, M1),
commission settlement (S8, S9, M1), the holder's data change (S1), the receptive triage (S8)
and the orçamento (G8). Each machine declares, per event, who may fire it, the rules it
enforces and its guards (see workflows.engine)."""

from statemachine.states import States

from . import clock
from .businessdays import add_business_days
from .engine import Action, Workflow, guard
from .models import Agendamento, DataChangeRequest, Ficha, Orcamento, Sale, Triage
from .refusals import INPUT, OWNER
from .roles import (
    AGENT,
    ATTENDANTS,
    CENTRAL_TEAM,
    FRONT_LINE,
    MANAGERS,
    SELLER,
    SELLERS,
    has_role,
    is_manager,
)
from .validators import is_placeholder

RENEWAL_BUSINESS_DAYS = 4
MAX_WITH_CONTACT_BUSINESS_DAYS = 6
MAX_DAYS_OUT = 7  # S2: an agendamento set further out reserves nothing until validated


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


class CommissionFlow(Workflow):
    """Who gets a sale's commission: decided at once, or left to a manager (S8, S9, M1)."""

    choices = Sale.State
    s = States.from_enum(
        choices,
        initial=choices.REGISTERED,
        final=[choices.ASSIGNED, choices.SETTLED],
        use_enum_instance=False,
    )

    assign = s.REGISTERED.to(s.ASSIGNED)
    flag = s.REGISTERED.to(s.TO_SETTLE)
    settle = s.TO_SETTLE.to(s.SETTLED)

    actions = {
        "assign": Action("Definir a comissão", ATTENDANTS),
        "flag": Action("Deixar a comissão para o gestor", ATTENDANTS),
        "settle": Action(
            "Definir a comissão (gestor)",
            MANAGERS,
            ("M1",),
            guards=("commission_to_ok",),
            reason=True,
            slug="comissao",
        ),
    }

    @guard("Escolha quem recebe a comissão.", "M1", kind=INPUT)
    def commission_to_ok(self, commission_to=None):
        return commission_to is not None and has_role(commission_to, SELLER, AGENT)

    def on_settle(self, commission_to):
        self.model.commission_to = commission_to


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


class TriageFlow(Workflow):
    """S8: 1º passo (live `com contato` agendamento → its owner, then any free seller),
    2º passo (sell now, or send the price), 3º passo (only prices → comercial)."""

    choices = Triage.State
    s = States.from_enum(
        choices,
        initial=choices.OPEN,
        final=[choices.PRICE_SENT, choices.SOLD, choices.CLOSED],
        use_enum_instance=False,
    )

    route_to_owner = s.OPEN.to(s.OFFERED_TO_OWNER)
    sell_now = s.OPEN.to(s.SELLING)
    owner_accepts = s.OFFERED_TO_OWNER.to(s.HANDED_OFF)
    owner_silent = s.OFFERED_TO_OWNER.to(s.OFFERED_TO_TEAM)
    seller_takes = s.OFFERED_TO_TEAM.to(s.HANDED_OFF) | s.TO_COMERCIAL.to(s.HANDED_OFF)
    send_price = s.SELLING.to(s.PRICE_SENT) | s.HANDED_OFF.to(s.PRICE_SENT)
    record_sale = s.SELLING.to(s.SOLD) | s.HANDED_OFF.to(s.SOLD)
    hand_to_comercial = s.SELLING.to(s.TO_COMERCIAL)
    close = (
        s.OPEN.to(s.CLOSED)
        | s.OFFERED_TO_OWNER.to(s.CLOSED)
        | s.OFFERED_TO_TEAM.to(s.CLOSED)
        | s.HANDED_OFF.to(s.CLOSED)
        | s.SELLING.to(s.CLOSED)
        | s.TO_COMERCIAL.to(s.CLOSED)
    )

    actions = {
        "route_to_owner": Action("Oferecer ao dono do agendamento", ATTENDANTS, ("S8",)),
        "sell_now": Action("Vender agora", ATTENDANTS, ("S8",)),
        "owner_accepts": Action(
            "Assumir o cliente", ATTENDANTS, ("S8",), guards=("is_offered_to",), slug="assumir"
        ),
        "owner_silent": Action("Repassar ao comercial", rules=("S8",)),
        "seller_takes": Action("Assumir o cliente", SELLERS, ("S8",), slug="assumir"),
        "record_sale": Action(
            "Registrar a venda", ATTENDANTS, ("S8",), guards=("is_attendant",), slug="vender"
        ),
        "send_price": Action(
            "Enviar o preço", ATTENDANTS, ("S8",), guards=("is_attendant",), slug="preco"
        ),
        "hand_to_comercial": Action(
            "Repassar ao comercial",
            ATTENDANTS,
            ("S8",),
            guards=("is_attendant",),
            slug="comercial",
        ),
        "close": Action(
            "Encerrar sem venda",
            ATTENDANTS,
            ("S8",),
            guards=("is_in_charge",),
            reason=True,
            slug="encerrar",
        ),
    }

    @guard("Esta oferta é para o dono do agendamento.", "S8", kind=OWNER)
    def is_offered_to(self, actor=None):
        return actor is None or actor.pk == self.model.offered_to_id

    @guard("Este atendimento está com outra pessoa.", "S8", kind=OWNER)
    def is_attendant(self, actor=None):
        return actor is None or actor.pk == self.model.attendant_id or is_manager(actor)

    @guard("Este atendimento está com outra pessoa.", "S8", kind=OWNER)
    def is_in_charge(self, actor=None):
        """Who may close it: whoever attends; before anyone does, whoever started it or the
        owner it is offered to; the client waiting for the team, any seller; a manager."""
        triage = self.model
        if actor is None or is_manager(actor):
            return True
        if triage.attendant_id is not None:
            return actor.pk == triage.attendant_id
        if triage.state in (Triage.State.OFFERED_TO_TEAM, Triage.State.TO_COMERCIAL):
            return actor.pk == triage.started_by_id or has_role(actor, *SELLERS)
        return actor.pk in (triage.started_by_id, triage.offered_to_id)

    def on_route_to_owner(self, agendamento, expires_at):
        triage = self.model
        triage.reserved_by = agendamento
        triage.offered_to = agendamento.owner
        triage.offer_expires_at = expires_at

    def on_sell_now(self, actor):
        self.model.attendant = actor

    def on_record_sale(self, sale):
        self.model.sale = sale

    def on_send_price(self, follow_up=None):
        self.model.follow_up = follow_up

    def on_owner_accepts(self, actor):
        self.model.attendant = actor

    def on_owner_silent(self):
        self.model.offered_to = None

    def on_seller_takes(self, actor):
        self.model.attendant = actor


class OrcamentoFlow(Workflow):
    """G8: back-steps are allowed until the quote is sent; after that only the client decides.
    Only its author (or a manager) moves a quote."""

    choices = Orcamento.State
    s = States.from_enum(
        choices,
        initial=choices.ANALYSING,
        final=[choices.ACCEPTED, choices.REJECTED, choices.EXPIRED],
        use_enum_instance=False,
    )

    define_products = s.ANALYSING.to(s.PRODUCTS_DEFINED)
    back_to_analysis = s.PRODUCTS_DEFINED.to(s.ANALYSING)
    set_prices = s.PRODUCTS_DEFINED.to(s.PRICED)
    back_to_products = s.PRICED.to(s.PRODUCTS_DEFINED)
    send_quote = s.PRICED.to(s.SENT)
    accept = s.SENT.to(s.ACCEPTED)
    reject = s.SENT.to(s.REJECTED)
    expire = s.SENT.to(s.EXPIRED)

    def _step(label, slug, *guards, reason=False):  # noqa: N805 (a class-body helper)
        return Action(label, ATTENDANTS, ("G8",), ("is_author", *guards), reason, slug)

    actions = {
        "back_to_analysis": _step("Voltar à análise da demanda", "voltar-analise"),
        "define_products": _step("Definir os produtos", "definir-produtos", "has_items"),
        "back_to_products": _step("Voltar aos produtos", "voltar-produtos"),
        "set_prices": _step("Definir os valores", "definir-valores"),
        "send_quote": _step("Enviar o orçamento", "enviar"),
        "accept": _step("Registrar o aceite", "aceitar"),
        "reject": _step("Registrar a recusa", "recusar", reason=True),
        "expire": Action("Expirar", rules=("G8",)),
    }
    del _step

    @guard("Este orçamento é de outro atendente.", "G8", kind=OWNER)
    def is_author(self, actor=None):
        return actor is None or actor.pk == self.model.author_id or is_manager(actor)

    @guard("Inclua ao menos um produto no orçamento.", "G8")
    def has_items(self):
        return self.model.items.exists()

    def on_send_quote(self, valid_until):
        orcamento = self.model
        orcamento.sent_at = clock.now()
        orcamento.valid_until = valid_until

    def on_accept(self):
        self.model.decided_at = clock.now()

    def on_reject(self, reason):
        self.model.decided_at = clock.now()
        self.model.rejection_reason = reason.strip()
