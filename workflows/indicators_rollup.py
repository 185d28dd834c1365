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
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, Sum

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
    SOURCES.setdefault(source.model, []).append(source)


def series_key(series) -> str:
    return f"serie:{series.slug}"


def month_key(slug: str) -> str:
    """Where a source's whole months are kept (each dated on its first day)."""
    return f"{slug}:mes"


def month_span(first: dt.date) -> tuple[dt.date, dt.date]:
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - ONE_DAY
    return first, last


# --- Values in columns ----------------------------------------------------------------------


def key_text(value) -> str:
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


def from_number(number, kind: str):
    if number is None:
        return None
    if kind == "duration":
        return dt.timedelta(microseconds=int(number))
    if kind == "money":
        return (Decimal(int(number)) / 100).quantize(CENT)
    return int(number)


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
    # The day's month, if kept, was summed from the day as it was.
    IndicatorDay.objects.filter(source=month_key(slug), day=day.replace(day=1)).delete()
    _store(
        slug,
        day,
        fields,
        figures,
        [
            {
                **{f"g{n}": key_text(value) for n, value in enumerate(keys)},
                **{f"v{n}": number for n, number in enumerate(numbers)},
            }
            for keys, numbers in groups
        ],
    )


def _store(slug: str, day: dt.date, fields, figures, rows) -> None:
    IndicatorDay.objects.filter(source=slug, day=day).delete()
    header = IndicatorDay.objects.create(
        source=slug, day=day, fields=list(fields), figures=figures, rolled_at=clock.now()
    )
    IndicatorGroup.objects.bulk_create(IndicatorGroup(day=header, **row) for row in rows)


def _matches(plan: Plan, fields, figures) -> bool:
    wanted = [[figure.key, digest(figure)] for figure in plan.figures]
    return [f[:2] for f in figures] == wanted and tuple(fields) == plan.fields


def roll_month(plan: Plan, first: dt.date) -> bool:
    """Keep a past month whose every day is kept (with the plan's fields and figures) as the
    sum of its days per group, so a month reads about 30 times fewer rows; False if not (yet)
    or already kept. Exact: the days' numbers are integers."""
    first, last = month_span(first)
    if last >= clock.today():
        return False
    slug = plan.source.slug
    kept = IndicatorDay.objects.filter(source=month_key(slug), day=first)
    if any(_matches(plan, f, g) for f, g in kept.values_list("fields", "figures")):
        return False
    days = IndicatorDay.objects.filter(source=slug, day__gte=first, day__lte=last)
    headers = list(days.values_list("pk", "fields", "figures"))
    if len(headers) != (last - first).days + 1:
        return False
    if not all(_matches(plan, fields, figures) for _, fields, figures in headers):
        return False
    kinds = [
        next((kept[n][2] for _, _, kept in headers if kept[n][2]), "")
        for n in range(len(plan.figures))
    ]
    figures = [[f.key, digest(f), kind] for f, kind in zip(plan.figures, kinds, strict=True)]
    keys = [f"g{n}" for n in range(len(plan.fields))]
    sums = {f"v{n}": Sum(f"v{n}") for n in range(len(plan.figures))}
    rows = IndicatorGroup.objects.filter(day__in=[pk for pk, _, _ in headers])
    _store(month_key(slug), first, plan.fields, figures, rows.values(*keys).annotate(**sums))
    return True


def roll_months(plan: Plan, start: dt.date, end: dt.date) -> int:
    """`roll_month` for each month [start, end] reaches into; how many were kept."""
    first, written = start.replace(day=1), 0
    while first <= end:
        written += roll_month(plan, first)
        first = month_span(first)[1] + ONE_DAY
    return written


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


def roll_series(series, start: dt.date, end: dt.date, *, redo=False) -> int:
    """Keep a rolling series' count of each past day in [start, end] not kept yet (every one
    with `redo`): a kept day only changes through `forget_series`."""
    from .indicators_period import Scope

    end = min(end, clock.today() - ONE_DAY)
    if end < start:
        return 0
    days = IndicatorDay.objects.filter(source=series_key(series), day__gte=start, day__lte=end)
    kept = set() if redo else set(days.values_list("day", flat=True))
    written = 0
    for first, last in runs(start, end, kept):
        for row in series.daily(Scope(Period("", first, last))):
            _store(
                series_key(series), row["day"], (), [["count", "", "count"]], [{"v0": row["count"]}]
            )
            written += 1
    return written


def _kept(plan: Plan, start: dt.date, end: dt.date) -> set[dt.date]:
    """The days of [start, end] already kept with the plan's fields and figures."""
    rows = IndicatorDay.objects.filter(source=plan.source.slug, day__gte=start, day__lte=end)
    return {
        day
        for day, fields, figures in rows.values_list("day", "fields", "figures")
        if _matches(plan, fields, figures)
    }


def roll(
    sections, start: dt.date | None = None, end: dt.date | None = None, *, redo=False, progress=None
) -> dict:
    """Keep the settled days of [start, end] (default: the last RECENT_DAYS up to yesterday)
    not kept yet (all of them with `redo`). `progress(n)` is told of each day done.
    Then each whole month they reach into whose days are all kept is kept as one sum.
    Returns {"days": days looked at, "sources": {slug: {"kept": written, "live": left live,
    "before": already kept, "months": months kept}}}."""
    yesterday = clock.today() - ONE_DAY
    end = min(end or yesterday, yesterday)
    start = start or end - dt.timedelta(days=RECENT_DAYS - 1)
    todo = [(plan, set() if redo else _kept(plan, start, end)) for plan in plans(sections)]
    counts = {
        "days": max(0, (end - start).days + 1),
        "sources": {
            p.source.slug: {"kept": 0, "live": 0, "before": len(k), "months": 0} for p, k in todo
        },
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
    for plan, _ in todo:
        counts["sources"][plan.source.slug]["months"] = roll_months(plan, start, end)
    for section in sections:
        if section.series is not None and section.series.rolls:
            roll_series(section.series, start, end, redo=redo)
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
        which |= Q(source=slug, day=day) | Q(source=month_key(slug), day=day.replace(day=1))
    IndicatorDay.objects.filter(which).delete()


def forget_series(series, since: dt.date) -> None:
    """Drop a rolling series' kept days from `since` on (something rewrote that past)."""
    IndicatorDay.objects.filter(source=series_key(series), day__gte=since).delete()
