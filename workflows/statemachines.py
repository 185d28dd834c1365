"""The sales flows: the ficha's status (S5, S6, G7), agendamento deadlines (S2, G2, M1) and
commission settlement (S8, S9, M1)."""

from statemachine import State

from . import clock
from .businessdays import add_business_days
from .engine import TransitionRefused, Workflow
from .roles import AGENT, ATTENDANTS, CENTRAL, MANAGER, SELLER, SUPPORT, has_role
from .validators import is_placeholder

MANAGERS = frozenset({MANAGER})

RENEWAL_BUSINESS_DAYS = 4
MAX_WITH_CONTACT_BUSINESS_DAYS = 6


class FichaFlow(Workflow):
    active = State("Ativo", initial=True, value="active")
    inactive_manual = State("Inativado manualmente", value="inactive_manual")
    inactive_auto = State("Inativado automaticamente", value="inactive_auto")
    merged = State("Unificada em outra ficha", final=True, value="merged")

    inactivate_manually = active.to(inactive_manual)
    inactivate_automatically = active.to(inactive_auto)
    record_inactivation_answer = inactive_manual.to.itself(validators="check_answer")
    recontract = inactive_manual.to(active) | inactive_auto.to(active)
    merge = (
        active.to(merged, validators="check_merge_target")
        | inactive_manual.to(merged, validators="check_merge_target")
        | inactive_auto.to(merged, validators="check_merge_target")
    )

    event_labels = {
        "inactivate_manually": "inativar manualmente",
        "inactivate_automatically": "inativar automaticamente",
        "record_inactivation_answer": "registrar a resposta à inativação",
        "recontract": "recontratar",
        "merge": "unificar fichas",
    }
    event_roles = {
        "inactivate_manually": ATTENDANTS,
        "record_inactivation_answer": ATTENDANTS,
        "recontract": ATTENDANTS,
        "merge": frozenset({CENTRAL, MANAGER}),
    }
    event_rules = {
        "inactivate_manually": ("S5",),
        "inactivate_automatically": ("S6",),
        "record_inactivation_answer": ("S5",),
        "recontract": ("S5", "S6", "S7"),
        "merge": ("G7",),
    }
    reason_required = frozenset({"inactivate_manually"})

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

    def check_answer(self, answer=""):
        if is_placeholder(answer):
            raise TransitionRefused(
                "Registre a resposta do cliente (mesmo negativa, ex.: “não tenho interesse "
                "neste momento”).",
                "S5",
            )

    def on_record_inactivation_answer(self, answer):
        self.model.inactivation_answer = answer.strip()

    def check_merge_target(self, into=None):
        if into is None or into.pk == self.model.pk or into.status == "merged":
            raise TransitionRefused("Escolha uma ficha ativa para manter.", "G7")

    def on_merge(self, into):
        self.model.merged_into = into


