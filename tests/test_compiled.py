"""workflows.compiled: a query built and compiled once, run with each call's own values."""

import datetime as dt

import pytest
from django.core.management import call_command
from model_bakery import baker

from workflows.compiled import compiled
from workflows.models import Agendamento, CompanyHoliday, with_names
from workflows.roles import AGENT

from .sales_fixtures import make_ficha

builds = []


@compiled
def live_of(owner_pk, since, *, limit):
    builds.append(owner_pk)
    live = Agendamento.objects.filter(
        owner_id=owner_pk, state__in=Agendamento.LIVE, due_date__gte=since
    )
    return with_names(live, "ficha", "product").order_by("due_date", "pk")[:limit]


@compiled
def holidays_from(day):
    return (
        CompanyHoliday.objects.filter(date__gte=day).order_by("date").values_list("date", flat=True)
    )


@pytest.fixture
def ana(make_user):
    return make_user(AGENT, username="ana")


@pytest.fixture
def bruno(make_user):
    return make_user(AGENT, username="bruno")


def live(owner, name, due_date, product):
    return baker.make(
        Agendamento,
        ficha=make_ficha(name=name),
        owner=owner,
        product=product,
        state=Agendamento.State.ACTIVE,
        due_date=due_date,
    )


@pytest.fixture
def agendamentos(ana, bruno, products, clock):
    """Ana's three live agendamentos due today and in 1 and 2 days, and one of Bruno's."""
    today, product = clock.today(), products["intimacao"]
    mine = [live(ana, f"Cliente {i}", today + dt.timedelta(days=i), product) for i in range(3)]
    live(bruno, "Cliente do Bruno", today, product)
    return mine


def test_a_compiled_query_is_built_once_and_runs_with_each_calls_values(
    agendamentos, ana, bruno, clock, settings
):
    settings.CHECK_COMPILED_QUERIES = False  # what production runs: no fresh build to compare
    builds.clear()
    today = clock.today()
    rows = live_of(ana.pk, today, limit=10)
    assert [ag.pk for ag in rows] == [ag.pk for ag in agendamentos]
    assert rows[0].ficha.name == "Cliente 0" and rows[0].product.name  # the related names came
    assert live_of(ana.pk, today + dt.timedelta(days=1), limit=10) == agendamentos[1:]
    assert [ag.ficha.name for ag in live_of(bruno.pk, today, limit=10)] == ["Cliente do Bruno"]
    assert live_of(ana.pk, today, limit=2) == agendamentos[:2]  # another shape: its own plan
    assert len(builds) == 2  # once per shape, with the sample id, never with the real ones
    assert ana.pk not in builds and bruno.pk not in builds


def test_a_compiled_values_list_converts_its_values(db, settings):
    settings.CHECK_COMPILED_QUERIES = False
    for day in (dt.date(2027, 5, 3), dt.date(2027, 6, 1)):
        CompanyHoliday.objects.create(date=day, name="Folga")
    assert holidays_from(dt.date(2027, 5, 4)) == [dt.date(2027, 6, 1)]
    assert holidays_from(dt.date(2027, 1, 1)) == [dt.date(2027, 5, 3), dt.date(2027, 6, 1)]


def test_a_compiled_query_refuses_arguments_it_cannot_stand_in_for(db):
    @compiled
    def shifted(day):  # the argument is not the lookup value: the sample is lost in the SQL
        return CompanyHoliday.objects.filter(date__gte=day - dt.timedelta(days=1))

    with pytest.raises(ValueError, match="not lookup values"):
        shifted(dt.date(2027, 5, 3))
    with pytest.raises(TypeError, match="an id, a key, a date or a moment"):
        holidays_from(2027.5)
    holidays_from(dt.date(2027, 5, 3))
    with pytest.raises(TypeError, match="other kinds of argument"):
        holidays_from("2027-05-03")  # the plan's slot holds a date as the database stores it
    with pytest.raises(TypeError, match="timezone-aware"):
        holidays_from(dt.datetime(2027, 5, 3, 9))


def test_the_check_catches_a_query_that_depends_on_more_than_its_arguments(db, clock):
    from workflows import clock as project_clock

    @compiled
    def since_today(owner_pk):  # reads the clock: the compiled SQL keeps the first day
        return Agendamento.objects.filter(owner_id=owner_pk, due_date__gte=project_clock.today())

    assert since_today(1) == []
    clock.advance(dt.timedelta(days=1))
    with pytest.raises(AssertionError, match="depends on more than its arguments"):
        since_today(1)


def test_a_migration_or_flush_forgets_the_compiled_queries(db, settings):
    settings.CHECK_COMPILED_QUERIES = False
    builds.clear()
    live_of(1, dt.date(2027, 5, 3), limit=1)
    live_of(1, dt.date(2027, 5, 3), limit=1)
    call_command("migrate", verbosity=0)  # sends post_migrate, as a flush does
    live_of(1, dt.date(2027, 5, 3), limit=1)
    assert len(builds) == 2


def test_only_the_newest_shapes_stay_compiled(db, settings, monkeypatch):
    from workflows import compiled as module

    settings.CHECK_COMPILED_QUERIES = False
    module.forget_plans()
    monkeypatch.setattr(module, "MAX_PLANS", 2)
    builds.clear()
    for limit in (1, 2, 3, 3, 2):  # the plan for 1 made way for 3; 2 and 3 are kept
        live_of(1, dt.date(2027, 5, 3), limit=limit)
    live_of(1, dt.date(2027, 5, 3), limit=1)
    assert len(builds) == 4
