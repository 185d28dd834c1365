"""Indicadores, Cadastros (issue 19, G5, G7): a known set of onboardings, duplicate cases and
training slots, with the figures computed by hand."""

import datetime as dt

import pytest
from django.urls import reverse
from model_bakery import baker

from onboarding.models import DuplicateCase, Onboarding, TrainingBooking, TrainingSlot
from tests.conftest import at
from tests.sales_fixtures import make_ficha
from tests.test_indicators import PAGE, SEVEN, table, tiles_of
from workflows.roles import AGENT, CENTRAL, SELLER

ON, DUP = Onboarding.State, DuplicateCase.State
HOUR = 3600


@pytest.fixture
def elisa(make_user):
    return make_user(AGENT, CENTRAL, username="elisa", first_name="Elisa")


@pytest.fixture
def fabio(make_user):
    return make_user(AGENT, CENTRAL, username="fabio", first_name="Fábio")


def onboarding(by, started, completed=None):
    ficha = make_ficha(name=f"Cadastro {started:%d%H%M}")
    return Onboarding.objects.create(
        ficha=ficha,
        origin=ficha,
        registered_by=by,
        started_at=started,
        state=ON.COMPLETED if completed else ON.IN_PROGRESS,
        completed_at=completed,
    )


def case(detected, state, source=DuplicateCase.Source.REGISTRATION):
    a, b = make_ficha(), make_ficha()
    return DuplicateCase.objects.create(
        ficha_a=a, ficha_b=b, detected_at=detected, state=state, source=source
    )


def slot(attendant, day, capacity, booked=0, cancelled=0):
    s = baker.make(
        TrainingSlot,
        date=day,
        shift=TrainingSlot.Shift.MORNING,
        attendant=attendant,
        capacity=capacity,
    )
    for n in range(booked + cancelled):
        baker.make(
            TrainingBooking,
            slot=s,
            ficha=make_ficha(),
            booked_by=attendant,
            state=TrainingBooking.State.CANCELLED if n >= booked else TrainingBooking.State.BOOKED,
        )
    return s


@pytest.fixture
def data(clock, elisa, fabio):
    # Current period 13/04–19/04/2027; previous 06/04–12/04.
    onboarding(elisa, at(2027, 4, 13, 0, 0), at(2027, 4, 14, 0, 0))  # 24 h
    onboarding(elisa, at(2027, 4, 15, 10), at(2027, 4, 15, 22))  # 12 h
    onboarding(fabio, at(2027, 4, 16, 10))
    onboarding(fabio, at(2027, 4, 12, 23, 59), at(2027, 4, 13, 1, 59))  # previous: 2 h
    case(at(2027, 4, 14, 9), DUP.MERGED)
    case(at(2027, 4, 14, 10), DUP.DISMISSED, DuplicateCase.Source.SCAN)
    case(at(2027, 4, 18, 10), DUP.OPEN)
    case(at(2027, 4, 10, 10), DUP.MERGED)  # previous
    slot(elisa, dt.date(2027, 4, 15), capacity=4, booked=3, cancelled=1)
    slot(fabio, dt.date(2027, 4, 19), capacity=6, booked=1)
    slot(fabio, dt.date(2027, 4, 20), capacity=9, booked=9)  # after the period


def test_G5_G7_cadastros_figures(client, gestor, data):
    client.force_login(gestor)
    response = client.get(PAGE, SEVEN)
    tiles = tiles_of(response)
    assert (tiles["cadastros"].current, tiles["cadastros"].previous) == (3, 1)
    assert tiles["cadastros-concluidos"].current == 2
    assert tiles["cadastros-conclusao"].current == pytest.approx(200 / 3)
    mean = tiles["cadastros-tempo-medio"]
    assert (mean.current, mean.previous) == (18 * HOUR, 2 * HOUR)  # (24 + 12) / 2
    assert mean.text == "18 h 00 min" and mean.verdict == "worse"
    assert tiles["duplicidades"].current == 3
    assert tiles["duplicidades-unificadas"].current == 1
    assert tiles["duplicidades-descartadas"].current == 1
    assert tiles["duplicidades-abertas"].current == 1
    assert tiles["treinamentos-vagas"].current == 10
    assert tiles["treinamentos-agendados"].current == 4  # a cancelled seat is free again
    assert tiles["treinamentos-ocupacao"].current == 40.0
    assert table(response, "cadastros-por-pessoa") == {
        "Elisa": [2, 2],
        "Fábio": [1, 0],
    }
    assert table(response, "duplicidades-por-origem") == {
        "Cadastro": [2, 1, 0],
        "Varredura da base": [1, 0, 1],
    }


def test_cadastros_drill_down_lists_the_onboardings(client, gestor, data):
    client.force_login(gestor)
    response = client.get(reverse("indicators:list", args=["cadastros-concluidos"]), SEVEN)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 2


def test_a_central_agent_sees_their_own_registrations(client, fabio, data):
    client.force_login(fabio)
    tiles = tiles_of(client.get(PAGE, SEVEN))
    assert tiles["cadastros"].current == 1
    assert tiles["treinamentos-vagas"].current == 6  # the slots they give


def test_a_seller_without_the_central_role_does_not_see_cadastros(client, make_user, data):
    client.force_login(make_user(AGENT, SELLER))
    blocks = client.get(PAGE, SEVEN).context["blocks"]
    assert "cadastros" not in {b["section"].slug for b in blocks}
