"""Medição of the sales domain (issue 19): Vendas, Agendamentos, Exceções (Orçamentos live in
`indicators_orcamentos.py`, the one-call S8 figures in `indicators_triage.py`).

Reading (the issue is silent): agendamentos and orçamentos are counted by the period they
were OPENED in, each with what became of it (concluded, expired… as of now); so "expirados"
are the agendamentos of the period that expired, and the expiry rate is expired / opened.
Sales are dated by the sale, exceptions (M1) by the manager's decision.
"""

from django.db.models import (
    Exists,
    OuterRef,
    Q,
)
from django.urls import reverse

from .indicators import Breakdown, Column, Figure, Ratio, Section, Series, Source
from .models import Agendamento, AgendamentoKind, Movimentacao, Override
from .models import Sale as SaleModel
from .roles import ATTENDANTS
from .rules import RULES


def person(values: dict, prefix: str) -> str:
    """A user's name from `values()` of `<prefix>__first_name/last_name/username`."""
    if values.get(prefix) is None:
        return "Sem responsável"
    full = f"{values.get(f'{prefix}__first_name') or ''} {values.get(f'{prefix}__last_name') or ''}"
    return full.strip() or values.get(f"{prefix}__username") or "—"


def user_group(prefix: str) -> tuple[str, ...]:
    return (prefix, f"{prefix}__first_name", f"{prefix}__last_name", f"{prefix}__username")


def name_of(user) -> str:
    return "" if user is None else (user.get_full_name() or user.username)


def yes_no(value: bool) -> str:
    return "Sim" if value else "Não"


def ficha_url(row) -> str:
    return reverse("ficha_detail", args=[row.ficha_id]) if row.ficha_id else ""


# --- Vendas ------------------------------------------------------------------------------

SALES = Source(
    slug="vendas",
    queryset=SaleModel.objects.all,
    when="at",
    member="seller",
    product="product",
    list_related=("ficha", "product", "seller"),
    link=ficha_url,
    columns=(
        Column("Quando", lambda s: s.at, "datetime"),
        Column("Ficha", lambda s: s.ficha.name),
        Column("Produto", lambda s: s.product.name),
        Column("Vendedor", lambda s: name_of(s.seller)),
        Column("Quantidade", lambda s: s.quantity, "int"),
        Column("Desconto", lambda s: s.discount, "money"),
        Column("Total", lambda s: s.total, "money"),
        Column("Veio de campanha", lambda s: yes_no(s.from_campaign)),
        Column("Dívida abonada", lambda s: yes_no(s.debt_waived)),
        Column("Comissão", lambda s: s.get_state_display()),
        Column("Regra da comissão", lambda s: s.commission_rule),
    ),
)

SALES_COUNT = Figure("vendas", "Vendas", SALES)
SALES_VALUE = Figure("vendas-valor", "Valor vendido", SALES, total="total", money=True)
SALES_CAMPAIGN = Figure(
    "vendas-campanha", "Vendas via campanha", SALES, Q(from_campaign=True), better=0
)
SALES_DISCOUNTED = Figure(
    "vendas-com-desconto", "Vendas com desconto", SALES, Q(discount__gt=0), better=-1
)
SALES_DISCOUNT = Figure(
    "vendas-descontos",
    "Descontos dados",
    SALES,
    Q(discount__gt=0),
    total="discount",
    better=-1,
    money=True,
)
SALES_WAIVED = Figure(
    "vendas-divida-abonada",
    "Recontratações com dívida abonada (S7)",
    SALES,
    Q(debt_waived=True),
    better=0,
)


def _recontracts():
    """S5/S6/S7: an inactive ficha sold to again (the ficha's `recontract` transition)."""
    from django.contrib.contenttypes.models import ContentType

    from .models import AuditEntry, Ficha

    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Ficha), event="recontract"
    )


RECONTRACTS = Source(
    slug="recontratacoes",
    queryset=_recontracts,
    when="at",
    member="actor",
    list_related=("actor",),
    link=lambda e: reverse("ficha_detail", args=[int(e.object_id)]),
    columns=(
        Column("Quando", lambda e: e.at, "datetime"),
        Column("Ficha", lambda e: f"#{e.object_id}"),
        Column("Vendedor", lambda e: name_of(e.actor) if e.actor_id else ""),
        Column("Regra", lambda e: e.reason),
    ),
)
SALES_RECONTRACTS = Figure(
    "recontratacoes", "Recontratações de fichas inativas (S5/S6/S7)", RECONTRACTS
)

SALES_SECTION = Section(
    slug="vendas",
    roles=ATTENDANTS,
    title="Vendas",
    note="Recontratações não têm produto: o filtro de produto não se aplica a elas.",
    tiles=(
        SALES_COUNT,
        SALES_VALUE,
        SALES_CAMPAIGN,
        Ratio("vendas-campanha-pct", "Participação de campanhas", "vendas-campanha", "vendas", 0),
        SALES_DISCOUNTED,
        SALES_DISCOUNT,
        SALES_RECONTRACTS,
        SALES_WAIVED,
    ),
    breakdowns=(
        Breakdown(
            "vendas-por-vendedor",
            "Vendas por vendedor",
            user_group("seller"),
            lambda v: person(v, "seller"),
            (SALES_COUNT, SALES_VALUE, SALES_DISCOUNT),
            link="membro",
            team_only=True,
        ),
        Breakdown(
            "vendas-por-produto",
            "Vendas por produto",
            ("product", "product__name"),
            lambda v: v["product__name"],
            (SALES_COUNT, SALES_VALUE, SALES_DISCOUNT),
            link="produto",
        ),
    ),
    series=Series("vendas-por-dia", "Vendas por dia", SALES_COUNT, SALES_VALUE),
)

