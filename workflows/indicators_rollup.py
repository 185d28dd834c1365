"""Medição's daily rollup (issue 19): the figures of settled past days, kept so a period reads a
few rows per source instead of scanning its records again.

- A source rolls when it declares `settled_states`: a local day before today is kept once every
  row dated that day is in one of them (an agendamento concluded, expired or cancelled; a
  ticket concluded or merged). A day with a row still live stays live: the page counts it from
  the records, as it counts today.
- What a day keeps: per group of the fields the page can filter or break the source down by
  (member, product, channel, every breakdown's fields), every figure's number; and which
  fields and figure definitions it was built from. A day whose definitions differ from the
  code's (a figure changed) is not read: the page counts that day live until it is rolled again.
- What may change a kept day is told here, explicitly: the one transition path forgets the
  days of a row that leaves a settled state (`forget_settled`: a ticket reopened), a merge
  forgets the backlog days of the merged ticket (`forget_series`).
- A `Series` with `rolls` (the backlog: tickets open at the end of each day, a fact about the
  past) keeps each past day's count for the unfiltered team view.

Filled by a daily django-q2 schedule (`roll`, the last `RECENT_DAYS`) and by the
`fill_indicators` command for any past days; the sections are handed in by the caller (they
are declared by each app; `web.indicators_sections` puts them together).
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Case, Q, Sum, When
from django.db.models import Value as SQLValue

from . import clock
from .indicators_defs import figure_index
from .indicators_period import Period
from .models import IndicatorDay, IndicatorGroup
from .models.rollup import KEY_COLUMNS, VALUE_COLUMNS

RECENT_DAYS = 400  # the schedule's reach back: days older than this are left to the command
ONE_DAY = dt.timedelta(days=1)
CENT = Decimal("0.01")

SOURCES: dict[type, list] = {}  # model -> its sources that roll (registered as declared)
_DIGESTS: dict[int, tuple] = {}


def register(source) -> None:
    SOURCES.setdefault(source.queryset().model, []).append(source)


def series_key(series) -> str:
    return f"serie:{series.slug}"


# --- Values in columns ----------------------------------------------------------------------


def _key(value) -> str:
    return json.dumps(value.isoformat() if isinstance(value, dt.date) else value)


def _kind(value) -> str:
    if isinstance(value, dt.timedelta):
        return "duration"
    if isinstance(value, Decimal):
        return "money"
    return "count" if value is not None else ""


def _number(value, kind: str) -> int | None:
    """A figure's number as an exact integer: centavos, microseconds or the count."""
    if value is None:
        return None
    if kind == "duration":
        return value // dt.timedelta(microseconds=1)
    if kind == "money":
        cents = value * 100
        if cents != cents.to_integral_value():
            raise ValueError(f"a rolling figure sums more than centavos: {value}")
        return int(cents)
    return int(value)


def _value(number, kind: str):
    if number is None:
        return None
    if kind == "duration":
        return dt.timedelta(microseconds=int(number))
    if kind == "money":
        return (Decimal(int(number)) / 100).quantize(CENT)
    return int(number)


def _add(a, b):
    if a is None:
        return b
    return a if b is None else a + b


def digest(figure) -> str:
    """What a figure counts, as text: its condition, its sum and its source's records."""
    kept = _DIGESTS.get(id(figure))
    if kept is None:
        source = figure.source
        text = repr(
            (
                figure.key,
                str(figure.where),
                str(figure.total),
                source.when,
                str(source.queryset().query),
            )
        )
        kept = _DIGESTS[id(figure)] = (figure, hashlib.sha1(text.encode()).hexdigest()[:16])
    return kept[1]


# --- What each source keeps ----------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    source: object
    fields: tuple[str, ...]
    figures: tuple


def plans(sections) -> list[Plan]:
    """Per rolling source: the fields it is filtered and broken down by, and its figures."""
    found: dict[str, dict] = {}

    def entry(source) -> dict:
        fields = (source.member, source.product, source.channel)
        return found.setdefault(
            source.slug,
            {"source": source, "fields": dict.fromkeys(f for f in fields if f), "figures": {}},
        )

    for figure in figure_index(sections).values():
        if figure.source.settled_states:
            entry(figure.source)["figures"][figure.key] = figure
    for section in sections:
        for breakdown in section.breakdowns:
            sources = {f.source.slug: f.source for f in breakdown.figures if hasattr(f, "source")}
            for source in sources.values():
                if source.settled_states:
                    entry(source)["fields"].update(dict.fromkeys(breakdown.group))
    out = [
        Plan(e["source"], tuple(e["fields"]), tuple(e["figures"].values())) for e in found.values()
    ]
    for plan in out:
        if len(plan.fields) > KEY_COLUMNS or len(plan.figures) > VALUE_COLUMNS:
            raise ImproperlyConfigured(
                f"{plan.source.slug}: the rollup keeps at most {KEY_COLUMNS} fields and "
                f"{VALUE_COLUMNS} figures per source"
            )
    return out


