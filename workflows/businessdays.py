"""Business days: the company calendar (rule S2 counts in them, T6's SLA clocks run in them).

Closed: the official holidays of the company's state and city (settings COMPANY_STATE,
COMPANY_CITY; the `holidays` package), the optional days the company closes on
(COMPANY_CLOSED_OPTIONAL: Carnaval, Corpus Christi), and every CompanyHoliday row marked
closed. A row marked open (`closed=False`) makes an official holiday a working day. The rows
are the admin's editable copy: `seed_company_calendar` writes the official days into it.
"""

import datetime as dt
from bisect import bisect_right
from functools import cached_property, lru_cache

import holidays
from django.conf import settings

SEED_SCHEDULE = "Calendário da empresa: feriados do ano e do próximo"


def _subdivision(state: str, city: str) -> str | None:
    """The `holidays` subdivision with the city's own days when the package has it
    ("São Paulo Capital"), else the state's; None for a state the package does not know."""
    if f"{city} Capital" in holidays.Brazil.subdivisions:
        return f"{city} Capital"
    return state if state in holidays.Brazil.subdivisions else None


@lru_cache(maxsize=256)
def _official(year: int, state: str, city: str, optional: tuple[str, ...]) -> dict:
    """{date: (kind, name)} of one year's official closed days for a place."""
    from .models import CompanyHoliday

    kind = CompanyHoliday.Kind
    days = {}
    for day, name in holidays.Brazil(years=year, language="pt_BR").items():
        days[day] = (kind.NATIONAL, name)
    if state in holidays.Brazil.subdivisions:
        for day, name in holidays.Brazil(years=year, subdiv=state, language="pt_BR").items():
            days.setdefault(day, (kind.STATE, name))
    subdivision = _subdivision(state, city)
    if subdivision and subdivision != state:
        for day, name in holidays.Brazil(years=year, subdiv=subdivision, language="pt_BR").items():
            days.setdefault(day, (kind.CITY, name))
    extra = holidays.Brazil(
        years=year, subdiv=subdivision, categories=("optional",), language="pt_BR"
    )
    for day, name in extra.items():
        if any(wanted in name for wanted in optional):
            days.setdefault(day, (kind.OPTIONAL, name))
    return days


def official_closed_days(year: int) -> dict[dt.date, tuple[str, str]]:
    """The configured place's official closed days of `year`: {date: (kind, name)}."""
    return _official(
        year, settings.COMPANY_STATE, settings.COMPANY_CITY, tuple(settings.COMPANY_CLOSED_OPTIONAL)
    )


def company_days(start: dt.date, end: dt.date) -> tuple[set[dt.date], set[dt.date]]:
    """The rows between start and end (one query): (days closed, official days opened)."""
    from .models import CompanyHoliday

    closed, opened = set(), set()
    rows = CompanyHoliday.objects.filter(date__range=(start, end)).values_list("date", "closed")
    for day, is_closed in rows:
        (closed if is_closed else opened).add(day)
    return closed, opened


class BusinessCalendar:
    """Answers business-day questions over a window, reading the company calendar once."""

    def __init__(self, start: dt.date, end: dt.date):
        self.start, self.end = start, end
        closed, opened = company_days(start, end)
        for year in range(start.year, end.year + 1):
            closed.update(official_closed_days(year))
        self.closed = closed - opened

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.closed

    @cached_property
    def _business_days(self) -> list[dt.date]:
        span = (self.end - self.start).days + 1
        days = (self.start + dt.timedelta(days=i) for i in range(span))
        return [day for day in days if self.is_business_day(day)]

    def count(self, start: dt.date, end: dt.date) -> int:
        """Business days in (start, end] (start <= end, both inside the window)."""
        if self.start <= start and end <= self.end:
            days = self._business_days  # many counts on one page: bisect, not a day loop
            return bisect_right(days, end) - bisect_right(days, start)
        return sum(
            self.is_business_day(start + dt.timedelta(days=i))
            for i in range(1, (end - start).days + 1)
        )


def _window(day: dt.date, n: int) -> BusinessCalendar:
    # n business days never span more than 2n + 30 calendar days (weekends + holiday runs).
    span = dt.timedelta(days=2 * abs(n) + 30)
    return BusinessCalendar(day - span, day + span)


def is_business_day(day: dt.date) -> bool:
    return BusinessCalendar(day, day).is_business_day(day)


def add_business_days(day: dt.date, n: int, calendar: BusinessCalendar | None = None) -> dt.date:
    """The date n business days after `day` (before it when n < 0); day itself never counts.
    A page that already read the calendar passes it; a walk leaving it reads a wider one."""
    calendar = calendar or _window(day, n)
    step = dt.timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        if not calendar.start <= day <= calendar.end:
            calendar = _window(day, remaining)
        if calendar.is_business_day(day):
            remaining -= 1
    return day


def business_days_between(start: dt.date, end: dt.date) -> int:
    """Business days in (start, end]: add_business_days(a, n) == b implies this returns n."""
    if end < start:
        return -business_days_between(end, start)
    return BusinessCalendar(start, end).count(start, end)


def seed_company_calendar(years) -> int:
    """Write the official closed days of the given years into the company calendar (admin),
    leaving days already there as they are (a day the manager opened stays open); returns
    the number of days added."""
    from .models import CompanyHoliday

    added = 0
    for year in years:
        for day, (kind, name) in sorted(official_closed_days(year).items()):
            _, created = CompanyHoliday.objects.get_or_create(
                date=day, defaults={"name": name[:80], "kind": kind}
            )
            added += created
    return added


def seed_upcoming() -> str:
    """django-q2 schedule (monthly): this year's and next year's days in the calendar."""
    from . import clock

    year = clock.today().year
    return f"{seed_company_calendar([year, year + 1])} dias adicionados"