class AgendamentoFlow(Workflow):
    active = State("Ativo", initial=True, value="active")
    renewed = State("Renovado", value="renewed")
    concluded = State("Concluído", final=True, value="concluded")
    expired = State("Expirado", final=True, value="expired")
    cancelled = State("Cancelado", final=True, value="cancelled")

    renew = active.to(renewed, validators="check_renewal")
    extend = active.to.itself(validators="check_extension") | renewed.to.itself(
        validators="check_extension"
    )
    validate = active.to.itself() | renewed.to.itself()
    reassign = active.to.itself(validators="check_new_owner") | renewed.to.itself(
        validators="check_new_owner"
    )
    conclude = active.to(concluded, validators="check_conclusion") | renewed.to(
        concluded, validators="check_conclusion"
    )
    expire = active.to(expired) | renewed.to(expired)
    cancel = active.to(cancelled) | renewed.to(cancelled)

    event_labels = {
        "renew": "renovar",
        "extend": "estender o prazo",
        "validate": "validar (mais de 7 dias)",
        "reassign": "passar para outro atendente",
        "conclude": "concluir",
        "expire": "expirar",
        "cancel": "cancelar",
    }
    event_roles = {
        "renew": ATTENDANTS,
        "extend": MANAGERS,
        "validate": MANAGERS,
        "reassign": MANAGERS,
        "conclude": ATTENDANTS,
        "cancel": MANAGERS,
    }
    event_rules = {
        "renew": ("S2",),
        "extend": ("S2", "M1"),
        "validate": ("S2", "M1"),
        "reassign": ("M1",),
        "conclude": ("G2",),
        "expire": ("S2",),
        "cancel": ("M1",),
    }
    reason_required = frozenset({"extend", "validate", "reassign", "cancel"})

    def _is_owner_or_manager(self, actor) -> bool:
        return actor is None or actor == self.model.owner or has_role(actor, MANAGER)

    def check_renewal(self, actor):
        """S2: only `com contato` renews, once, by 4 business days, never past 6 from creation."""
        ag = self.model
        if not self._is_owner_or_manager(actor):
            raise TransitionRefused("Só o responsável pelo agendamento pode renová-lo.", "S2")
        if not ag.with_contact:
            raise TransitionRefused(
                "Agendamento sem contato não pode ser renovado: prazo máximo de 2 dias úteis. "
                "Só o gestor pode estender.",
                "S2",
                "M1",
            )
        if ag.due_date < clock.today():
            raise TransitionRefused("O prazo já venceu: não dá mais para renovar.", "S2")

    def on_renew(self):
        ag = self.model
        created = clock.localdate(ag.created_at)
        ag.due_date = add_business_days(created, MAX_WITH_CONTACT_BUSINESS_DAYS)
        ag.scheduled_for = min(max(ag.scheduled_for, clock.today()), ag.due_date)
        ag.renewed = True

    def check_extension(self, due_date=None):
        if due_date is None or due_date <= clock.today():
            raise TransitionRefused("Informe uma nova data de prazo a partir de amanhã.", "M1")

    def on_extend(self, due_date):
        self.model.due_date = due_date

    def on_validate(self):
        """M1: a manager validates an agendamento set more than 7 days out (S2)."""
        ag = self.model
        ag.manager_validated = True
        ag.due_date = max(ag.due_date, ag.scheduled_for)

    def check_new_owner(self, owner=None):
        if owner is None or not has_role(owner, AGENT, SELLER, SUPPORT, CENTRAL):
            raise TransitionRefused("Escolha um atendente para assumir o agendamento.", "M1")

    def on_reassign(self, owner):
        self.model.owner = owner

    def check_conclusion(self, actor, text="", by_sale=None):
        """G2: concluding says what was done; S4: a sale concludes it for whoever sold."""
        if is_placeholder(text):
            raise TransitionRefused(
                "Para concluir o agendamento, registre o que você fez "
                "(ex.: “concluindo agendamento, abri ficha errada”).",
                "G2",
            )
        if by_sale is None and not self._is_owner_or_manager(actor):
            raise TransitionRefused(
                "Só o responsável pelo agendamento (ou o gestor) pode concluí-lo.", "G2"
            )


class CommissionFlow(Workflow):
    """Who gets a sale's commission: decided at once, or left to a manager (S8, S9, M1)."""

    registered = State("Registrada", initial=True, value="registered")
    assigned = State("Comissão definida", final=True, value="assigned")
    to_settle = State("Comissão a definir pelo gestor", value="to_settle")
    settled = State("Comissão definida pelo gestor", final=True, value="settled")

    assign = registered.to(assigned)
    flag = registered.to(to_settle)
    settle = to_settle.to(settled, validators="check_settlement")

    event_labels = {
        "assign": "definir a comissão",
        "flag": "deixar a comissão para o gestor",
        "settle": "definir a comissão (gestor)",
    }
    event_roles = {"assign": ATTENDANTS, "flag": ATTENDANTS, "settle": MANAGERS}
    event_rules = {"settle": ("M1",)}
    reason_required = frozenset({"settle"})

    def check_settlement(self, commission_to=None):
        if commission_to is None or not has_role(commission_to, SELLER, AGENT):
            raise TransitionRefused("Escolha quem recebe a comissão.", "M1")

    def on_settle(self, commission_to):
        self.model.commission_to = commission_to


class DataChangeFlow(Workflow):
    """S1: a third party's sensitive-data change waits for the holder (titular)."""

    pending = State("Aguardando o titular", initial=True, value="pending")
    confirmed = State("Confirmada pelo titular", final=True, value="confirmed")
    rejected = State("Recusada pelo titular", final=True, value="rejected")
    expired = State("Expirada", final=True, value="expired")

    confirm = pending.to(confirmed)
    reject = pending.to(rejected)
    expire = pending.to(expired)

    event_labels = {"confirm": "confirmar", "reject": "recusar", "expire": "expirar"}
    event_rules = {"confirm": ("S1",), "reject": ("S1",), "expire": ("S1",)}
    # No roles: only the holder's signed link (the system, actor None) decides.


