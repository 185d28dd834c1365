"""Medição of commissions (issue 19, S4, S8, S9, M1): per seller and per rule, the ones left
for the manager to settle and those the manager settled. Sales are dated by the sale."""

from django.db.models import Q

from .indicators import Breakdown, Figure, Section
from .indicators_sales import SALES, person, user_group
from .models import Sale
from .roles import ATTENDANTS
from .rules import RULES

FLAGGED_STATES = (Sale.State.TO_SETTLE, Sale.State.SETTLED)

COMMISSIONS = Figure("comissoes", "Comissões", SALES, better=0)
COMMISSIONS_FLAGGED = Figure(
    "comissoes-para-o-gestor",
    "Deixadas para o gestor",
    SALES,
    Q(state__in=FLAGGED_STATES),
    better=0,
)
COMMISSIONS_WAITING = Figure(
    "comissoes-a-definir",
    "Ainda a definir pelo gestor",
    SALES,
    Q(state=Sale.State.TO_SETTLE),
    better=-1,
)
COMMISSIONS_SETTLED = Figure(
    "comissoes-definidas-gestor",
    "Definidas pelo gestor (M1)",
    SALES,
    Q(state=Sale.State.SETTLED),
    better=0,
)


def _rule(values: dict) -> str:
    rule = values["commission_rule"] or "—"
    return f"{rule} · {RULES[rule]}" if rule in RULES else rule


COMMISSIONS_SECTION = Section(
    slug="comissoes",
    roles=ATTENDANTS,
    title="Comissões",
    note="Uma comissão por venda do período; quem recebe é definido pela regra ou pelo gestor.",
    tiles=(COMMISSIONS, COMMISSIONS_FLAGGED, COMMISSIONS_WAITING, COMMISSIONS_SETTLED),
    breakdowns=(
        Breakdown(
            "comissoes-por-regra",
            "Comissões por regra",
            ("commission_rule",),
            _rule,
            (COMMISSIONS, COMMISSIONS_FLAGGED, COMMISSIONS_SETTLED),
        ),
        Breakdown(
            "comissoes-por-beneficiario",
            "Comissões por quem recebe",
            user_group("commission_to"),
            lambda v: person(v, "commission_to"),
            (COMMISSIONS, COMMISSIONS_WAITING, COMMISSIONS_SETTLED),
            team_only=True,
        ),
    ),
)
