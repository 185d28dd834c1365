"""Medição of the orçamentos (issue 19, G8): created, sent, accepted, rejected, expired,
conversion, value, and the time from sending to the client's decision. Counted in the period
they were CREATED in, with what became of each as of now."""

from django.db.models import (
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
)
from django.db.models.functions import Coalesce
from django.urls import reverse

from .indicators import Breakdown, Column, Figure, Ratio, Section, Source
from .indicators_sales import name_of, person, user_group
from .models import Orcamento, OrcamentoItem
from .roles import ATTENDANTS

# --- Orçamentos --------------------------------------------------------------------------

QUOTE = Orcamento.State


def _with_product(rows, product):
    return rows.filter(
        Exists(OrcamentoItem.objects.filter(orcamento=OuterRef("pk"), product=product))
    )


def _orcamentos():
    to_decision = F("decided_at") - F("sent_at")
    return Orcamento.objects.annotate(
        to_decision=ExpressionWrapper(to_decision, output_field=DurationField())
    )


ORCAMENTOS = Source(
    slug="orcamentos",
    queryset=_orcamentos,
    when="created_at",
    member="author",
    product_filter=_with_product,
    list_related=("ficha", "author"),
    link=lambda o: reverse("orcamento_detail", args=[o.pk]),
    columns=(
        Column("Número", lambda o: o.number),
        Column("Criado em", lambda o: o.created_at, "datetime"),
        Column("Ficha", lambda o: o.ficha.name),
        Column("Responsável", lambda o: name_of(o.author)),
        Column("Situação", lambda o: o.get_state_display()),
        Column("Enviado em", lambda o: o.sent_at, "datetime"),
        Column("Decidido em", lambda o: o.decided_at, "datetime"),
        Column("Motivo da recusa", lambda o: o.get_rejection_kind_display()),
        Column("Detalhes da recusa", lambda o: o.rejection_reason),
    ),
)

ORC_CREATED = Figure("orcamentos", "Orçamentos criados", ORCAMENTOS, better=0)
ORC_SENT = Figure("orcamentos-enviados", "Enviados", ORCAMENTOS, Q(sent_at__isnull=False))
ORC_ACCEPTED = Figure("orcamentos-aceitos", "Aceitos", ORCAMENTOS, Q(state=QUOTE.ACCEPTED))
ORC_REJECTED = Figure(
    "orcamentos-recusados", "Recusados", ORCAMENTOS, Q(state=QUOTE.REJECTED), better=-1
)
ORC_EXPIRED = Figure(
    "orcamentos-expirados", "Expirados", ORCAMENTOS, Q(state=QUOTE.EXPIRED), better=-1
)
# G8: the refusals per reason the client gave (Orcamento.RejectionKind), each with its list.
REFUSAL = Orcamento.RejectionKind
REFUSAL_SLUGS = {
    REFUSAL.PRICE: "preco",
    REFUSAL.DEADLINE: "prazo",
    REFUSAL.COMPETITOR: "concorrente",
    REFUSAL.NO_BUDGET: "sem-verba",
    REFUSAL.OTHER: "outro",
}
ORC_REJECTED_BY_KIND = tuple(
    Figure(
        f"orcamentos-recusados-{REFUSAL_SLUGS[kind]}",
        f"Recusados: {kind.label.lower()}",
        ORCAMENTOS,
        Q(state=QUOTE.REJECTED, rejection_kind=kind.value),
        better=-1 if kind != REFUSAL.OTHER else 0,
    )
    for kind in REFUSAL
)
DECIDED = Q(sent_at__isnull=False, decided_at__isnull=False)
ORC_DECIDED = Figure("orcamentos-decididos", "Decididos pelo cliente", ORCAMENTOS, DECIDED)
ORC_DECISION_TIME = Figure(
    "orcamentos-tempo-decisao",
    "Tempo do envio à decisão (soma)",
    ORCAMENTOS,
    DECIDED,
    total="to_decision",
    better=-1,
    drill=False,
)
ORC_MEAN_DECISION = Ratio(
    "orcamentos-decisao-media",
    "Tempo médio do envio à decisão",
    ORC_DECISION_TIME.key,
    ORC_DECIDED.key,
    better=-1,
    mean=True,
)

# The value of the items (the quote's total, as OrcamentoItem.total computes it): after the
# item's own discount (`discount`, in R$ even when typed as a percentage) and its share of the
# whole-quote discount (`quote_discount`).
ITEM_VALUE = ExpressionWrapper(
    F("quantity") * Coalesce("unit_price", "product__unit_price")
    - F("discount")
    - F("quote_discount"),
    output_field=DecimalField(max_digits=14, decimal_places=2),
)
ORCAMENTO_ITEMS = Source(
    slug="orcamento-itens",
    queryset=OrcamentoItem.objects.all,
    when="orcamento__created_at",
    member="orcamento__author",
    product="product",
    columns=(),
)
ORC_VALUE = Figure(
    "orcamentos-valor",
    "Valor orçado",
    ORCAMENTO_ITEMS,
    total=ITEM_VALUE,
    money=True,
    better=0,
    drill=False,
)
ORC_VALUE_ACCEPTED = Figure(
    "orcamentos-valor-aceito",
    "Valor aceito",
    ORCAMENTO_ITEMS,
    Q(orcamento__state=QUOTE.ACCEPTED),
    total=ITEM_VALUE,
    money=True,
    drill=False,
)

ORCAMENTOS_SECTION = Section(
    slug="orcamentos",
    roles=ATTENDANTS,
    title="Orçamentos",
    note=(
        "Orçamentos criados no período e a situação de cada um até agora; as recusas, pelo "
        "motivo que o cliente deu (as registradas antes da escolha do motivo contam como "
        "“outro”, com o texto mantido nos detalhes)."
    ),
    tiles=(
        ORC_CREATED,
        ORC_SENT,
        ORC_ACCEPTED,
        ORC_REJECTED,
        *ORC_REJECTED_BY_KIND,
        ORC_EXPIRED,
        Ratio(
            "orcamentos-conversao",
            "Conversão (aceitos / enviados)",
            "orcamentos-aceitos",
            "orcamentos-enviados",
        ),
        ORC_MEAN_DECISION,
        ORC_VALUE,
        ORC_VALUE_ACCEPTED,
    ),
    figures=(ORC_DECIDED, ORC_DECISION_TIME),
    breakdowns=(
        Breakdown(
            "orcamentos-por-responsavel",
            "Orçamentos por responsável",
            user_group("author"),
            lambda v: person(v, "author"),
            (ORC_CREATED, ORC_SENT, ORC_ACCEPTED),
            link="membro",
            team_only=True,
        ),
        Breakdown(
            "orcamentos-recusas-por-responsavel",
            "Recusas por responsável",
            user_group("author"),
            lambda v: person(v, "author"),
            (ORC_REJECTED, *ORC_REJECTED_BY_KIND),
            link="membro",
            team_only=True,
        ),
    ),
)