# --- Agendamentos ------------------------------------------------------------------------

A = Agendamento.State


def _agendamentos():
    by_sale = Movimentacao.objects.filter(
        agendamento=OuterRef("pk"), reason=Movimentacao.Reason.SALE
    )
    return Agendamento.objects.annotate(by_sale=Exists(by_sale))


AGENDAMENTOS = Source(
    slug="agendamentos",
    queryset=_agendamentos,
    when="created_at",
    member="owner",
    product="product",
    settled_states=(A.CONCLUDED, A.EXPIRED, A.CANCELLED),  # final in AgendamentoFlow
    list_related=("ficha", "product", "owner"),
    link=ficha_url,
    columns=(
        Column("Aberto em", lambda a: a.created_at, "datetime"),
        Column("Ficha", lambda a: a.ficha.name),
        Column("Tipo", lambda a: a.get_kind_display()),
        Column("Produto", lambda a: a.product.name),
        Column("Responsável", lambda a: name_of(a.owner)),
        Column("Prazo", lambda a: a.due_date, "date"),
        Column("Situação", lambda a: a.get_state_display()),
    ),
)

AG_OPENED = Figure("agendamentos", "Agendamentos abertos", AGENDAMENTOS, better=0)
# The state first: the databases then look for the sale only for concluded agendamentos
# (Q(**kwargs) would sort `by_sale` before `state`).
CONCLUDED = Q(state=A.CONCLUDED)
AG_SOLD = Figure(
    "agendamentos-venda", "Concluídos com venda", AGENDAMENTOS, CONCLUDED & Q(by_sale=True)
)
AG_CONCLUDED_OTHER = Figure(
    "agendamentos-concluidos",
    "Concluídos sem venda",
    AGENDAMENTOS,
    CONCLUDED & Q(by_sale=False),
    better=0,
)
AG_EXPIRED = Figure(
    "agendamentos-expirados", "Expirados", AGENDAMENTOS, Q(state=A.EXPIRED), better=-1
)
AG_CANCELLED = Figure(
    "agendamentos-cancelados", "Cancelados", AGENDAMENTOS, Q(state=A.CANCELLED), better=-1
)
AG_LIVE = Figure(
    "agendamentos-em-aberto",
    "Ainda em aberto",
    AGENDAMENTOS,
    Q(state__in=Agendamento.LIVE),
    better=0,
)
AG_RENEWED = Figure(
    "agendamentos-renovados", "Renovados (S2)", AGENDAMENTOS, Q(renewed=True), better=0
)
AG_VALIDATED = Figure(
    "agendamentos-validados",
    "Validados pelo gestor (> 7 dias)",
    AGENDAMENTOS,
    Q(manager_validated=True),
    better=0,
)
AG_EXPIRY_RATE = Ratio(
    "agendamentos-expirados-pct", "Taxa de expiração", "agendamentos-expirados", "agendamentos", -1
)

AGENDAMENTOS_SECTION = Section(
    slug="agendamentos",
    roles=ATTENDANTS,
    title="Agendamentos",
    note="Agendamentos abertos no período e o que aconteceu com cada um até agora.",
    tiles=(
        AG_OPENED,
        AG_SOLD,
        AG_CONCLUDED_OTHER,
        AG_EXPIRED,
        AG_CANCELLED,
        AG_LIVE,
        AG_EXPIRY_RATE,
        AG_RENEWED,
        AG_VALIDATED,
    ),
    breakdowns=(
        Breakdown(
            "agendamentos-por-tipo",
            "Agendamentos abertos por tipo (G6)",
            ("kind",),
            lambda v: AgendamentoKind(v["kind"]).label,
            (AG_OPENED, AG_SOLD, AG_EXPIRED),
        ),
        Breakdown(
            "agendamentos-por-responsavel",
            "Expiração por responsável",
            user_group("owner"),
            lambda v: person(v, "owner"),
            (AG_OPENED, AG_EXPIRED, AG_EXPIRY_RATE),
            link="membro",
            team_only=True,
        ),
    ),
)

# --- Exceções (M1) -----------------------------------------------------------------------

OVERRIDES = Source(
    slug="excecoes",
    queryset=Override.objects.all,
    when="at",
    member="manager",
    list_related=("manager", "ficha"),
    link=ficha_url,
    columns=(
        Column("Quando", lambda o: o.at, "datetime"),
        Column("Regra", lambda o: f"{o.rule_id} · {RULES.get(o.rule_id, '')}".strip(" ·")),
        Column("Gestor", lambda o: name_of(o.manager)),
        Column("Ficha", lambda o: o.ficha.name if o.ficha_id else ""),
        Column("Justificativa", lambda o: o.reason),
    ),
)
OVERRIDE_COUNT = Figure("excecoes", "Exceções do gestor", OVERRIDES, better=0)

OVERRIDES_SECTION = Section(
    slug="excecoes",
    title="Exceções do gestor (M1)",
    managers_only=True,
    note="Exceções não têm produto: o filtro de produto não se aplica a elas.",
    tiles=(OVERRIDE_COUNT,),
    breakdowns=(
        Breakdown(
            "excecoes-por-regra",
            "Exceções por regra",
            ("rule_id",),
            lambda v: f"{v['rule_id']} · {RULES.get(v['rule_id'], '')}".strip(" ·"),
            (OVERRIDE_COUNT,),
        ),
        Breakdown(
            "excecoes-por-gestor",
            "Exceções por gestor",
            user_group("manager"),
            lambda v: person(v, "manager"),
            (OVERRIDE_COUNT,),
            link="membro",
        ),
    ),
)
