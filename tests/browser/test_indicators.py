"""Indicadores in Chromium (issue 19): the manager's page at 1280 and 390 px, changing the
period, and following a figure to the records behind it."""

import datetime as dt

import pytest
from model_bakery import baker
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import at
from tests.sales_fixtures import make_ficha
from tests.test_indicators import sale
from workflows.models import Agendamento, AgendamentoKind
from workflows.roles import AGENT, MANAGER, SELLER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def figures(make_user, products, clock):
    ana = make_user(AGENT, SELLER, username="ana", first_name="Ana")
    make_user(MANAGER, username="gestor", first_name="Gestora")
    sale(ana, products["intimacao"], at(2027, 4, 16, 10), "120.00")
    sale(ana, products["pesquisa"], at(2027, 3, 10, 10), "80.00")  # last month
    created = at(2027, 4, 14, 10)
    baker.make(
        Agendamento,
        ficha=make_ficha(name="Dra. Expirada Souza"),
        kind=AgendamentoKind.SALE_WITH_CONTACT,
        product=products["intimacao"],
        owner=ana,
        state=Agendamento.State.EXPIRED,
        created_at=created,
        scheduled_for=created.date(),
        due_date=created.date() + dt.timedelta(days=2),
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_manager_reads_the_figures_changes_the_period_and_opens_the_records(
    session, figures, width
):
    s = session("gestor", width=width)
    page = s.go("/indicadores/?periodo=7dias")
    expect(page.get_by_role("heading", name="Indicadores", exact=True)).to_be_visible()
    vendas = page.locator("#secao-vendas")
    expect(vendas.locator(".ind-tile").first).to_contain_text("1")
    expect(vendas.locator("svg.ind-chart")).to_be_visible()
    expect(page.get_by_role("table", name="Vendas por vendedor")).to_contain_text("Ana")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"
    screenshot(page, f"indicadores-{width}")

    page.get_by_label("Período").select_option(label="Mês anterior")
    page.get_by_role("button", name="Atualizar").click()
    page.wait_for_url("**periodo=mes-anterior**")
    expect(page.locator("#ind-scope")).to_contain_text("01/03/2027 a 31/03/2027")
    expect(page.locator("#secao-vendas .ind-tile").nth(1)).to_contain_text("R$ 80,00")

    page.get_by_label("Período").select_option(label="Últimos 7 dias")
    page.get_by_role("button", name="Atualizar").click()
    page.wait_for_url("**periodo=7dias**")
    expired = page.locator("#secao-agendamentos .ind-tile", has_text="Expirados")
    expired.get_by_role("link").click()
    page.wait_for_url("**/indicadores/lista/agendamentos-expirados/**")
    expect(page.get_by_role("table")).to_contain_text("Dra. Expirada Souza")
    expect(page.get_by_role("link", name="Baixar a lista (XLSX)")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"
    assert s.console_errors == []


@pytest.mark.parametrize("width", [1280, 390])
def test_manager_filters_by_channel_and_reads_one_call_sales(session, figures, products, width):
    from django.contrib.auth import get_user_model

    from tests.test_indicators_triage import triage
    from workflows.models import Triage

    ana = get_user_model().objects.get(username="ana")
    sold = Triage.State.SOLD
    triage(products["intimacao"], ana, at(2027, 4, 15, 9), sold, sold_at=at(2027, 4, 15, 9, 12))
    triage(products["intimacao"], ana, at(2027, 4, 16, 9), Triage.State.CLOSED, "phone")
    s = session("gestor", width=width)
    page = s.go("/indicadores/?periodo=7dias")
    one_call = page.locator("#secao-uma-ligacao")
    expect(one_call.locator(".ind-tile", has_text="Vendas em uma ligação")).to_contain_text(
        "50,0 %"
    )
    expect(one_call.locator(".ind-tile", has_text="Tempo médio do contato")).to_contain_text(
        "12 min"
    )
    expect(page.get_by_role("table", name="Por canal")).to_contain_text("Telefone")
    expect(page.locator("#secao-cadastros")).to_be_visible()
    expect(page.locator("#secao-suporte .ind-tile", has_text="Cumprimento do SLA")).to_be_visible()

    page.get_by_label("Canal").select_option(label="Chat")
    page.get_by_role("button", name="Atualizar").click()
    page.wait_for_url("**canal=chat**")
    expect(page.locator("#ind-scope")).to_contain_text("canal Chat")
    expect(one_call.locator(".ind-tile", has_text="Vendas em uma ligação")).to_contain_text(
        "100,0 %"
    )
    one_call.locator(".ind-tile", has_text="Vendidos no mesmo atendimento").get_by_role(
        "link"
    ).click()
    page.wait_for_url("**/indicadores/lista/atendimentos-vendidos/**canal=chat**")
    expect(page.get_by_role("table")).to_contain_text("2º passo: venda direta")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"
    assert s.console_errors == []
