"""Selling: who gets a sale's commission (S8, S9, M1) and the receptive triage (S8)."""

from statemachine.states import States

from ..engine import Action, Workflow, guard
from ..models import Sale, Triage
from ..refusals import INPUT, OWNER
from ..roles import AGENT, ATTENDANTS, MANAGERS, SELLER, SELLERS, has_role, is_manager


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
