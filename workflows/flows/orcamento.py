"""The orçamento (G8): analyse, define products, price, send, then the client decides."""

from statemachine.states import States

from .. import clock
from ..engine import Action, Workflow, guard
from ..models import Orcamento
from ..refusals import OWNER
from ..roles import ATTENDANTS, is_manager


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

    def on_reject(self, kind, details=""):
        self.model.decided_at = clock.now()
        self.model.rejection_kind, self.model.rejection_reason = kind, details
