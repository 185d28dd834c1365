"""Reading Medição's rollup (issue 19): the kept days and months of a period, summed in SQL,
as `indicators._grouped` answers them; the stretches still counted from the records; a rolling
series' kept days. Writing and forgetting: `workflows.indicators_rollup`.
"""

import datetime as dt
import functools
import json
from dataclasses import replace

from django.db.models import BigIntegerField, Case, Count, F, Max, Q, Sum, When
from django.db.models import Value as SQLValue

from . import clock
from .indicators_defs import add_numbers
from .indicators_period import Period
from .indicators_rollup import (
    ONE_DAY,
    digest,
    from_number,
    key_text,
    month_key,
    month_span,
    runs,
    series_key,
)
from .models import IndicatorDay, IndicatorGroup

# --- Reading -------------------------------------------------------------------------------


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


def stamp() -> tuple:
    """What the kept days are, in one cheap read. Headers (and their groups) are only ever
    created and deleted, never changed, and their ids are never reused (AUTOINCREMENT on
    SQLite, an identity on PostgreSQL): the same count, largest and sum of ids is the same
    rows, so an answer read under one stamp holds until the stamp changes."""
    found = IndicatorDay.objects.aggregate(n=Count("id"), top=Max("id"), ids=Sum("id"))
    return found["n"], found["top"], found["ids"]


def forget_reads() -> None:
    _read_kept.cache_clear()


def read(source, figures, group: tuple, scope, stamp=None) -> tuple[dict, set]:
    """The kept days of both periods as `indicators._grouped` answers them, and those days:
    one read of the headers, then one SQL sum per column layout (usually one). A whole month
    kept is read instead of its days. A day or month kept from other fields or figure
    definitions is left out (counted live). With the page's `stamp()`, an answer read
    before under the same stamp is given again (a copy) instead."""
    if not source.settled_states:
        return {}, set()
    filters = _filters(source, scope)
    start = scope.previous.start
    end = min(scope.period.end, clock.today() - ONE_DAY)
    if filters is None or end < start:
        return {}, set()
    wanted = {figure.key: digest(figure) for figure in figures}
    spans = ((scope.previous.start, scope.previous.end), (scope.period.start, end))
    if stamp is None:
        return _read(source, wanted, group, filters, spans)
    out, covered = _read_kept(stamp, source, tuple(wanted.items()), group, tuple(filters), spans)
    copy = {k: {"group": dict(e["group"]), "raw": dict(e["raw"])} for k, e in out.items()}
    return copy, set(covered)


@functools.lru_cache(maxsize=256)
def _read_kept(stamp, source, wanted: tuple, group, filters: tuple, spans) -> tuple:
    """`_read`, kept per process under the stamp of the kept days it read from."""
    out, covered = _read(source, dict(wanted), group, filters, spans)
    return out, frozenset(covered)


def _read(source, wanted: dict, group: tuple, filters, spans) -> tuple[dict, set]:
    start = spans[0][0]
    end = spans[1][1]
    needed = {*group, *(name for name, _ in filters)}
    headers = IndicatorDay.objects.filter(
        source__in=[source.slug, month_key(source.slug)],
        day__gte=start.replace(day=1),
        day__lte=month_span(end.replace(day=1))[1],
    )
    days, months = {}, []
    for pk, slug, day, fields, kept in headers.values_list(
        "pk", "source", "day", "fields", "figures"
    ):
        digests = {key: value for key, value, _ in kept}
        if any(digests.get(key) != value for key, value in wanted.items()):
            continue
        if not needed <= set(fields):
            continue
        if slug == source.slug:
            days[day] = (pk, fields, kept)
        else:
            months.append((pk, day, fields, kept))
    read_rows, covered = _with_months(days, months, spans)
    layouts: dict[tuple, dict] = {}
    for pk, day, fields, kept, sign, current in read_rows:
        layout = layouts.setdefault(
            (tuple(fields), tuple(key for key, _, _ in kept)),
            {"days": {}, "kinds": {}, "minus": [], "current": []},
        )
        layout["days"][pk] = day
        if sign < 0:
            layout["minus"].append(pk)
        if current:
            layout["current"].append(pk)
        for key, _, kind in kept:
            layout["kinds"][key] = layout["kinds"].get(key) or kind
    out: dict = {}
    for (fields, keys), layout in layouts.items():
        _sum_layout(out, layout, fields, keys, wanted, group, filters)
    return out, covered


def _with_months(days: dict, months: list, spans) -> tuple[list, set]:
    """What to sum, [(pk, day, fields, figures, sign, current)], and the days it answers.

    A kept month stands for its days in the one period it reaches into when most of it is
    inside: its days outside are then subtracted (the previous period of "mês anterior" is
    the same number of days before, rarely a calendar month). The other kept days of the
    periods are read one by one."""
    rows, covered = [], set()
    for pk, first, fields, kept in months:
        _, last = month_span(first)
        reached = [n for n, (low, high) in enumerate(spans) if low <= last and first <= high]
        if len(reached) != 1:
            continue
        low, high = spans[reached[0]]
        month = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        inside = [day for day in month if low <= day <= high]
        outside = [day for day in month if not low <= day <= high]
        if len(outside) >= len(inside) or any(day not in days for day in outside):
            continue
        current = reached[0] == 1
        rows.append((pk, first, fields, kept, 1, current))
        rows += [(days[d][0], d, days[d][1], days[d][2], -1, current) for d in outside]
        covered.update(inside)
    for day, (pk, fields, kept) in days.items():
        if day not in covered and any(low <= day <= high for low, high in spans):
            rows.append((pk, day, fields, kept, 1, day >= spans[1][0]))
            covered.add(day)
    return rows, covered


def _sum_layout(out: dict, layout, fields, keys, wanted, group, filters) -> None:
    column = {name: f"g{n}" for n, name in enumerate(fields)}
    value = {key: f"v{n}" for n, key in enumerate(keys)}
    # The current period's rows, by their headers' ids (a month of it may start before it):
    # the sum reads the groups alone, no join with the days.
    current = Q(day__in=layout["current"])
    if layout["minus"]:  # the days outside a month read in its place
        sign = Case(
            When(day__in=layout["minus"], then=SQLValue(-1)),
            default=SQLValue(1),
            output_field=BigIntegerField(),
        )
        sums = {f"sum_{n}": Sum(F(value[key]) * sign) for n, key in enumerate(wanted)}
    else:
        sums = {f"sum_{n}": Sum(value[key]) for n, key in enumerate(wanted)}
    rows = (
        IndicatorGroup.objects.filter(
            day__in=list(layout["days"]),
            **{column[name]: key_text(number) for name, number in filters},
        )
        .annotate(period=Case(When(current, then=SQLValue("cur")), default=SQLValue("prev")))
        .order_by()
        .values("period", *(column[name] for name in group))
        .annotate(**sums)
    )
    loads = functools.cache(json.loads)  # a group's values repeat over its rows
    for row in rows:
        key = tuple(loads(row[column[name]]) for name in group)
        entry = out.setdefault(key, {"group": dict(zip(group, key, strict=True)), "raw": {}})
        for n, name in enumerate(wanted):
            slot = f"{name}__{row['period']}"
            number = from_number(row[f"sum_{n}"], layout["kinds"].get(name, ""))
            entry["raw"][slot] = add_numbers(entry["raw"].get(slot), number)


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
