"""Medição (issue 19): the rulebook's figures for a period, each against the period of the
same length just before it, in São Paulo time.

A `Source` is one kind of record dated by one field (sales by `at`, agendamentos by
`created_at`, …); a `Figure` counts or sums its rows that match a condition; a `Breakdown`
shows a source's figures per agent, product, type…. The page makes ONE query per source
(`compute`): grouped by the period (a CASE over the dated field) and by every field of the
source's breakdowns, with one `Count`/`Sum` (`filter=`) per figure; the tables and the tiles
add those groups up. The same definitions give the rows behind a figure (the drill-down
lists and their export), so a list holds exactly the records its figure counts.

Sections of the sales domain are declared in `workflows/indicators_sales.py`; apps above this
floor (the support tickets) declare theirs beside their pages and hand them to `compute`.
"""

from decimal import Decimal

from django.db.models import Case, Count, Q, Sum, When
from django.db.models import Value as SQLValue
from django.db.models.functions import TruncDate
from django.utils import timezone

from . import indicators_rollup_read as rollup
from .indicators_defs import (  # noqa: F401  (sections declare them through this module)
    MINUTE,
    SECOND,
    Breakdown,
    Column,
    Figure,
    Ratio,
    Section,
    Series,
    Source,
    add_numbers,
    elapsed_seconds,
    figure_index,
)
from .indicators_period import (  # noqa: F401  (the page reads them here)
    DEFAULT_PERIOD,
    PERIODS,
    IndicatorError,
    Period,
    Scope,
    parse_date,
    resolve_period,
)
from .indicators_values import Value, mean_seconds, share
from .roles import has_role, is_manager

# --- Values ------------------------------------------------------------------------------

PERIOD_KEY = "indicator_period"  # the annotation telling a row's period apart (cur/prev)


def _measures(figures) -> dict:
    """key -> the aggregate of each figure, without the period (the rows are grouped by it)."""
    return {figure.key: figure.measure() for figure in figures}


def _grouped(source: Source, figures, group: tuple, scope: Scope, names=None, stamp=None) -> dict:
    """{group key: {"group": values dict, "raw": {key__cur/key__prev: number}}}: every
    figure of one source over both periods, per group. The days the daily rollup keeps are
    read from it (`indicators_rollup_read.read`); the others in ONE query, where the period is a
    GROUP BY on a CASE over the dated field, so each figure is one aggregate, not two.

    A related row's fields in the group (`owner__first_name` beside `owner`) are not part of
    the key: they are read afterwards, current, by `names` (a `Names` shared by every source
    of the page, so each model is read once; without one, read now). `stamp`: the page's
    `indicators_rollup_read.stamp()`, so kept days read before are not read again."""
    own, related = split_group(group)
    kept, covered = rollup.read(source, figures, own, scope, stamp)
    out = _rekey(kept.values(), own)  # a renamed agent's kept days: one entry, not two
    stretches = rollup.runs(scope.previous.start, scope.period.end, covered)
    if stretches:
        dated = Q()
        for first, last in stretches:
            dated |= source.in_range(first, last)
        current = source.in_range(scope.period.start, scope.period.end)
        bucket = Case(When(current, then=SQLValue("cur")), default=SQLValue("prev"))
        query = (
            source.narrow(source.queryset().filter(dated), scope)
            .order_by()
            .annotate(**{PERIOD_KEY: bucket})
            .values(PERIOD_KEY, *own)
            .annotate(**_measures(figures))
        )
        for row in query:
            key = tuple(row[name] for name in own)
            entry = out.setdefault(key, {"group": {name: row[name] for name in own}, "raw": {}})
            period = row[PERIOD_KEY]
            for figure in figures:
                name = f"{figure.key}__{period}"
                number = figure.read(row[figure.key])
                entry["raw"][name] = add_numbers(entry["raw"].get(name), number)
    reader = names if names is not None else Names()
    reader.want(source, out.values(), related)
    if names is None:
        reader.read()
    return out


def _rekey(entries, own: tuple) -> dict:
    out: dict = {}
    for entry in entries:
        key = tuple(entry["group"][name] for name in own)
        target = out.setdefault(key, {"group": entry["group"], "raw": {}})
        for name, number in entry["raw"].items():
            target["raw"][name] = add_numbers(target["raw"].get(name), number)
    return out


def split_group(group: tuple) -> tuple[tuple, dict]:
    """The group's own fields, and {foreign key: its fields} for the fields of a related row
    whose key is grouped too (`sla_policy__name` beside `sla_policy`): those are read once per
    model after the grouped queries instead of joined into them (a join let SQLite's planner
    read the tickets' date range once per SLA policy)."""
    own, related = [], {}
    for name in group:
        prefix, _, rest = name.partition("__")
        if rest and prefix in group:
            related.setdefault(prefix, []).append(rest)
        else:
            own.append(name)
    return tuple(own), related