# --- Writing -------------------------------------------------------------------------------


def roll_day(plan: Plan, day: dt.date) -> bool:
    """Keep one settled day of one source; False (nothing written) while a row is live."""
    source = plan.source
    rows = source.queryset().filter(source.in_range(day, day))
    if rows.exclude(state__in=source.settled_states).exists():
        return False
    measures = {figure.key: figure.measure() for figure in plan.figures}
    grouped = list(rows.order_by().values(*plan.fields).annotate(**measures))
    for row in grouped:
        for figure in plan.figures:
            row[figure.key] = figure.read(row[figure.key])
    kinds = {
        key: next((_kind(row[key]) for row in grouped if row[key] is not None), "")
        for key in measures
    }
    kept = [[f.key, digest(f), kinds[f.key]] for f in plan.figures]
    _write(
        source.slug,
        day,
        plan.fields,
        kept,
        [
            ([row[name] for name in plan.fields], [_number(row[k], kinds[k]) for k in measures])
            for row in grouped
        ],
    )
    return True


def _write(slug: str, day: dt.date, fields, figures, groups) -> None:
    IndicatorDay.objects.filter(source=slug, day=day).delete()
    header = IndicatorDay.objects.create(
        source=slug, day=day, fields=list(fields), figures=figures, rolled_at=clock.now()
    )
    IndicatorGroup.objects.bulk_create(
        IndicatorGroup(
            day=header,
            **{f"g{n}": _key(value) for n, value in enumerate(keys)},
            **{f"v{n}": number for n, number in enumerate(numbers)},
        )
        for keys, numbers in groups
    )


def roll_series(series, start: dt.date, end: dt.date) -> int:
    """Keep a rolling series' count of each day in [start, end] (past days only)."""
    from .indicators_period import Scope

    end = min(end, clock.today() - ONE_DAY)
    if end < start:
        return 0
    rows = series.daily(Scope(Period("", start, end)))
    for row in rows:
        _write(series_key(series), row["day"], (), [["count", "", "count"]], [([], [row["count"]])])
    return len(rows)


def _kept(plan: Plan, start: dt.date, end: dt.date) -> set[dt.date]:
    """The days of [start, end] already kept with the plan's fields and figures."""
    wanted = [[figure.key, digest(figure)] for figure in plan.figures]
    rows = IndicatorDay.objects.filter(source=plan.source.slug, day__gte=start, day__lte=end)
    return {
        day
        for day, fields, figures in rows.values_list("day", "fields", "figures")
        if [f[:2] for f in figures] == wanted and tuple(fields) == plan.fields
    }


def roll(
    sections, start: dt.date | None = None, end: dt.date | None = None, *, redo=False, progress=None
) -> dict:
    """Keep the settled days of [start, end] (default: the last RECENT_DAYS up to yesterday)
    not kept yet (all of them with `redo`). `progress(n)` is told of each day done.
    Returns {"days": days looked at, "sources": {slug: {"kept": written, "live": left live,
    "before": already kept}}}."""
    yesterday = clock.today() - ONE_DAY
    end = min(end or yesterday, yesterday)
    start = start or end - dt.timedelta(days=RECENT_DAYS - 1)
    todo = [(plan, set() if redo else _kept(plan, start, end)) for plan in plans(sections)]
    counts = {
        "days": max(0, (end - start).days + 1),
        "sources": {p.source.slug: {"kept": 0, "live": 0, "before": len(k)} for p, k in todo},
    }
    if end < start:
        return counts
    day = start
    while day <= end:
        for plan, kept in todo:
            if day in kept:
                continue
            written = roll_day(plan, day)
            counts["sources"][plan.source.slug]["kept" if written else "live"] += 1
        if progress:
            progress(1)
        day += ONE_DAY
    for section in sections:
        if section.series is not None and section.series.rolls:
            roll_series(section.series, start, end)
    return counts


def forget_settled(row) -> list:
    """The kept days a row is counted on, if it is in a settled state (call before it leaves
    it; hand the answer to `forget` once it has)."""
    days = []
    for source in SOURCES.get(type(row), ()):
        if row.state not in source.settled_states or "__" in source.when:
            continue
        value = getattr(row, source.when, None)
        if value is not None:
            days.append((source.slug, value if source.dated else clock.localdate(value)))
    return days


def forget(days) -> None:
    """Drop kept days [(source slug, day)]: the page counts them live until rolled again."""
    if not days:
        return
    which = Q()
    for slug, day in days:
        which |= Q(source=slug, day=day)
    IndicatorDay.objects.filter(which).delete()


def forget_series(series, since: dt.date) -> None:
    """Drop a rolling series' kept days from `since` on (something rewrote that past)."""
    IndicatorDay.objects.filter(source=series_key(series), day__gte=since).delete()


# --- Reading -------------------------------------------------------------------------------


