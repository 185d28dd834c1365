"""The helpdesk (issue 21, items 5–7), clicked in headless Chromium against a frozen clock:
the list's views and SLA badges, a bulk assign, the live refresh keeping checked boxes, the
390 px layout, picking a client by typing on the new-ticket form, the support dev's home."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import at
from tests.sales_fixtures import make_ficha
from tests.tickets_support.helpers import new_ticket
from tickets import desk, list_views
from tickets.models import Level, Ticket, TicketNote
from workflows.roles import AGENT, SUPPORT, SUPPORT_DEV

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def helpdesk(make_user, clock):
    carla = make_user(SUPPORT, AGENT, username="carla", first_name="Carla")
    davi = make_user(SUPPORT, username="davi", first_name="Davi")
    mine = new_ticket(carla, subject="Relatório não exporta", requester="Escritório Almeida")
    desk.ticket_act(mine, "assign", actor=carla, reason="é comigo", assignee=carla)
    urgent = new_ticket(
        carla,
        subject="Intimações do TJSP não chegam",
        requester="Dra. Marina Lopes",
        urgency=Level.CRITICAL,
        impact=Level.HIGH,
    )
    calm = new_ticket(carla, subject="Dúvida sobre beneficiário", urgency=1, impact=1)
    return {"carla": carla, "davi": davi, "mine": mine, "urgent": urgent, "calm": calm}


def row_of(page, ticket):
    return page.locator(f"#chamado-{ticket.pk}")


def test_journey_list_views_badges_bulk_assign_and_live_refresh_T4_T6(
    session, helpdesk, clock, monkeypatch
):
    monkeypatch.setattr(list_views, "REFRESH_SECONDS", 1)
    clock.freeze(at(2027, 4, 19, 9, 40))  # P1 due 09:30, P3 due 13:00, P4 due 18:00
    carla = session("carla")
    page = carla.go("/suporte/chamados/")
    views = page.locator("#list-views")
    expect(views.get_by_role("link", name="Meus 1")).to_be_visible()
    expect(views.get_by_role("link", name="SLA vencido 1")).to_be_visible()
    expect(row_of(page, helpdesk["urgent"]).locator(".sla")).to_have_text("vencido há 10 min úteis")
    expect(row_of(page, helpdesk["mine"]).locator(".sla")).to_have_text("vence em 3 h 20 min úteis")
    expect(row_of(page, helpdesk["calm"]).locator(".sla")).to_have_text("vence em 8 h 20 min úteis")
    views.get_by_role("link", name="SLA vencido 1").click()
    expect(page.locator("#list-table tbody tr")).to_have_count(1)
    expect(row_of(page, helpdesk["urgent"])).to_contain_text("P1")
    views.get_by_role("link", name=re.compile("Não atribuídos")).click()
    expect(page.locator("#list-table tbody tr")).to_have_count(2)
    screenshot(page, "helpdesk-views")

    # Bulk assign the two unassigned tickets to Davi.
    row_of(page, helpdesk["urgent"]).get_by_role("checkbox").check()
    row_of(page, helpdesk["calm"]).get_by_role("checkbox").check()
    bulk = page.locator("#form-lote")
    bulk.get_by_label("Ação").select_option(label="Atribuir responsável")
    bulk.get_by_label("Novo responsável (para atribuir)").select_option(label="Davi")
    bulk.get_by_label("Justificativa").fill("Davi cobre a fila hoje")
    bulk.get_by_role("button", name="Aplicar aos marcados").click()
    expect(
        page.get_by_text(re.compile(r"Atribuir responsável: feito em 2 chamado"))
    ).to_be_visible()
    expect(page).to_have_url(re.compile(r"visao=nao-atribuidos"))
    expect(page.get_by_text("Nenhum chamado aqui.")).to_be_visible()
    assert {t.assignee_id for t in Ticket.objects.exclude(pk=helpdesk["mine"].pk)} == {
        helpdesk["davi"].pk
    }

    # Live refresh: a checked box holds the rows; once nothing is checked they refresh.
    page = carla.go("/suporte/chamados/?visao=todos&ordem=recentes")
    row_of(page, helpdesk["mine"]).get_by_role("checkbox").check()
    arrived = new_ticket(helpdesk["carla"], subject="Chegou agora por e-mail")
    page.wait_for_timeout(2500)
    expect(row_of(page, arrived)).to_have_count(0)
    expect(row_of(page, helpdesk["mine"]).get_by_role("checkbox")).to_be_checked()
    row_of(page, helpdesk["mine"]).get_by_role("checkbox").uncheck()
    expect(row_of(page, arrived)).to_be_visible(timeout=5000)
    expect(page).to_have_url(re.compile(r"visao=todos&ordem=recentes"))
    expect(page.locator("#list-views").get_by_role("link", name="Todos 4")).to_be_visible()
    assert carla.console_errors == []


def test_journey_the_list_at_390px_shows_prioridade_and_responsavel_T6(session, helpdesk, clock):
    carla = session("carla", width=390)
    page = carla.go("/suporte/chamados/")
    row = row_of(page, helpdesk["mine"])
    for label, text in (("Prioridade", "P3"), ("Responsável", "Carla")):
        cell = row.locator(f'td[data-label="{label}"]')
        expect(cell).to_be_visible()
        expect(cell).to_contain_text(text)
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, label
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(page, "helpdesk-390px")


def test_journey_new_ticket_picks_the_client_by_typing_and_sees_their_open_tickets_T2(
    session, helpdesk, clock
):
    silva = make_ficha(name="Escritório Silva Advogados", email="contato@silva.adv.br")
    make_ficha(name="Silva Advogados Duplicada", status="merged")
    new_ticket(helpdesk["carla"], subject="Boleto de março não abre", ficha=silva)
    carla = session("carla")
    page = carla.go("/suporte/chamados/novo/")
    page.get_by_label("Ficha do cliente (opcional)").fill("silva adv")
    results = page.locator("#client-results")
    expect(results.get_by_role("button", name="Escritório Silva Advogados")).to_be_visible()
    expect(results).not_to_contain_text("Duplicada")
    results.get_by_role("button", name="Escritório Silva Advogados").click()
    picked = page.locator("#client-picked")
    expect(picked).to_contain_text("já tem 1 chamado em aberto")
    expect(picked.get_by_role("link", name=re.compile("Boleto de março não abre"))).to_be_visible()
    expect(page.get_by_label("Ficha do cliente (opcional)")).to_have_value(
        "Escritório Silva Advogados"
    )
    page.get_by_label("Canal").select_option(label="Telefone")
    page.get_by_label("Assunto").fill("Certificado digital vencido")
    page.get_by_label("Descrição").fill("Cliente ligou: o certificado venceu ontem.")
    page.get_by_role("button", name="Abrir chamado").click()
    expect(page.get_by_text(re.compile(r"Chamado \[#\d+\] aberto\."))).to_be_visible()
    assert Ticket.objects.latest("pk").ficha == silva
    assert carla.console_errors == []


def test_journey_support_dev_home_shows_their_github_tickets_T7(session, helpdesk, make_user):
    diego = make_user(SUPPORT_DEV, username="diego", first_name="Diego")
    ticket = helpdesk["mine"]
    desk.ticket_act(ticket, "assign", actor=helpdesk["carla"], reason="dev olha", assignee=diego)
    Ticket.objects.filter(pk=ticket.pk).update(
        github_issue_number=42,
        github_issue_url="https://github.com/webplanet/g3stor/issues/42",
        github_issue_state="open",
    )
    desk.ticket_note_add(
        ticket,
        kind=TicketNote.Kind.GITHUB_COMMENT,
        text="Reproduzi: falta índice na exportação",
        external_author="@dev-joao",
        at=ticket.created_at + dt.timedelta(minutes=5),
    )
    page = session("diego").go("/")
    card = page.locator("#home-github")
    row = card.get_by_role("row", name=re.compile(re.escape(ticket.tag)))
    expect(row).to_contain_text("issue #42")
    expect(row).to_contain_text("aberta")
    expect(row).to_contain_text("Reproduzi: falta índice na exportação")
    row.get_by_role("link", name=re.compile(re.escape(ticket.tag))).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Relatório não exporta")
