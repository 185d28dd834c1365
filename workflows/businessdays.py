"""Business days: Brazilian national holidays plus the company calendar (rule S2 counts in them)."""

import datetime as dt
from bisect import bisect_right
from functools import cached_property, lru_cache

import holidays


@lru_cache(maxsize=64)
def national_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.Brazil(years=year, language="pt_BR"))


def company_closed_days(start: dt.date, end: dt.date) -> set[dt.date]:
    """The company's days off (CompanyHoliday, unique by date) between start and end."""
    from .models import CompanyHoliday

    return set(
        CompanyHoliday.objects.filter(date__range=(start, end)).values_list("date", flat=True)
    )


class BusinessCalendar:
    """Answers business-day questions over a window, reading the company calendar once."""

    def __init__(self, start: dt.date, end: dt.date):
        self.start, self.end = start, end
        self.closed = company_closed_days(start, end)
        for year in range(start.year, end.year + 1):
            self.closed |= national_holidays(year)

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


def add_business_days(day: dt.date, n: int) -> dt.date:
    """The date n business days after `day` (before it when n < 0); day itself never counts."""
    calendar = _window(day, n)
    step = dt.timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        if calendar.is_business_day(day):
            remaining -= 1
    return day


def business_days_between(start: dt.date, end: dt.date) -> int:
    """Business days in (start, end]: add_business_days(a, n) == b implies this returns n."""
    if end < start:
        return -business_days_between(end, start)
    return BusinessCalendar(start, end).count(start, end)


def carnaval_days(year: int) -> dict[dt.date, str]:
    """Carnaval Monday and Tuesday: optional in the holidays package, closed at the company."""
    optional = holidays.Brazil(years=year, categories=("optional",), language="pt_BR")
    return {day: name for day, name in optional.items() if "Carnaval" in name}


def seed_company_calendar(years) -> int:
    """Close the company on Carnaval (Mon+Tue) for the given years; returns days added."""
    from .models import CompanyHoliday

    added = 0
    for year in years:
        for day, name in carnaval_days(year).items():
            _, created = CompanyHoliday.objects.get_or_create(date=day, defaults={"name": name})
            added += created
    return added
