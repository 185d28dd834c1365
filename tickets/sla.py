"""T6: SLA arithmetic in business time: the company calendar (national holidays + company days
off, `workflows.businessdays`) and the policy's working hours (09:00–18:00 São Paulo by default).
"""

import datetime as dt
import math
from zoneinfo import ZoneInfo

from workflows.businessdays import BusinessCalendar


def _tz(policy) -> ZoneInfo:
    return ZoneInfo(policy.time_zone)


def _day_minutes(policy) -> int:
    start = dt.datetime.combine(dt.date(2000, 1, 1), policy.work_start)
    end = dt.datetime.combine(dt.date(2000, 1, 1), policy.work_end)
    return max(int((end - start).total_seconds() // 60), 1)


def _calendar(policy, start: dt.date, minutes: float) -> BusinessCalendar:
    days = math.ceil(minutes / _day_minutes(policy)) + 1
    return BusinessCalendar(start - dt.timedelta(days=1), start + dt.timedelta(days=2 * days + 30))


def calendar_between(start: dt.datetime, end: dt.datetime) -> BusinessCalendar:
    """One calendar for many SLA computations between two moments (one query for a page)."""
    return BusinessCalendar(start.date() - dt.timedelta(days=2), end.date() + dt.timedelta(days=7))


def _window(policy, day: dt.date, tz) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.combine(day, policy.work_start, tzinfo=tz),
        dt.datetime.combine(day, policy.work_end, tzinfo=tz),
    )


def add_business_minutes(
    start: dt.datetime, minutes: float, policy, calendar: BusinessCalendar | None = None
) -> dt.datetime:
    """The moment `minutes` of working time after `start` (outside hours counts from opening)."""
    tz = _tz(policy)
    moment = start.astimezone(tz)
    remaining = dt.timedelta(minutes=minutes)
    calendar = calendar or _calendar(policy, moment.date(), minutes)
    while True:
        day = moment.date()
        opens, closes = _window(policy, day, tz)
        next_opening = _window(policy, day + dt.timedelta(days=1), tz)[0]
        if not calendar.is_business_day(day) or moment >= closes:
            moment = next_opening
            continue
        moment = max(moment, opens)
        available = closes - moment
        if remaining <= available:
            return moment + remaining
        remaining -= available
        moment = next_opening


def business_minutes_between(
    start: dt.datetime, end: dt.datetime, policy, calendar: BusinessCalendar | None = None
) -> float:
    """Working minutes in [start, end]; negative when end is before start. The days between
    the two ends count whole, so a ticket late for months costs no more than one late today."""
    if end < start:
        return -business_minutes_between(end, start, policy, calendar)
    tz = _tz(policy)
    start, end = start.astimezone(tz), end.astimezone(tz)
    calendar = calendar or BusinessCalendar(start.date(), end.date())

    def worked(day, lo=None, hi=None):
        """Working minutes of `day` inside [lo, hi] (the whole day when unbounded)."""
        if not calendar.is_business_day(day):
            return 0.0
        opens, closes = _window(policy, day, tz)
        lo, hi = max(opens, lo or opens), min(closes, hi or closes)
        return max((hi - lo).total_seconds() / 60, 0.0)

    first, last = start.date(), end.date()
    if first == last:
        return worked(first, start, end)
    whole_days = calendar.count(first, last - dt.timedelta(days=1))
    return worked(first, lo=start) + whole_days * _day_minutes(policy) + worked(last, hi=end)


def warning_point(
    since: dt.datetime, due: dt.datetime, policy, calendar: BusinessCalendar | None = None
) -> dt.datetime:
    """T6: the moment `warn_percent` (80 %) of the business time between since and due is used."""
    span = business_minutes_between(since, due, policy, calendar)
    return add_business_minutes(since, span * policy.warn_percent / 100, policy, calendar)


def describe_remaining(
    now: dt.datetime, due: dt.datetime | None, policy, calendar: BusinessCalendar | None = None
) -> str:
    """pt-BR countdown in business time, e.g. "faltam 3h20 úteis" / "vencido há 40 min úteis"."""
    if due is None:
        return "—"
    minutes = business_minutes_between(now, due, policy, calendar)
    late = minutes < 0 or due <= now
    minutes = int(abs(minutes))
    hours, mins = divmod(minutes, 60)
    amount = f"{hours}h{mins:02d}" if hours else f"{mins} min"
    return f"vencido há {amount} úteis" if late else f"faltam {amount} úteis"
