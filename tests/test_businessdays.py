"""Business days over the company calendar: national, state and city holidays, the optional
days the company closes on and the admin's rows (S2 counts in them)."""

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


def test_S2_carnaval_and_corpus_christi_are_closed_as_the_company_chooses(settings):
    assert add_business_days(D(2027, 2, 5), 1) == D(2027, 2, 10)  # Fri -> Mon/Tue Carnaval
    assert not is_business_day(D(2027, 5, 27))  # Corpus Christi
    assert is_business_day(D(2027, 2, 10))  # Ash Wednesday: the company works
    settings.COMPANY_CLOSED_OPTIONAL = ("Corpus Christi",)
    settings.COMPANY_CITY, settings.COMPANY_STATE = "Campinas", "SP"
    assert add_business_days(D(2027, 2, 5), 1) == D(2027, 2, 8)  # Carnaval worked


def test_S2_sao_paulo_city_and_state_holidays_are_closed():
    assert not is_business_day(D(2027, 1, 25))  # Aniversário da Cidade de São Paulo (Mon)
    assert not is_business_day(D(2027, 7, 9))  # Revolução Constitucionalista (Fri)
    assert add_business_days(D(2027, 1, 22), 1) == D(2027, 1, 26)
    assert add_business_days(D(2027, 7, 8), 1) == D(2027, 7, 12)
    assert business_days_between(D(2027, 7, 7), D(2027, 7, 12)) == 2  # Thu 8, Mon 12


def test_S2_another_place_has_its_own_holidays(settings):
    settings.COMPANY_STATE, settings.COMPANY_CITY = "RJ", "Rio de Janeiro"
    assert is_business_day(D(2027, 1, 25))  # São Paulo's anniversary
    assert is_business_day(D(2027, 7, 9))  # São Paulo's state holiday
    assert not is_business_day(D(2027, 4, 23))  # São Jorge (RJ)


def test_S2_seeding_copies_the_official_days_into_the_editable_calendar():
    added = seed_company_calendar([2027])
    rows = {row.date: row for row in CompanyHoliday.objects.all()}
    assert added == len(rows)
    assert rows[D(2027, 1, 25)].kind == CompanyHoliday.Kind.CITY
    assert rows[D(2027, 7, 9)].kind == CompanyHoliday.Kind.STATE
    assert rows[D(2027, 4, 21)].kind == CompanyHoliday.Kind.NATIONAL
    assert rows[D(2027, 2, 8)].kind == CompanyHoliday.Kind.OPTIONAL
    assert D(2027, 2, 10) not in rows  # Ash Wednesday is not a closed day here
    assert all(row.closed for row in rows.values())
    assert seed_company_calendar([2027]) == 0  # idempotent


def test_S2_a_holiday_the_manager_opens_becomes_a_business_day():
    seed_company_calendar([2027])
    CompanyHoliday.objects.filter(date=D(2027, 1, 25)).update(closed=False)
    assert is_business_day(D(2027, 1, 25))
    assert add_business_days(D(2027, 1, 22), 1) == D(2027, 1, 25)
    assert seed_company_calendar([2027]) == 0
    assert not CompanyHoliday.objects.get(date=D(2027, 1, 25)).closed  # reseeding keeps it open
    CompanyHoliday.objects.filter(date=D(2027, 1, 25)).delete()
    assert not is_business_day(D(2027, 1, 25))  # deleting the row does not open the day


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
