"""Medição (issue 19): how a figure is declared. A `Source` is one kind of record dated by
one field; a `Figure` counts or sums its rows that match a condition; a `Ratio` divides two
figures; a `Breakdown` shows a source's figures per agent, product, type…; a `Series` gives
one figure per day (the chart); a `Section` is one block of the page. `indicators.compute`
turns them into values; every name here is also importable from `workflows.indicators`."""

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, FloatField, Func, Q, Sum

from .indicators_period import Period, Scope


@dataclass(frozen=True)
class Column:
    """One column of a drill-down list and its export: header, value, kind (text, int,
    money, date, datetime)."""

    header: str
    value: Callable
    kind: str = "text"


@dataclass(frozen=True)
class Source:
    """One kind of record, dated by `when` (a datetime, or a date when `dated`)."""

    slug: str
    queryset: Callable  # () -> QuerySet
    when: str
    member: str | None  # the user field the member filter and the agent's view use
    columns: tuple[Column, ...]
    product: str | None = None  # the product field, or None: the product filter doesn't apply
    product_filter: Callable | None = None  # (queryset, product) -> queryset, instead of `product`
    link: Callable | None = None  # row -> URL of the record
    list_related: tuple[str, ...] = ()
    dated: bool = False
    channel: str | None = None  # the channel field, or None: the channel filter doesn't apply
    # The daily rollup (indicators_rollup): a past day is kept once every row dated that day
    # is in one of these states, where it no longer changes by itself; () never rolls.
    settled_states: tuple = ()

    def __post_init__(self):
        if self.settled_states:
            from .indicators_rollup import register  # it reads Periods from below us

            register(self)

    @functools.cached_property
    def model(self):
        """The records' model (building the queryset to ask costs a page ~1 ms per source)."""
        return self.queryset().model

    def in_range(self, start: dt.date, end: dt.date) -> Q:
        if self.dated:
            return Q(**{f"{self.when}__gte": start, f"{self.when}__lte": end})
        low, high = Period("", start, end).span()
        return Q(**{f"{self.when}__gte": low, f"{self.when}__lt": high})

    def narrow(self, rows, scope: Scope):
        if scope.member is not None and self.member:
            rows = rows.filter(**{self.member: scope.member})
        if scope.product is not None:
            if self.product_filter is not None:
                rows = self.product_filter(rows, scope.product)
            elif self.product:
                rows = rows.filter(**{self.product: scope.product})
        if scope.channel and self.channel:
            rows = rows.filter(**{self.channel: scope.channel})
        return rows

    @property
    def takes_product(self) -> bool:
        return bool(self.product or self.product_filter)


@dataclass(frozen=True)
class Figure:
    """A count (or, with `total`, a sum) of a source's rows matching `where`. `better` says
    which way is good: 1 more is better, -1 fewer is better, 0 neither (not coloured)."""

    key: str
    label: str
    source: Source
    where: Q = field(default_factory=Q)
    total: object = None  # a field name or an expression to sum
    better: int = 1
    money: bool = False
    drill: bool = True
    order: tuple[str, ...] = ()
    # The sum is a number of these (a second, a minute) and reads as a duration: summing
    # numbers is the database's own arithmetic, where durations cost a function per row.
    unit: dt.timedelta | None = None

    def read(self, value):
        """The aggregate as the page shows it (a duration, when the figure has a unit)."""
        if self.unit is None or value is None:
            return value
        return self.unit * value

    def aggregate(self, period_q: Q):
        condition = self.where & period_q
        if self.total is None:
            return Count("pk", filter=condition)
        return Sum(self.total, filter=condition)

    def measure(self):
        """The aggregate over the rows it is given (the period is chosen by the query)."""
        condition = self.where or None
        if self.total is None:
            return Count("pk", filter=condition)
        return Sum(self.total, filter=condition)

    def rows(self, scope: Scope, period: Period | None = None):
        """The records behind the figure in the period (the current one by default)."""
        period = period or scope.period
        source = self.source
        rows = source.queryset().filter(source.in_range(period.start, period.end), self.where)
        rows = source.narrow(rows, scope)
        if source.list_related:
            rows = rows.select_related(*source.list_related)
        return rows.order_by(*(self.order or (f"-{source.when}", "-pk")))


class ElapsedSeconds(Func):
    """`end` − `start` in seconds, in the database's own arithmetic (a Figure summing it has
    `unit=SECOND`). PostgreSQL is exact; SQLite's julianday() is rounded to the millisecond."""

    template = "CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)"
    arg_joiner = " - "
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        template = "ROUND((julianday(%(expressions)s)) * 86400.0, 3)"
        return self.as_sql(
            compiler, connection, template=template, arg_joiner=") - julianday(", **extra
        )


def elapsed_seconds(start: str, end: str):
    """`end` − `start` in seconds (None where either is empty)."""
    return ElapsedSeconds(end, start)


SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Ratio:
    """A share in %: figure `part` over figure `whole` (its change is in percentage points).
    With `mean`, `part` sums a duration and the ratio is the mean time per `whole` row."""

    key: str
    label: str
    part: str
    whole: str
    better: int = 1
    mean: bool = False


@dataclass(frozen=True)
class Breakdown:
    """A source's figures per group (agent, product, type…): one query."""

    slug: str
    title: str
    group: tuple[str, ...]  # values() fields: the first is the key, all feed `label`
    label: Callable  # dict of the group's values -> text
    figures: tuple  # Figures (of one source) and Ratios over them
    link: str | None = None  # the filter a row's key sets on a drill-down ("membro", "produto")
    team_only: bool = False  # a per-agent table: only when the team is shown


@dataclass(frozen=True)
class Series:
    """A figure per local day of the period (the chart), zero-filled: a count and a total of
    one source's rows per day, or `daily(scope)` giving [{day, count}] itself (e.g. what is
    open at the end of each day, which no per-day group of rows gives)."""

    slug: str
    title: str
    count: Figure | None = None
    total: Figure | None = None
    daily: Callable | None = None  # (scope) -> [{"day", "count"}], one per day of the period
    count_label: str = "Vendas"  # the column of the count (table and export)
    unit: str = "venda"  # one bar's count, in words ("3 vendas")
    note: str = ""
    # `daily` only: a past day's figure never changes, so the daily rollup may keep it (for
    # the whole team, unfiltered); `forget_series` is called by whatever rewrites the past.
    # A rolling series is a stock carried from day to day: `daily(scope, opening=n)` is told
    # the kept figure of the day before the period when there is one, so it need not count
    # the whole history before the period again.
    rolls: bool = False


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    tiles: tuple  # Figures and Ratios
    breakdowns: tuple[Breakdown, ...] = ()
    series: Series | None = None
    roles: frozenset | None = None  # who sees it besides managers (None: every staff role)
    managers_only: bool = False
    note: str = ""
    figures: tuple = ()  # Figures only its Ratios use (e.g. the summed time of a mean)


def add_numbers(a, b):
    """a + b where None is "nothing counted" (not zero)."""
    if a is None:
        return b
    return a if b is None else a + b


def figure_index(sections) -> dict[str, Figure]:
    """key -> Figure of every figure the sections show or their ratios need."""
    index = {}
    for section in sections:
        items = [*section.tiles, *section.figures]
        for breakdown in section.breakdowns:
            items += breakdown.figures
        if section.series:
            items += [section.series.count, section.series.total]
        for item in items:
            if isinstance(item, Figure):
                index[item.key] = item
    return index
