"""Medição (issue 19): the period of the figures and what they are about (the scope).

`resolve_period` reads the page's `periodo`, `de` and `ate`; every figure is compared with
the period of the same length just before (`Period.previous`), in São Paulo time.
"""

import datetime as dt
from dataclasses import dataclass

from . import clock
from .validators import MIN_DATE, parse_typed_date

PERIODS = {
    "hoje": "Hoje",
    "7dias": "Últimos 7 dias",
    "mes": "Este mês",
    "mes-anterior": "Mês anterior",
    "personalizado": "Personalizado",
}
DEFAULT_PERIOD = "mes"
MAX_DAYS = 731  # a custom period of at most two years


class IndicatorError(ValueError):
    """A query parameter the page cannot answer; `message` is for the user (pt-BR)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Period and scope --------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.start == self.end:
            return f"{self.start:%d/%m/%Y}"
        return f"{self.start:%d/%m/%Y} a {self.end:%d/%m/%Y}"

    def previous(self) -> "Period":
        """The same number of days just before (the comparison of every figure)."""
        return Period("anterior", self.start - dt.timedelta(days=self.days), self.start - ONE_DAY)

    def span(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) instants of the local days."""
        return clock.day_span(self.start)[0], clock.day_span(self.end)[1]

    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range(self.days)]


ONE_DAY = dt.timedelta(days=1)


def parse_date(text: str, what: str) -> dt.date:
    """dd/mm/aaaa or an ISO date (aaaa-mm-dd)."""
    day = parse_typed_date(text)
    if day is None:
        raise IndicatorError(f"Data {what} inválida: use dd/mm/aaaa (ex.: 31/01/2027).")
    return day


def resolve_period(params, today: dt.date) -> Period:
    """The period asked by `periodo` (and `de`/`ate` for a custom one)."""
    start_text = params.get("de", "").strip()
    end_text = params.get("ate", "").strip()
    key = params.get("periodo", "").strip() or (
        "personalizado" if start_text or end_text else DEFAULT_PERIOD
    )
    if key not in PERIODS:
        raise IndicatorError(
            "Período desconhecido: escolha hoje, últimos 7 dias, este mês, mês anterior "
            "ou personalizado."
        )
    if key == "hoje":
        return Period(key, today, today)
    if key == "7dias":
        return Period(key, today - dt.timedelta(days=6), today)
    if key == "mes":
        return Period(key, today.replace(day=1), today)
    if key == "mes-anterior":
        last = today.replace(day=1) - ONE_DAY
        return Period(key, last.replace(day=1), last)
    if not start_text:
        raise IndicatorError("Informe a data inicial do período personalizado.")
    start = parse_date(start_text, "inicial")
    end = parse_date(end_text, "final") if end_text else today
    if start < MIN_DATE or end < MIN_DATE:
        raise IndicatorError(f"Escolha datas a partir de {MIN_DATE:%d/%m/%Y}.")
    if start > today or end > today:
        raise IndicatorError(f"Escolha datas até hoje ({today:%d/%m/%Y}).")
    if start > end:
        raise IndicatorError("A data inicial deve ser anterior ou igual à final.")
    if (end - start).days + 1 > MAX_DAYS:
        raise IndicatorError("Escolha um período de até 2 anos.")
    return Period(key, start, end)


@dataclass(frozen=True)
class Scope:
    """What the figures are about: the period, one team member (or the team), a product and
    a channel."""

    period: Period
    member: object = None  # a user, or None for the whole team
    product: object = None  # a Product, or None for all
    channel: str = ""  # a channel value (chat, phone…), or "" for all

    @property
    def previous(self) -> Period:
        return self.period.previous()
