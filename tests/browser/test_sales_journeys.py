"""The agent's and the manager's journeys, clicked in headless Chromium (issue 7: 1, 2, 6)."""

import datetime as dt
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.conftest import open_ficha, screenshot, start_triage
from tests.sales_fixtures import BITRIX, contact, make_ficha
from workflows.agendamentos import agendamento_open
from workflows.models import Agendamento, Orcamento, Sale, Triage
from workflows.selling import ficha_sell

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_journey_agent_triage_through_the_three_passos(session, team, products, clock):
    reserved = make_ficha(name="Dr. Reservado Silva")
    agendamento_open(
        reserved,
        owner=team["ana"],
        kind="venda_com_contato",
        product=products["intimacao"],
        **contact(),
    )
    make_ficha(name="Dra. Livre Costa")
    make_ficha(name="Dr. Curioso Prado")

    carla = session("carla")
    page = carla.page
    # 1º passo: a live `com contato` agendamento of Ana → the client is offered to Ana.
    open_ficha(page, "Dr. Reservado Silva")
    expect(page.get_by_text("passe para Ana")).to_be_visible()
    start_triage(page, "Intimação", "Quer contratar intimação hoje")
    expect(page.get_by_text("1º passo", exact=True)).to_be_visible()
    expect(page.get_by_text("oferecido a Ana").first).to_be_visible()
    expect(page.get_by_role("button", name="Assumir o cliente")).to_have_count(0)
    screenshot(page, "journey1-triage-offered")

    ana = session("ana")  # a second browser: the owner sees the offer and takes it
    ana.page.locator("#offers").get_by_role("link", name="Dr. Reservado Silva").click()
    ana.page.get_by_role("button", name="Assumir o cliente").click()
    expect(ana.page.get_by_text("Você assumiu o cliente.")).to_be_visible()
    expect(page.get_by_text("Repassado: vendedor atendendo")).to_be_visible(timeout=12_000)
    sale_form = ana.page.locator("#form-venda")
    sale_form.get_by_label("Confirmei os dados do cliente").check()
    sale_form.get_by_role("button", name="Registrar venda").click()
    expect(ana.page.get_by_text("Venda registrada.")).to_be_visible()
    assert Sale.objects.get(ficha=reserved).seller == team["ana"]

    # 2º passo: no agendamento → Carla sells now.
    carla.go("/")
    open_ficha(page, "Dra. Livre Costa")
    start_triage(page, "Pesquisa processual", "Precisa de duas pesquisas")
    expect(page.get_by_text("2º passo", exact=True)).to_be_visible()
    sale_form = page.locator("#form-venda")
    sale_form.get_by_label("Quantidade").fill("2")
    sale_form.get_by_role("button", name="Registrar venda").click()  # forgot to confirm data
    expect(sale_form.get_by_text("Confirme os dados do cliente")).to_be_visible()
    expect(sale_form.locator(".rule", has_text="S1")).to_be_visible()
    sale_form.get_by_label("Confirmei os dados do cliente").check()
    sale_form.get_by_role("button", name="Registrar venda").click()
    expect(page.get_by_text("Venda registrada.")).to_be_visible()
    assert Sale.objects.get(product=products["pesquisa"]).quantity == 2

    # 3º passo: only asking prices → comercial.
    carla.go("/")
    open_ficha(page, "Dr. Curioso Prado")
    start_triage(page, "Plano Integra", "Só quer saber quanto custa o Integra")
    page.locator("summary", has_text="Só quer saber preços (3º passo)").click()
    form = page.locator("#form-comercial")
    form.get_by_label("Contexto para o comercial").fill("Escritório de 5 advogados, avaliando")
    form.get_by_role("button", name="Repassar ao comercial").click()
    expect(page.get_by_text("3º passo", exact=True)).to_be_visible()
    assert Triage.objects.get(product=products["integra"]).state == "to_comercial"

    # A refused action shows its rule ID and reason, and keeps what was typed.
    carla.go("/")
    open_ficha(page, "Dr. Curioso Prado")
    page.locator("summary", has_text="Registrar movimentação").click()
    form = page.locator("#form-movimentacao")
    form.get_by_label("O que foi feito").fill("...")
    form.get_by_label("Link do Bitrix (conversa, tarefa, negócio ou card)").fill(BITRIX)
    form.get_by_role("button", name="Registrar").click()
    expect(page.locator("#form-movimentacao .field-error")).to_contain_text("reticências")
    expect(page.locator("#form-movimentacao .rule", has_text="G1")).to_be_visible()
    expect(
        page.locator("#form-movimentacao").get_by_label(
            "Link do Bitrix (conversa, tarefa, negócio ou card)"
        )
    ).to_have_value(BITRIX)
    assert carla.console_errors == [] and ana.console_errors == []


