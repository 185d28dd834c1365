"""Support flows: the G3stor ticket (T2, T4, T6, T7) and the Textura romaneio (T5)."""

from statemachine import State
from statemachine.states import States

from workflows import clock
from workflows.engine import Action, Workflow, guard
from workflows.refusals import INPUT
from workflows.roles import SUPPORT_ALL, SUPPORT_STAFF, has_role

from . import business_time, sla
from .models import Romaneio, Ticket

# Events whose reason is what the client was told: each counts as a response (T6).
CLIENT_FACING = frozenset({"respond", "ask_client", "conclude"})


class TicketFlow(Workflow):
    """T4: aberto → em análise → aguardando cliente → em desenvolvimento → concluído, reopen;
    from any of them, mesclado (final): two tickets about one problem became one
    (`tickets.merge`).

    Every event needs a written reason (the "why" of T4); the engine records who and when.
    `dev_finished`/`dev_reopened` are fired by the GitHub webhook (system, T7).
    """

    choices = Ticket.State
    viewers = SUPPORT_ALL
    s = States.from_enum(
        choices, initial=choices.OPEN, final=choices.MERGED, use_enum_instance=False
    )

    analyse = s.OPEN.to(s.ANALYSIS)
    ask_client = s.ANALYSIS.to(s.WAITING_CLIENT) | s.DEVELOPMENT.to(s.WAITING_CLIENT)
    client_replied = s.WAITING_CLIENT.to(s.ANALYSIS)
    develop = s.OPEN.to(s.DEVELOPMENT) | s.ANALYSIS.to(s.DEVELOPMENT)
    conclude = (
        s.OPEN.to(s.DONE)
        | s.ANALYSIS.to(s.DONE)
        | s.WAITING_CLIENT.to(s.DONE)
        | s.DEVELOPMENT.to(s.DONE)
    )
    reopen = s.DONE.to(s.ANALYSIS)
    respond = (
        s.OPEN.to.itself()
        | s.ANALYSIS.to.itself()
        | s.WAITING_CLIENT.to.itself()
        | s.DEVELOPMENT.to.itself()
    )
    assign = (
        s.OPEN.to.itself()
        | s.ANALYSIS.to.itself()
        | s.WAITING_CLIENT.to.itself()
        | s.DEVELOPMENT.to.itself()
    )
    # T1: a "possível resposta" ticket handed to the ticket it answers (its message and
    # attachments go there) and closed as linked.
    link_reply = (
        s.OPEN.to(s.DONE)
        | s.ANALYSIS.to(s.DONE)
        | s.WAITING_CLIENT.to(s.DONE)
        | s.DEVELOPMENT.to(s.DONE)
    )
    # T4: merged into the ticket kept (`into`): its thread went there, it leaves the queue.
    merge = (
        s.OPEN.to(s.MERGED)
        | s.ANALYSIS.to(s.MERGED)
        | s.WAITING_CLIENT.to(s.MERGED)
        | s.DEVELOPMENT.to(s.MERGED)
        | s.DONE.to(s.MERGED)
    )
    dev_finished = s.DEVELOPMENT.to(s.ANALYSIS)
    dev_reopened = (
        s.ANALYSIS.to(s.DEVELOPMENT) | s.WAITING_CLIENT.to(s.DEVELOPMENT) | s.DONE.to(s.DEVELOPMENT)
    )

    actions = {
        "analyse": Action("Iniciar análise", SUPPORT_ALL, ("T4",), reason=True),
        "respond": Action("Dar retorno ao cliente", SUPPORT_ALL, ("T6",), reason=True),
        "ask_client": Action("Aguardar o cliente", SUPPORT_ALL, ("T4", "T6"), reason=True),
        "client_replied": Action("Cliente respondeu", SUPPORT_ALL, ("T4", "T6"), reason=True),
        "develop": Action(
            "Enviar para desenvolvimento",
            SUPPORT_ALL,
            ("T4", "T7"),
            guards=("has_issue",),
            reason=True,
        ),
        "conclude": Action("Concluir", SUPPORT_ALL, ("T4", "T6"), reason=True),
        "reopen": Action("Reabrir", SUPPORT_ALL, ("T4",), reason=True),
        "assign": Action(
            "Atribuir responsável",
            SUPPORT_STAFF,
            ("T4",),
            guards=("assignee_ok",),
            reason=True,
        ),
        "link_reply": Action(
            "Vincular ao chamado original",
            SUPPORT_STAFF,
            ("T1",),
            guards=("is_suspected_reply",),
            reason=True,
        ),
        "merge": Action(
            "Mesclar com outro chamado",
            SUPPORT_ALL,
            ("T4",),
            guards=(
                "merge_target_given",
                "merge_target_other",
                "merge_target_not_merged",
                "merge_target_not_concluded",
                "merge_same_client",
                "merge_one_github_issue",
                "merge_github_settled",
            ),
            reason=True,
            slug="mesclar",
        ),
        "dev_finished": Action("Issue fechada no GitHub", rules=("T7",), reason=True),
        "dev_reopened": Action("Issue reaberta no GitHub", rules=("T7",), reason=True),
    }

    # -- guards -------------------------------------------------------------------------------
    @guard("Abra a issue no GitHub antes de enviar o chamado para desenvolvimento.", "T7")
    def has_issue(self):
        """T7: development happens on a GitHub issue; open it with “Abrir no GitHub”."""
        return bool(self.model.github_issue_number)

    @guard("Este chamado não é uma possível resposta a outro chamado (ou já foi vinculado).", "T1")
    def is_suspected_reply(self):
        """T1: only a ticket opened by a "possível resposta" e-mail, while it keeps it."""
        ticket = self.model
        return bool(ticket.suspected_reply_to_id) and ticket.emails.exists()

    @guard("Escolha alguém do suporte para assumir o chamado.", "T4", kind=INPUT)
    def assignee_ok(self, assignee=None):
        return assignee is not None and has_role(assignee, *SUPPORT_ALL)

    # T4: a write on the ticket that is not an event (an internal note, editing one; a reply
    # is also refused by the state): asked with `engine.require_guard` / `engine.passes`.
    @guard(
        lambda view: (
            f"Este chamado foi mesclado com o #{view.model.merged_into_id}: escreva no "
            "chamado mantido."
            if view.model.merged_into_id
            else "Este chamado foi mesclado em outro: escreva no chamado mantido."
        ),
        "T4",
        condition="O chamado não foi mesclado em outro",
    )
    def thread_open(self):
        """T4: a merged ticket's thread lives on the kept one (`tickets.merge`): nothing more
        is written on the merged ticket, neither a note nor a reply."""
        return self.model.state != Ticket.State.MERGED

    # T4: merging (`tickets.merge`): `into` is the ticket kept; every refusal is about it.
    @guard("Informe o chamado que fica (por exemplo #123).", "T4", kind=INPUT)
    def merge_target_given(self, into=None):
        return into is not None

    @guard("Um chamado não pode ser mesclado nele mesmo: escolha outro chamado.", "T4", kind=INPUT)
    def merge_target_other(self, into=None):
        return into is None or into.pk != self.model.pk

    @guard(
        "O chamado escolhido já foi mesclado em outro: escolha o chamado que ficou.",
        "T4",
        kind=INPUT,
    )
    def merge_target_not_merged(self, into=None):
        return into is None or into.state != Ticket.State.MERGED

    @guard(
        "O chamado que fica está concluído: reabra-o antes de mesclar, ou mantenha o outro.",
        "T4",
        kind=INPUT,
    )
    def merge_target_not_concluded(self, into=None):
        """Reading: the kept ticket receives the thread and must still be worked (T6)."""
        return into is None or into.state != Ticket.State.DONE

    @guard(
        "Os chamados são de clientes diferentes (fichas diferentes): a conversa de um cliente "
        "não vai para o chamado de outro.",
        "T1",
        kind=INPUT,
    )
    def merge_same_client(self, into=None):
        """T1: only the ticket's client touches it; different contacts of one ficha, or a
        ticket without ficha, may merge (the confirmation page warns)."""
        ficha_id = self.model.ficha_id
        return into is None or not (ficha_id and into.ficha_id and ficha_id != into.ficha_id)

    @guard(
        "Os dois chamados têm issue no GitHub, e cada issue acompanha um só chamado: mantenha "
        "os chamados separados (ou feche a issue repetida no GitHub e conclua o chamado dela).",
        "T7",
        kind=INPUT,
    )
    def merge_one_github_issue(self, into=None):
        """T7: the link moves to the kept ticket; two different issues cannot both stay."""
        mine, theirs = self.model.github_issue_url, into.github_issue_url if into else ""
        return not (mine and theirs and mine != theirs)

    @guard(
        "A criação da issue no GitHub de um dos chamados está pendente: aguarde a nova "
        "tentativa automática antes de mesclar.",
        "T7",
        kind=INPUT,
    )
    def merge_github_settled(self, into=None):
        return not (self.model.github_pending or (into is not None and into.github_pending))

    # -- effects (the engine saves) -----------------------------------------------------------
    def on_assign(self, assignee):
        self.model.assignee = assignee

    def on_merge(self, into):
        self.model.merged_into = into

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
        if event in ("conclude", "link_reply"):
            ticket.resolved_at = now
        business_time.stamp(ticket, concluded=event in ("conclude", "link_reply"))  # issue 19
        if target.value in ("aguardando_cliente", "concluido", "mesclado"):
            # the ball is in the client's court, or it is done (or merged: the kept one has it)
            ticket.response_due_at = None
            ticket.response_since = None
        elif event in CLIENT_FACING or event in ("client_replied", "reopen"):
            ticket.response_since = now
            ticket.response_due_at = sla.add_business_minutes(
                now, policy.next_update_minutes, policy
            )