class TriageFlow(Workflow):
    """S8: 1º passo (live `com contato` agendamento → its owner, then any free seller),
    2º passo (sell now, or send the price), 3º passo (only prices → comercial)."""

    open = State("1º passo: abrindo a ficha", initial=True, value="open")
    offered_to_owner = State("1º passo: oferecido ao dono do agendamento", value="offered_to_owner")
    offered_to_team = State("1º passo: aguardando um vendedor disponível", value="offered_to_team")
    handed_off = State("Repassado: vendedor atendendo", value="handed_off")
    selling = State("2º passo: venda agora", value="selling")
    to_comercial = State("3º passo: com o comercial", value="to_comercial")
    price_sent = State("Preço enviado: aguardando retorno", final=True, value="price_sent")
    sold = State("Vendido", final=True, value="sold")
    closed = State("Encerrado sem venda", final=True, value="closed")

    route_to_owner = open.to(offered_to_owner)
    sell_now = open.to(selling)
    owner_accepts = offered_to_owner.to(handed_off, validators="check_is_offered_to")
    owner_silent = offered_to_owner.to(offered_to_team)
    seller_takes = offered_to_team.to(handed_off, validators="check_is_free_seller") | (
        to_comercial.to(handed_off, validators="check_is_free_seller")
    )
    send_price = selling.to(price_sent) | handed_off.to(price_sent)
    record_sale = selling.to(sold) | handed_off.to(sold)
    hand_to_comercial = selling.to(to_comercial)
    close = (
        open.to(closed)
        | offered_to_owner.to(closed)
        | offered_to_team.to(closed)
        | handed_off.to(closed)
        | selling.to(closed)
        | to_comercial.to(closed)
    )

    event_labels = {
        "route_to_owner": "oferecer ao dono do agendamento",
        "sell_now": "vender agora",
        "owner_accepts": "assumir o cliente",
        "owner_silent": "repassar ao comercial",
        "seller_takes": "assumir o cliente",
        "send_price": "enviar o preço",
        "record_sale": "registrar a venda",
        "hand_to_comercial": "repassar ao comercial",
        "close": "encerrar sem venda",
    }
    event_roles = {
        "route_to_owner": ATTENDANTS,
        "sell_now": ATTENDANTS,
        "owner_accepts": ATTENDANTS,
        "seller_takes": frozenset({SELLER, MANAGER}),
        "send_price": ATTENDANTS,
        "record_sale": ATTENDANTS,
        "hand_to_comercial": ATTENDANTS,
        "close": ATTENDANTS,
    }
    event_rules = {name: ("S8",) for name in event_roles} | {"owner_silent": ("S8",)}
    reason_required = frozenset({"close"})

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

    def check_is_offered_to(self, actor):
        if actor is not None and actor != self.model.offered_to:
            raise TransitionRefused("Esta oferta é para o dono do agendamento.", "S8")

    def on_owner_accepts(self, actor):
        self.model.attendant = actor

    def on_owner_silent(self):
        self.model.offered_to = None

    def check_is_free_seller(self, actor):
        if actor is not None and not has_role(actor, SELLER, MANAGER):
            raise TransitionRefused("Só o comercial assume clientes repassados.", "S8")

    def on_seller_takes(self, actor):
        self.model.attendant = actor


class OrcamentoFlow(Workflow):
    """G8: back-steps are allowed until the quote is sent; after that only the client decides."""

    analysing = State("Demanda em análise", initial=True, value="analysing")
    products_defined = State("Produtos definidos", value="products_defined")
    priced = State("Valores definidos", value="priced")
    sent = State("Enviado", value="sent")
    accepted = State("Aceito", final=True, value="accepted")
    rejected = State("Recusado", final=True, value="rejected")
    expired = State("Expirado", final=True, value="expired")

    define_products = analysing.to(products_defined, validators="check_has_items")
    back_to_analysis = products_defined.to(analysing)
    set_prices = products_defined.to(priced)
    back_to_products = priced.to(products_defined)
    send_quote = priced.to(sent)
    accept = sent.to(accepted)
    reject = sent.to(rejected)
    expire = sent.to(expired)

    event_labels = {
        "define_products": "definir os produtos",
        "back_to_analysis": "voltar à análise da demanda",
        "set_prices": "definir os valores",
        "back_to_products": "voltar aos produtos",
        "send_quote": "enviar o orçamento",
        "accept": "registrar o aceite",
        "reject": "registrar a recusa",
        "expire": "expirar",
    }
    event_roles = {
        name: ATTENDANTS
        for name in (
            "define_products",
            "back_to_analysis",
            "set_prices",
            "back_to_products",
            "send_quote",
            "accept",
            "reject",
        )
    }
    event_rules = {name: ("G8",) for name in event_roles} | {"expire": ("G8",)}
    reason_required = frozenset({"reject"})

    def check_has_items(self):
        if not self.model.items.exists():
            raise TransitionRefused("Inclua ao menos um produto no orçamento.", "G8")

    def on_send_quote(self, valid_until):
        orcamento = self.model
        orcamento.sent_at = clock.now()
        orcamento.valid_until = valid_until

    def on_accept(self):
        self.model.decided_at = clock.now()

    def on_reject(self, reason):
        self.model.decided_at = clock.now()
        self.model.rejection_reason = reason.strip()
