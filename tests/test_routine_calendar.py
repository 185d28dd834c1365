"""T4/T8: the routine reads the company calendar once, so the moment a ticket counts as stale
(desk.stale_since) must equal the end of the review day (routine.review_day) on every day:
weekdays, Mondays, and days after a company holiday."""

import datetime as dt

import pytest
from django.utils import timezone

from tickets import desk, routine
from workflows import clock
from workflows.models import CompanyHoliday


@pytest.mark.django_db
@pytest.mark.parametrize("day", [dt.date(2026, 12, 2), dt.date(2026, 12, 7), dt.date(2026, 12, 9)])
def test_T4_T8_stale_since_is_the_end_of_the_review_day(day):
    CompanyHoliday.objects.create(date=dt.date(2026, 12, 8), name="Dia da empresa", closed=True)
    clock.freeze(timezone.make_aware(dt.datetime.combine(day, dt.time(10))))
    try:
        assert desk.stale_since() == clock.day_span(routine.review_day())[1]
    finally:
        clock.freeze(None)