class Names:
    """The related rows' fields of grouped entries (agents' names, SLA policies' targets),
    gathered over every source of a page and read with one query per model."""

    def __init__(self):
        self.wanted = []  # (model, foreign key, fields, entries)

    def want(self, source: Source, entries, related: dict) -> None:
        for key, fields in related.items():
            model = source.model._meta.get_field(key).related_model
            self.wanted.append((model, key, fields, list(entries)))

    def read(self) -> None:
        asked: dict = {}
        for model, key, fields, entries in self.wanted:
            ids, wanted_fields = asked.setdefault(model, (set(), set()))
            ids.update(entry["group"][key] for entry in entries)
            wanted_fields.update(fields)
        found = {}
        for model, (ids, fields) in asked.items():
            ids.discard(None)
            rows = model._default_manager.filter(pk__in=ids).values("pk", *sorted(fields))
            found[model] = {row.pop("pk"): row for row in rows} if ids else {}
        for model, key, fields, entries in self.wanted:
            for entry in entries:
                values = found[model].get(entry["group"][key], {})
                entry["group"].update((f"{key}__{field}", values.get(field)) for field in fields)
        self.wanted = []


def _totals(grouped: dict, figures) -> dict:
    """The whole scope's raw numbers from its groups: counts and sums add up exactly."""
    raw: dict = {}
    for entry in grouped.values():
        for figure in figures:
            for period in ("cur", "prev"):
                name = f"{figure.key}__{period}"
                raw[name] = add_numbers(raw.get(name), entry["raw"].get(name))
    return raw


def _zero(figure: Figure, value):
    if value is None:
        return Decimal("0.00") if figure.total is not None else 0
    return value


def _values_of(items, raw: dict, figures: dict) -> dict:
    """key -> Value for Figures and Ratios, from raw `{key}__cur/__prev` numbers."""
    out = {}
    for item in items:
        if isinstance(item, Ratio) and item.mean:
            whole, part = figures[item.whole], figures[item.part]
            cur = mean_seconds(raw.get(f"{part.key}__cur"), raw.get(f"{whole.key}__cur"))
            prev = mean_seconds(raw.get(f"{part.key}__prev"), raw.get(f"{whole.key}__prev"))
            out[item.key] = Value(cur, prev, item.better, duration=True)
        elif isinstance(item, Ratio):
            whole, part = figures[item.whole], figures[item.part]
            cur = share(_zero(part, raw.get(f"{part.key}__cur")), raw.get(f"{whole.key}__cur"))
            prev = share(_zero(part, raw.get(f"{part.key}__prev")), raw.get(f"{whole.key}__prev"))
            out[item.key] = Value(cur, prev, item.better, rate=True)
        else:
            out[item.key] = Value(
                _zero(item, raw.get(f"{item.key}__cur")),
                _zero(item, raw.get(f"{item.key}__prev")),
                item.better,
                money=item.money,
            )
    return out


def _figures_in(items, index: dict) -> list[Figure]:
    """The Figures the items need (a Ratio needs its two)."""
    needed = {}
    for item in items:
        for key in (item.part, item.whole) if isinstance(item, Ratio) else (item.key,):
            needed[key] = index[key]
    return list(needed.values())


def tiles(section: Section, scope: Scope, index: dict) -> list[tuple]:
    """[(item, Value)] for a section's tiles: one aggregate query per source."""
    raw = {}
    for figures in _by_source(_figures_in(section.tiles, index)).values():
        raw.update(_totals(_grouped(figures[0].source, figures, (), scope), figures))
    values = _values_of(section.tiles, raw, index)
    return [(item, values[item.key]) for item in section.tiles]


def _by_source(figures) -> dict[str, list[Figure]]:
    out: dict[str, list[Figure]] = {}
    for figure in figures:
        out.setdefault(figure.source.slug, []).append(figure)
    return out


def _rows_of(breakdown: Breakdown, grouped: dict, index: dict) -> list[dict]:
    rows = []
    for entry in grouped.values():
        values = _values_of(breakdown.figures, entry["raw"], index)
        rows.append(
            {
                "key": entry["group"][breakdown.group[0]],
                "label": breakdown.label(entry["group"]),
                "values": [values[item.key] for item in breakdown.figures],
            }
        )
    rows.sort(key=lambda r: (-float(r["values"][0].current or 0), r["label"]))
    return rows


