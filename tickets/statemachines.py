"""Support flows: the G3stor ticket (T2, T4, T6, T7) and the Textura romaneio (T5)."""

from statemachine import State

from workflows import clock
from workflows.engine import TransitionRefused, Workflow
from workflows.roles import MANAGER, SUPPORT, SUPPORT_DEV, has_role

from . import sla

SUPPORT_STAFF = frozenset({SUPPORT, MANAGER})
SUPPORT_ALL = frozenset({SUPPORT, SUPPORT_DEV, MANAGER})

# Events whose reason is what the client was told: each counts as a response (T6).
CLIENT_FACING = frozenset({"respond", "ask_client", "conclude"})


class TicketFlow(Workflow):
    """T4: aberto → em análise → aguardando cliente → em desenvolvimento → concluído, reopen.

    Every event needs a written reason (the "why" of T4); the engine records who and when.
    `dev_finished`/`dev_reopened` are fired by the GitHub webhook (system, T7).
    """

    aberto = State("Aberto", initial=True, value="aberto")
    em_analise = State("Em análise", value="em_analise")
    aguardando_cliente = State("Aguardando cliente", value="aguardando_cliente")
    em_desenvolvimento = State("Em desenvolvimento", value="em_desenvolvimento")
    concluido = State("Concluído", value="concluido")

    analyse = aberto.to(em_analise)
    ask_client = em_analise.to(aguardando_cliente) | em_desenvolvimento.to(aguardando_cliente)
    client_replied = aguardando_cliente.to(em_analise)
    develop = aberto.to(em_desenvolvimento, validators="check_issue") | em_analise.to(
        em_desenvolvimento, validators="check_issue"
    )
    conclude = (
        aberto.to(concluido)
        | em_analise.to(concluido)
        | aguardando_cliente.to(concluido)
        | em_desenvolvimento.to(concluido)
    )
    reopen = concluido.to(em_analise)
    respond = (
        aberto.to.itself()
        | em_analise.to.itself()
        | aguardando_cliente.to.itself()
        | em_desenvolvimento.to.itself()
    )
    assign = (
        aberto.to.itself(validators="check_assignee")
        | em_analise.to.itself(validators="check_assignee")
        | aguardando_cliente.to.itself(validators="check_assignee")
        | em_desenvolvimento.to.itself(validators="check_assignee")
    )
    dev_finished = em_desenvolvimento.to(em_analise)
    dev_reopened = (
        em_analise.to(em_desenvolvimento)
        | aguardando_cliente.to(em_desenvolvimento)
        | concluido.to(em_desenvolvimento)
    )

    event_labels = {
        "analyse": "iniciar análise",
        "ask_client": "aguardar o cliente",
        "client_replied": "cliente respondeu",
        "develop": "enviar para desenvolvimento",
        "conclude": "concluir",
        "reopen": "reabrir",
        "respond": "dar retorno ao cliente",
        "assign": "atribuir responsável",
        "dev_finished": "issue fechada no GitHub",
        "dev_reopened": "issue reaberta no GitHub",
    }
    event_roles = {
        "analyse": SUPPORT_ALL,
        "ask_client": SUPPORT_ALL,
        "client_replied": SUPPORT_ALL,
        "develop": SUPPORT_ALL,
        "conclude": SUPPORT_ALL,
        "reopen": SUPPORT_ALL,
        "respond": SUPPORT_ALL,
        "assign": SUPPORT_STAFF,
    }
    event_rules = {
        "analyse": ("T4",),
        "ask_client": ("T4", "T6"),
        "client_replied": ("T4", "T6"),
        "develop": ("T4", "T7"),
        "conclude": ("T4", "T6"),
        "reopen": ("T4",),
        "respond": ("T6",),
        "assign": ("T4",),
        "dev_finished": ("T7",),
        "dev_reopened": ("T7",),
    }
    reason_required = frozenset(event_labels)

    # -- guards -------------------------------------------------------------------------------
    def check_issue(self):
        """T7: development happens on a GitHub issue; open it with “Abrir no GitHub”."""
        if not self.model.github_issue_number:
            raise TransitionRefused(
                "Abra a issue no GitHub antes de enviar o chamado para desenvolvimento.", "T7"
            )

    def check_assignee(self, assignee=None):
        if assignee is None or not has_role(assignee, SUPPORT, SUPPORT_DEV, MANAGER):
            raise TransitionRefused("Escolha alguém do suporte para assumir o chamado.", "T4")

    # -- effects (the engine saves) -----------------------------------------------------------
    def on_assign(self, assignee):
        self.model.assignee = assignee

    def after_transition(self, event: str, target: State):
        """T6: keep the SLA clock: responses restart the next-update window."""
        event = getattr(event, "id", event)
        ticket = self.model
        now = clock.now()
        policy = ticket.sla_policy
        if event in CLIENT_FACING:
            ticket.last_response_at = now
            ticket.first_response_at = ticket.first_response_at or now
        if event == "reopen":
            ticket.resolved_at = None
            ticket.resolution_since = now
            ticket.resolution_due_at = sla.add_business_minutes(
                now, policy.resolution_minutes, policy
            )
        if event == "conclude":
            ticket.resolved_at = now
        if target.value in ("aguardando_cliente", "concluido"):
            ticket.response_due_at = None  # the ball is in the client's court, or it is done
            ticket.response_since = None
        elif event in CLIENT_FACING or event in ("client_replied", "reopen"):
            ticket.response_since = now
            ticket.response_due_at = sla.add_business_minutes(
                now, policy.next_update_minutes, policy
            )


class RomaneioFlow(Workflow):
    """T5: pending romaneios are typed in (header and items), then checked (done)."""

    pendente = State("Pendente", initial=True, value="pendente")
    digitado = State("Digitado", value="digitado")
    conferido = State("Conferido", final=True, value="conferido")

    type_in = pendente.to(digitado, validators="check_items")
    confirm = digitado.to(conferido)
    back_to_typing = digitado.to(pendente)

    event_labels = {
        "type_in": "marcar como digitado",
        "confirm": "marcar como conferido",
        "back_to_typing": "voltar para digitação",
    }
    event_roles = {
        "type_in": SUPPORT_STAFF,
        "confirm": SUPPORT_STAFF,
        "back_to_typing": SUPPORT_STAFF,
    }
    event_rules = {"type_in": ("T5",), "confirm": ("T5",), "back_to_typing": ("T5",)}
    reason_required = frozenset({"back_to_typing"})

    def check_items(self):
        romaneio = self.model
        if not romaneio.items.exists():
            raise TransitionRefused("Digite ao menos um item (produto, quantidade, unidade).", "T5")
        if not romaneio.store.strip() or not (romaneio.architect_id or romaneio.client.strip()):
            raise TransitionRefused("Complete o cabeçalho: loja e arquiteto ou cliente.", "T5")

    def on_type_in(self, actor):
        self.model.typed_by = actor
        self.model.typed_at = clock.now()

    def on_confirm(self, actor):
        self.model.checked_by = actor
        self.model.checked_at = clock.now()

    def on_back_to_typing(self):
        self.model.checked_by = None
        self.model.checked_at = None