def runs(start: dt.date, end: dt.date, kept: set) -> list[tuple[dt.date, dt.date]]:
    """The stretches of [start, end] not in `kept`: what is still counted from the records."""
    out, first = [], None
    day = start
    while day <= end:
        if day in kept:
            if first is not None:
                out.append((first, day - ONE_DAY))
                first = None
        elif first is None:
            first = day
        day += ONE_DAY
    if first is not None:
        out.append((first, end))
    return out


def _filters(source, scope) -> list[tuple[str, object]] | None:
    """(field, value) the scope narrows the kept groups by; None: the rollup cannot answer."""
    filters = []
    if scope.member is not None and source.member:
        filters.append((source.member, scope.member.pk))
    if scope.product is not None:
        if source.product_filter is not None:
            return None
        if source.product:
            filters.append((source.product, scope.product.pk))
    if scope.channel and source.channel:
        filters.append((source.channel, scope.channel))
    return filters


def read(source, figures, group: tuple, scope) -> tuple[dict, set]:
    """The kept days of both periods as `indicators._grouped` answers them, and those days:
    one read of the days' headers, then one SQL sum per column layout (usually one).
    A day kept from other fields or figure definitions is left out (counted live)."""
    if not source.settled_states:
        return {}, set()
    filters = _filters(source, scope)
    start = scope.previous.start
    end = min(scope.period.end, clock.today() - ONE_DAY)
    if filters is None or end < start:
        return {}, set()
    wanted = {figure.key: digest(figure) for figure in figures}
    needed = {*group, *(name for name, _ in filters)}
    layouts: dict[tuple, dict] = {}
    headers = IndicatorDay.objects.filter(source=source.slug, day__gte=start, day__lte=end)
    for pk, day, fields, kept in headers.values_list("pk", "day", "fields", "figures"):
        digests = {key: value for key, value, _ in kept}
        if any(digests.get(key) != value for key, value in wanted.items()):
            continue
        if not needed <= set(fields):
            continue
        layout = layouts.setdefault(
            (tuple(fields), tuple(key for key, _, _ in kept)), {"days": {}, "kinds": {}}
        )
        layout["days"][pk] = day
        for key, _, kind in kept:
            layout["kinds"][key] = layout["kinds"].get(key) or kind
    out: dict = {}
    for (fields, keys), layout in layouts.items():
        _sum_layout(out, layout, fields, keys, wanted, group, filters, scope)
    return out, {day for layout in layouts.values() for day in layout["days"].values()}


def _sum_layout(out: dict, layout, fields, keys, wanted, group, filters, scope) -> None:
    column = {name: f"g{n}" for n, name in enumerate(fields)}
    value = {key: f"v{n}" for n, key in enumerate(keys)}
    current = Q(day__day__gte=scope.period.start)
    rows = (
        IndicatorGroup.objects.filter(
            day__in=list(layout["days"]),
            **{column[name]: _key(number) for name, number in filters},
        )
        .annotate(period=Case(When(current, then=SQLValue("cur")), default=SQLValue("prev")))
        .order_by()
        .values("period", *(column[name] for name in group))
        .annotate(**{f"sum_{n}": Sum(value[key]) for n, key in enumerate(wanted)})
    )
    for row in rows:
        key = tuple(json.loads(row[column[name]]) for name in group)
        entry = out.setdefault(key, {"group": dict(zip(group, key, strict=True)), "raw": {}})
        for n, name in enumerate(wanted):
            slot = f"{name}__{row['period']}"
            number = _value(row[f"sum_{n}"], layout["kinds"].get(name, ""))
            entry["raw"][slot] = _add(entry["raw"].get(slot), number)


def read_series(series, scope) -> dict[dt.date, int]:
    """{day: count} kept for a rolling series, for the unfiltered team view only."""
    if not series.rolls or scope.member is not None or scope.product is not None:
        return {}
    if scope.channel:
        return {}
    rows = IndicatorGroup.objects.filter(
        day__source=series_key(series),
        day__day__gte=scope.period.start,
        day__day__lte=min(scope.period.end, clock.today() - ONE_DAY),
    )
    return dict(rows.values_list("day__day", "v0"))


def _kept_before(series, scope, first: dt.date, counts: dict) -> int | None:
    """The kept figure of the day before `first` (None: not kept, or a filtered view)."""
    before = first - ONE_DAY
    if before in counts:
        return counts[before]
    if before < scope.period.start:
        day = replace(scope, period=Period("", before, before))
        return read_series(series, day).get(before)
    return None


def series_days(series, scope) -> list[dict]:
    """A rolling `daily` series over the scope: kept days read, the others computed."""
    counts = read_series(series, scope)
    period = scope.period
    for first, last in runs(period.start, period.end, set(counts)):
        part = replace(scope, period=Period(period.key, first, last))
        opening = _kept_before(series, scope, first, counts)
        counts.update((row["day"], row["count"]) for row in series.daily(part, opening=opening))
    return [{"day": day, "count": counts.get(day, 0)} for day in period.dates()]
