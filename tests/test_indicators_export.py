"""Indicadores (issue 19): the XLSX exports hold the page's numbers, with pt-BR headers, real
date cells and R$ values as numbers with a currency format."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.test_indicators import PAGE, SEVEN, build_data, tiles_of
from web.indicators_views import FIGURES
from workflows.roles import AGENT, SELLER, SUPPORT


@pytest.fixture
def data(clock, make_user, gestor, products):
    ana = make_user(AGENT, SELLER, SUPPORT, username="ana", first_name="Ana")
    bruno = make_user(AGENT, SELLER, username="bruno", first_name="Bruno")
    return build_data(clock, ana, bruno, gestor, products)


def rows_of(response, sheet) -> dict:
    """{first text cell: [cell values]} of a sheet of an XLSX response."""
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = load_workbook(io.BytesIO(response.content))[sheet].iter_rows(min_row=2)
    return {row[1].value: [c.value for c in row] for row in rows}


def test_xlsx_export_holds_the_page_numbers(client, gestor, data):
    client.force_login(gestor)
    tiles = tiles_of(client.get(PAGE, SEVEN))
    response = client.get(reverse("indicators:export"), SEVEN)
    book = load_workbook(io.BytesIO(response.content))
    summary = book["Resumo"]
    rows = {row[1].value: row for row in summary.iter_rows(min_row=2)}
    sections = {(row[0].value, row[1].value): row for row in summary.iter_rows(min_row=2)}
    for key, section in [
        ("vendas", "Vendas"),
        ("agendamentos-expirados", "Agendamentos"),
        ("orcamentos-expirados", "Orçamentos"),
        ("excecoes", "Exceções do gestor (M1)"),
        ("chamados", "Suporte"),
    ]:
        row = sections[(section, FIGURES[key].label)]
        assert (row[2].value, row[3].value) == (tiles[key].current, tiles[key].previous)
    value = rows["Valor vendido"]
    assert value[2].value == 350 and "R$" in value[2].number_format
    assert rows["Taxa de expiração"][2].value == pytest.approx(0.25)
    per_seller = book["Vendas por vendedor"]
    assert [c.value for c in per_seller[1]][:3] == ["Nome", "Vendas", "Vendas (anterior)"]
    by_name = {row[0].value: row for row in per_seller.iter_rows(min_row=2)}
    assert by_name["Ana"][1].value == 2 and by_name["Ana"][4].value == 150
    daily = book["Vendas por dia"]
    assert (
        daily["A2"].value == dt.datetime(2027, 4, 13) and daily["A2"].number_format == "DD/MM/YYYY"
    )
    assert daily["C2"].value == 50


def test_one_table_exports_alone(client, gestor, data):
    client.force_login(gestor)
    response = client.get(reverse("indicators:export"), {**SEVEN, "tabela": "excecoes-por-regra"})
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Exceções por regra"]
    assert book.active["B2"].value == 1


def test_xlsx_of_a_drill_down_list(client, gestor, data):
    client.force_login(gestor)
    response = client.get(reverse("indicators:list_export", args=["vendas"]), SEVEN)
    sheet = load_workbook(io.BytesIO(response.content)).active
    headers = [c.value for c in sheet[1]]
    assert headers[0] == "Quando" and "Total" in headers
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 3
    total = headers.index("Total")
    assert sum(r[total] for r in rows) == 350
    assert rows[0][0] == dt.datetime(2027, 4, 19, 8, 0)  # São Paulo time, a real date cell
    assert "R$" in sheet.cell(row=2, column=total + 1).number_format
