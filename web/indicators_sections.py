"""Indicadores (issue 19): the page's sections in order, as each domain declares them beside
its pages, and the daily rollup of their settled days (a django-q2 schedule runs `roll_recent`
every night; `fill_indicators` fills any past days)."""

from onboarding.indicators import CADASTROS_SECTION
from tickets.indicators import SUPPORT_SECTION
from workflows import indicators as ind
from workflows import indicators_rollup as rollup
from workflows.indicators_commissions import COMMISSIONS_SECTION
from workflows.indicators_orcamentos import ORCAMENTOS_SECTION
from workflows.indicators_sales import AGENDAMENTOS_SECTION, OVERRIDES_SECTION, SALES_SECTION
from workflows.indicators_triage import TRIAGE_SECTION

SECTIONS = (
    SALES_SECTION,
    TRIAGE_SECTION,
    COMMISSIONS_SECTION,
    AGENDAMENTOS_SECTION,
    ORCAMENTOS_SECTION,
    OVERRIDES_SECTION,
    CADASTROS_SECTION,
    SUPPORT_SECTION,
)
FIGURES = ind.figure_index(SECTIONS)
TABLES = {b.slug: b for s in SECTIONS for b in s.breakdowns}

ROLLUP_SCHEDULE = "indicadores-consolidar-dias"


def roll_recent() -> dict:
    """The nightly rollup: the settled days of the last `RECENT_DAYS` not kept yet."""
    return rollup.roll(SECTIONS)
