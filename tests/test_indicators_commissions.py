"""Indicadores, Comissões (issue 19; S8, S9, M1): per rule and per who receives, the ones left
for the manager and those the manager settled."""

import pytest
from django.urls import reverse

from tests.conftest import at
from tests.test_indicators import PAGE, SEVEN, sale, table, tiles_of
from workflows.models import Sale
from workflows.roles import AGENT, MANAGER, SELLER


@pytest.fixture
def people(make_user):
    return {
        "ana": make_user(AGENT, SELLER, username="ana", first_name="Ana"),
        "bruno": make_user(AGENT, SELLER, username="bruno", first_name="Bruno"),
        "gestor": make_user(MANAGER, username="gestor", first_name="Gestora"),
    }


@pytest.fixture
def commissions(clock, people, products):
    ana, bruno = people["ana"], people["bruno"]
    intim = products["intimacao"]
    sale(ana, intim, at(2027, 4, 14, 10), "10.00", commission_to=ana)  # S4, assigned
    sale(
        bruno,
        intim,
        at(2027, 4, 15, 10),
        "20.00",
        state=Sale.State.TO_SETTLE,
        commission_rule="S8",
    )
    sale(
        bruno,
        intim,
        at(2027, 4, 16, 10),
        "30.00",
        state=Sale.State.SETTLED,
        commission_rule="S9",
        commission_to=ana,
    )
    sale(
        ana,
        intim,
        at(2027, 4, 8, 10),
        "40.00",
        state=Sale.State.SETTLED,
        commission_rule="S9",
        commission_to=ana,
    )  # previous period


def test_S8_S9_M1_commissions_left_for_the_manager_and_settled(client, people, commissions):
    client.force_login(people["gestor"])
    response = client.get(PAGE, SEVEN)
    tiles = tiles_of(response)
    assert tiles["comissoes"].current == 3
    assert (
        tiles["comissoes-para-o-gestor"].current,
        tiles["comissoes-para-o-gestor"].previous,
    ) == (2, 1)
    assert tiles["comissoes-a-definir"].current == 1
    assert tiles["comissoes-a-definir"].verdict == "worse"
    assert tiles["comissoes-definidas-gestor"].current == 1
    assert table(response, "comissoes-por-regra") == {
        "S4 · Venda retira o agendamento": [1, 0, 0],
        "S8 · Venda receptiva (1º, 2º e 3º passo)": [1, 1, 0],
        "S9 · Vendedor ausente ou em férias": [1, 1, 1],
    }
    assert table(response, "comissoes-por-beneficiario") == {
        "Ana": [2, 0, 1],
        "Sem responsável": [1, 1, 0],
    }
    url = reverse("indicators:list", args=["comissoes-a-definir"])
    listing = client.get(url, SEVEN)
    assert listing.context["page"].paginator.count == 1
    assert "Comissão a definir pelo gestor" in listing.content.decode()


def test_an_agent_sees_the_commissions_of_their_own_sales_only(client, people, commissions):
    client.force_login(people["bruno"])
    tiles = tiles_of(client.get(PAGE, {**SEVEN, "membro": people["ana"].pk}))
    assert tiles["comissoes"].current == 2
    assert tiles["comissoes-a-definir"].current == 1
