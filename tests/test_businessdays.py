"""Business days over national holidays plus the company calendar (S2 counts in them)."""

import datetime as dt

import pytest

from workflows.businessdays import (
    add_business_days,
    business_days_between,
    is_business_day,
    seed_company_calendar,
)
from workflows.models import CompanyHoliday

D = dt.date
pytestmark = pytest.mark.django_db


def test_weekend_is_skipped():
    assert add_business_days(D(2027, 4, 16), 1) == D(2027, 4, 19)  # Fri -> Mon
    assert add_business_days(D(2027, 4, 17), 1) == D(2027, 4, 19)  # Sat -> Mon
    assert not is_business_day(D(2027, 4, 18))


def test_tiradentes_is_skipped():
    assert not is_business_day(D(2027, 4, 21))
    assert add_business_days(D(2027, 4, 20), 1) == D(2027, 4, 22)
    assert add_business_days(D(2027, 4, 20), 2) == D(2027, 4, 23)


def test_carnaval_counts_only_once_the_company_calendar_closes_it():
    assert add_business_days(D(2027, 2, 5), 1) == D(2027, 2, 8)  # not a national holiday
    assert seed_company_calendar([2027]) == 2
    assert set(CompanyHoliday.objects.values_list("date", flat=True)) == {
        D(2027, 2, 8),
        D(2027, 2, 9),
    }
    assert add_business_days(D(2027, 2, 5), 1) == D(2027, 2, 10)
    assert seed_company_calendar([2027]) == 0  # idempotent


def test_company_closed_day_from_admin_is_skipped():
    CompanyHoliday.objects.create(date=D(2027, 4, 22), name="Ponte de Tiradentes")
    assert add_business_days(D(2027, 4, 20), 1) == D(2027, 4, 23)


def test_year_turn_skips_new_year():
    assert add_business_days(D(2026, 12, 31), 1) == D(2027, 1, 4)  # Thu -> Fri 1/1 -> Mon
    assert business_days_between(D(2026, 12, 30), D(2027, 1, 4)) == 2


def test_between_is_the_inverse_of_add():
    start = D(2027, 4, 14)
    for n in range(0, 15):
        assert business_days_between(start, add_business_days(start, n)) == n
    assert business_days_between(D(2027, 4, 23), D(2027, 4, 19)) == -3  # Tiradentes


def test_negative_counts_go_backwards():
    assert add_business_days(D(2027, 4, 22), -1) == D(2027, 4, 20)  # over Tiradentes
    assert add_business_days(D(2027, 4, 19), -1) == D(2027, 4, 16)
