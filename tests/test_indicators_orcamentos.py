"""Indicadores, Orçamentos (issue 19, G8): the refusals per reason the client gave, on a known
set of orçamentos, with the figures computed by hand, their lists and the XLSX export."""

import io

import pytest
from django.urls import reverse
from model_bakery import baker
from openpyxl import load_workbook

from tests.conftest import at
from tests.sales_fixtures import make_ficha
from tests.test_indicators import PAGE, SEVEN, table, tiles_of
from workflows.models import Orcamento

KIND, STATE = Orcamento.RejectionKind, Orcamento.State


def quote(author, created, state=STATE.REJECTED, kind="", details=""):
    return baker.make(
        Orcamento,
        ficha=make_ficha(),
        author=author,
        state=state,
        created_at=created,
        sent_at=created,
        decided_at=created,
        rejection_kind=kind,
        rejection_reason=details,
    )


@pytest.fixture
def refusals(clock, ana, bruno):
    """Today is Mon 19/04/2027: the period is 13/04–19/04, the previous one 06/04–12/04."""
    return {
        # São Paulo midnight: 00:00 of the 13th is in the period, 23:59 of the 12th is not.
        "price_first": quote(ana, at(2027, 4, 13, 0, 0), kind=KIND.PRICE),
        "price_before": quote(ana, at(2027, 4, 12, 23, 59), kind=KIND.PRICE),
        "competitor": quote(bruno, at(2027, 4, 14, 10), kind=KIND.COMPETITOR),
        "deadline": quote(bruno, at(2027, 4, 17, 11), kind=KIND.DEADLINE),  # a Saturday
        "other": quote(
            ana, at(2027, 4, 18, 23, 59), kind=KIND.OTHER, details="fechou o escritório"
        ),
        "accepted": quote(ana, at(2027, 4, 15, 9), state=STATE.ACCEPTED),
        "budget_before": quote(bruno, at(2027, 4, 6, 0, 0), kind=KIND.NO_BUDGET),
    }


def test_G8_refusals_per_reason_in_the_period_and_the_one_before(client, gestor, refusals):
    client.force_login(gestor)
    tiles = tiles_of(client.get(PAGE, SEVEN))
    got = {
        key: (tiles[key].current, tiles[key].previous)
        for key in (
            "orcamentos-recusados",
            "orcamentos-recusados-preco",
            "orcamentos-recusados-prazo",
            "orcamentos-recusados-concorrente",
            "orcamentos-recusados-sem-verba",
            "orcamentos-recusados-outro",
        )
    }
    assert got == {
        "orcamentos-recusados": (4, 2),
        "orcamentos-recusados-preco": (1, 1),
        "orcamentos-recusados-prazo": (1, 0),
        "orcamentos-recusados-concorrente": (1, 0),
        "orcamentos-recusados-sem-verba": (0, 1),
        "orcamentos-recusados-outro": (1, 0),
    }


def test_G8_refusals_per_reason_and_author(client, gestor, refusals):
    client.force_login(gestor)
    response = client.get(PAGE, SEVEN)
    # Recusados, preço, prazo, concorrente, sem verba, outro
    assert table(response, "orcamentos-recusas-por-responsavel") == {
        "Ana": [2, 1, 0, 0, 0, 1],
        "Bruno": [2, 0, 1, 1, 0, 0],
    }


def test_G8_each_reason_lists_its_own_orcamentos(client, gestor, refusals):
    client.force_login(gestor)
    url = reverse("indicators:list", args=["orcamentos-recusados-outro"])
    response = client.get(url, SEVEN)
    assert response.status_code == 200
    other = refusals["other"]
    assert [r["url"] for r in response.context["rows"]] == [
        reverse("orcamento_detail", args=[other.pk])
    ]
    cells = [value for value, _kind in response.context["rows"][0]["cells"]]
    assert "Outro" in cells and "fechou o escritório" in cells
    price = client.get(reverse("indicators:list", args=["orcamentos-recusados-preco"]), SEVEN)
    assert [r["url"] for r in price.context["rows"]] == [
        reverse("orcamento_detail", args=[refusals["price_first"].pk])
    ]


def test_G8_export_carries_the_refusals_per_reason(client, gestor, refusals):
    client.force_login(gestor)
    response = client.get(reverse("indicators:export"), SEVEN)
    book = load_workbook(io.BytesIO(response.content))
    summary = {
        (row[0].value, row[1].value): (row[2].value, row[3].value)
        for row in book["Resumo"].iter_rows(min_row=2)
    }
    assert summary[("Orçamentos", "Recusados: preço")] == (1, 1)
    assert summary[("Orçamentos", "Recusados: desistiu / sem verba")] == (0, 1)
    assert summary[("Orçamentos", "Recusados: outro")] == (1, 0)
    sheet = book["Recusas por responsável"]
    by_name = {row[0].value: [c.value for c in row] for row in sheet.iter_rows(min_row=2)}
    # Name, then (current, previous, change) per figure: Recusados, preço, prazo, …
    assert by_name["Bruno"][1] == 2 and by_name["Bruno"][7] == 1 and by_name["Bruno"][8] == 0
    assert by_name["Bruno"][13] == 0 and by_name["Bruno"][14] == 1  # sem verba, before