def test_journey_agent_builds_downloads_and_sends_an_orcamento(
    session, team, products, clock, tmp_path
):
    make_ficha(name="Dra. Orçada Lima", email="orcada@adv.br")
    ana = session("ana")
    page = ana.page
    open_ficha(page, "Dra. Orçada Lima")
    page.locator("summary", has_text="Novo orçamento").click()
    form = page.locator("#form-orcamento")
    form.get_by_label("Análise da demanda (o que o cliente precisa)").fill(
        "Três advogados em SP querem monitorar publicações"
    )
    form.get_by_role("button", name="Criar orçamento").click()
    page.wait_for_url(re.compile(r".*/orcamentos/\d+/$"))
    item = page.locator("#form-item")
    item.get_by_label("Produto").select_option(label="Intimação")
    item.get_by_label("Quantidade (advogados, estados, beneficiários, pesquisas…)").fill("3")
    item.get_by_role("button", name="Incluir").click()
    expect(page.get_by_text("Item salvo.")).to_be_visible()
    expect(page.locator("tfoot")).to_contain_text("R$ 269,70")
    page.get_by_role("button", name="Definir os produtos").click()
    page.get_by_role("button", name="Definir os valores").click()
    expect(page.locator(".stepper [aria-current=step]")).to_have_text("Valores definidos")
    with page.expect_download() as download:
        page.get_by_role("link", name="Baixar PDF").click()
    pdf = tmp_path / "orcamento.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    send = page.locator("#form-enviar")
    send.get_by_label("Link do Bitrix da negociação").fill(BITRIX)
    send.get_by_role("button", name="Enviar ao cliente").click()
    expect(page.get_by_text("Orçamento enviado por e-mail")).to_be_visible()
    expect(page.get_by_text("Agendamento de retorno: ativo, prazo 22/04/2027")).to_be_visible()
    screenshot(page, "journey2-orcamento-sent")
    assert Orcamento.objects.get().state == "sent"
    assert mail.outbox[-1].attachments[0][2] == "application/pdf"
    assert ana.console_errors == []


def test_journey_manager_overrides_settles_and_sees_the_trail(session, team, products, clock):
    late = make_ficha(name="Dr. Atrasado Reis")
    ag = agendamento_open(
        late,
        owner=team["bruno"],
        kind="venda_sem_contato",
        product=products["intimacao"],
        **contact(bitrix_link="", text="Liguei, não atendeu"),
        outcome="no_answer",
    )
    sold = make_ficha(name="Dra. Vendida Alves")
    ficha_sell(
        sold,
        products["pesquisa"],
        team["bruno"],
        data_confirmed=True,
        commission_flag="Repasse do 1º passo: agendamento de Ana",
    )

    gabriel = session("gabriel")
    page = gabriel.page
    open_ficha(page, "Dr. Atrasado Reis")
    page.get_by_role("link", name="Estender prazo").click()
    form = page.locator(f"#form-ag-{ag.pk}")
    form.get_by_label("Novo prazo").fill("2027-04-30")
    form.get_by_label("Justificativa").fill("...")
    form.get_by_role("button", name="Confirmar").click()
    expect(form.locator(".flash-error")).to_contain_text("justificativa")
    form.get_by_label("Justificativa").fill("Cliente em viagem, volta dia 29")
    form.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_text("Prazo estendido pelo gestor.")).to_be_visible()
    expect(page.get_by_text("Cliente em viagem, volta dia 29")).to_be_visible()
    assert Agendamento.objects.get(pk=ag.pk).due_date == dt.date(2027, 4, 30)

    gabriel.go("/gestor/")
    sale = Sale.objects.get(ficha=sold)
    form = page.locator(f"#form-comissao-{sale.pk}")
    page.get_by_text("Definir a comissão").click()
    form.get_by_label("Comissão para").select_option(label="Ana")
    form.get_by_label("Justificativa").fill("Ana fez a tratativa inicial")
    form.get_by_role("button", name="Definir comissão").click()
    expect(page.get_by_text("Comissão definida.")).to_be_visible()
    assert Sale.objects.get(pk=sale.pk).commission_to == team["ana"]

    open_ficha_trail = gabriel.go(f"/fichas/{late.pk}/")
    open_ficha_trail.get_by_role("link", name="histórico", exact=True).first.click()
    expect(page.get_by_role("cell", name="Cliente em viagem, volta dia 29")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Ver o desenho deste fluxo"))).to_be_visible()
    screenshot(page, "journey6-manager-trail")
    assert gabriel.console_errors == []