def breakdown_rows(breakdown: Breakdown, scope: Scope, index: dict) -> list[dict]:
    """[{key, label, values: [Value]}], largest first by the first figure, then by label."""
    figures = _figures_in(breakdown.figures, index)
    grouped = _grouped(figures[0].source, figures, breakdown.group, scope)
    return _rows_of(breakdown, grouped, index)


def series_rows(series: Series, scope: Scope) -> list[dict]:
    """Per local day of the period: {day, count, total}, days without rows included."""
    if series.daily is not None:
        rows = rollup.series_days(series, scope) if series.rolls else series.daily(scope)
        return [{**row, "total": None} for row in rows]
    source = series.count.source
    period = scope.period
    day = TruncDate(source.when, tzinfo=timezone.get_current_timezone())
    rows = (
        source.narrow(source.queryset().filter(source.in_range(period.start, period.end)), scope)
        .filter(series.count.where)
        .annotate(day=day)
        .order_by()
        .values("day")
        .annotate(count=Count("pk"), total=Sum(series.total.total))
    )
    found = {row["day"]: row for row in rows}
    out = []
    for date in period.dates():
        row = found.get(date, {})
        out.append(
            {
                "day": date,
                "count": row.get("count") or 0,
                "total": row.get("total") or Decimal("0.00"),
            }
        )
    return out


def visible_sections(sections, user, team: bool) -> list[Section]:
    """The sections a user sees: managers all; others those of their roles."""
    shown = []
    for section in sections:
        if section.managers_only and not (team and is_manager(user)):
            continue
        if (
            not is_manager(user)
            and section.roles is not None
            and not has_role(user, *section.roles)
        ):
            continue
        shown.append(section)
    return shown


def _regroup(grouped: dict, group: tuple) -> dict:
    """The entries of a finer grouping added up per `group` (a subset of its fields)."""
    out: dict = {}
    for entry in grouped.values():
        key = tuple(entry["group"][name] for name in group)
        target = out.setdefault(key, {"group": {n: entry["group"][n] for n in group}, "raw": {}})
        for name, number in entry["raw"].items():
            target["raw"][name] = add_numbers(target["raw"].get(name), number)
    return out


def compute(sections, scope: Scope, *, team: bool) -> list[dict]:
    """Every section's tiles, breakdowns and series for the scope.

    ONE query per source (plus one per series): grouped by the union of the fields of the
    source's breakdowns shown, with every figure its tiles (of any section: sales feed Vendas
    and Comissões) and breakdowns need. Each breakdown adds those groups up per its own
    fields and the tiles add up all of them: counts and sums of disjoint groups add up
    exactly. The groups are bounded by the distinct combinations present in the period
    (agents, products, kinds, policies), not by the rows."""
    index = figure_index(sections)
    plans: dict[str, dict] = {}

    def plan(source: Source) -> dict:
        return plans.setdefault(
            source.slug, {"source": source, "figures": {}, "tiles": {}, "group": {}, "tables": []}
        )

    for section in sections:
        for figure in _figures_in(section.tiles, index):
            entry = plan(figure.source)
            entry["figures"][figure.key] = entry["tiles"][figure.key] = figure
        for breakdown in section.breakdowns:
            if not team and breakdown.team_only:
                continue
            figures = _figures_in(breakdown.figures, index)
            entry = plan(figures[0].source)
            entry["figures"].update((f.key, f) for f in figures)
            entry["group"].update(dict.fromkeys(breakdown.group))
            entry["tables"].append(breakdown)
    raw: dict = {}
    tables: dict[int, list[dict]] = {}
    names = Names()
    stamp = rollup.stamp() if any(e["source"].settled_states for e in plans.values()) else None
    for entry in plans.values():
        figures = list(entry["figures"].values())
        group = tuple(entry["group"])
        entry["grouped"] = _grouped(entry["source"], figures, group, scope, names, stamp)
    names.read()  # the agents, products and policies of every source: one query per model
    for entry in plans.values():
        grouped = entry["grouped"]
        raw.update(_totals(grouped, list(entry["tiles"].values())))
        for breakdown in entry["tables"]:
            tables[id(breakdown)] = _rows_of(breakdown, _regroup(grouped, breakdown.group), index)
    out = []
    for section in sections:
        values = _values_of(section.tiles, raw, index)
        out.append(
            {
                "section": section,
                "tiles": [(item, values[item.key]) for item in section.tiles],
                "breakdowns": [
                    {"breakdown": b, "rows": tables[id(b)]}
                    for b in section.breakdowns
                    if team or not b.team_only
                ],
                "series": series_rows(section.series, scope) if section.series else None,
            }
        )
    return out