class RomaneioFlow(Workflow):
    """T5: pending romaneios are typed in (header and items), then checked (done)."""

    choices = Romaneio.State
    viewers = SUPPORT_ALL
    s = States.from_enum(
        choices, initial=choices.PENDING, final=choices.CHECKED, use_enum_instance=False
    )

    type_in = s.PENDING.to(s.TYPED)
    confirm = s.TYPED.to(s.CHECKED)
    back_to_typing = s.TYPED.to(s.PENDING)

    actions = {
        "type_in": Action(
            "Marcar como digitado",
            SUPPORT_STAFF,
            ("T5",),
            guards=("has_items", "header_complete"),
            slug="digitado",
        ),
        "confirm": Action("Marcar como conferido", SUPPORT_STAFF, ("T5",), slug="conferido"),
        "back_to_typing": Action(
            "Voltar para digitação", SUPPORT_STAFF, ("T5",), reason=True, slug="voltar"
        ),
    }

    @guard("Digite ao menos um item (produto, quantidade, unidade).", "T5")
    def has_items(self):
        return self.model.items.exists()

    @guard("Complete o cabeçalho: loja e arquiteto ou cliente.", "T5")
    def header_complete(self):
        romaneio = self.model
        return bool(romaneio.store.strip() and (romaneio.architect_id or romaneio.client.strip()))

    def on_type_in(self, actor):
        self.model.typed_by = actor
        self.model.typed_at = clock.now()

    def on_confirm(self, actor):
        self.model.checked_by = actor
        self.model.checked_at = clock.now()

    def on_back_to_typing(self):
        self.model.checked_by = None
        self.model.checked_at = None
