"""The support dev's and the support agent's journeys, clicked in headless Chromium
(issue 7: 4, 5). GitHub is the local fake API on 127.0.0.1 the T7 tests use."""

import datetime as dt
import json
import re
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.tickets_support.fake_github import signature
from tests.tickets_support.helpers import new_ticket
from tickets.models import Level, Romaneio, RomaneioItem, RoutineCheck, Ticket
from workflows.roles import AGENT, SUPPORT, SUPPORT_DEV

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def deliver_webhook(base_url, event, payload):
    """What GitHub sends: the raw JSON body signed with the shared secret (X-Hub-Signature-256)."""
    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        f"{base_url}/suporte/github/webhook/",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": signature(body),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (local server)
        return response.status, response.read().decode()


def test_journey_support_dev_opens_on_github_and_the_webhook_closes_it_T7_T4(
    session, make_user, fake_github, live_server, clock
):
    carla = make_user(SUPPORT, AGENT, username="carla", first_name="Carla")
    make_user(SUPPORT, SUPPORT_DEV, username="diego", first_name="Diego")
    ticket = new_ticket(carla, subject="Relatório trava ao exportar")

    diego = session("diego")
    page = diego.go("/suporte/chamados/")
    page.get_by_role("link", name=f"{ticket.tag} Relatório trava ao exportar").click()
    page.get_by_role("link", name="Abrir no GitHub").click()
    form = page.locator("#form-github")
    form.get_by_label("O que o desenvolvimento precisa fazer").fill("Exportador de PDF trava")
    form.get_by_role("button", name="Abrir no GitHub").click()
    expect(page.get_by_text("Issue #42 criada no GitHub.")).to_be_visible()
    expect(page.locator("dl.facts .state").first).to_have_text("Em desenvolvimento")
    expect(page.get_by_role("link", name="issue #42")).to_be_visible()
    expect(page.get_by_role("link", name="Abrir no GitHub")).to_have_count(0)
    [request] = fake_github.requests
    assert request["json"]["title"] == f"[#{ticket.pk}] Relatório trava ao exportar"

    page.get_by_role("link", name="Desenvolvimento (GitHub)").click()
    row = page.get_by_role("row", name=re.compile(re.escape(ticket.tag)))
    expect(row).to_contain_text("aberta")
    expect(row).to_contain_text("Em desenvolvimento")

    # The developer closes the issue on GitHub: a signed `issues` delivery.
    payload = {
        "action": "closed",
        "issue": {"number": 42, "state": "closed"},
        "repository": {"full_name": "webplanet/g3stor"},
        "sender": {"login": "dev-joao"},
    }
    assert deliver_webhook(live_server.url, "issues", payload) == (
        200,
        "issue closed; ticket moved",
    )
    page.reload()
    expect(row).to_contain_text("fechada")
    expect(row).to_contain_text("Em análise")

    row.get_by_role("link", name=re.compile(re.escape(ticket.tag))).click()
    expect(page.locator("dl.facts").first).to_contain_text("issue #42 (fechada)")
    expect(page.get_by_text("Issue #42 fechada no GitHub por @dev-joao.")).to_be_visible()
    # T6: concluding is a return to the client, so Ações leads to the reply editor.
    page.locator(".actions").get_by_role("link", name="Concluir").click()
    editor = page.locator("#form-resposta")
    editor.get_by_label("Mensagem").fill("Corrigido na versão 3.2 do sistema.")
    editor.get_by_role("button", name="Responder e concluir").click()
    expect(page.get_by_text("Resposta enviada ao cliente; chamado concluído.")).to_be_visible()
    expect(page.locator("dl.facts .state").first).to_have_text("Concluído")
    screenshot(page, "journey4-support-dev-concluded")
    ticket.refresh_from_db()
    assert (ticket.state, ticket.github_issue_state) == ("concluido", "closed")

    page.get_by_role("link", name="Desenvolvimento (GitHub)").click()
    expect(row).to_contain_text("fechada")
    expect(row).to_contain_text("Concluído")
    assert diego.console_errors == []


def routine_row(page, item):
    return page.locator(f"#rotina-{item}")


def test_journey_support_routine_sla_queue_and_romaneio_T8_T6_T5(session, make_user, clock):
    carla_user = make_user(SUPPORT, AGENT, username="carla", first_name="Carla")
    new_ticket(
        carla_user,
        subject="Dúvida sobre beneficiário",
        requester="Escritório Almeida",
        urgency=Level.LOW,
        impact=Level.LOW,
    )
    clock.advance(dt.timedelta(minutes=10))
    new_ticket(
        carla_user,
        subject="Intimações do TJSP não chegam",
        requester="Dra. Marina Lopes",
        urgency=Level.CRITICAL,
        impact=Level.HIGH,
    )

    carla = session("carla")
    page = carla.go("/suporte/rotina/")
    expect(routine_row(page, 6).locator(".count")).to_have_text("2")
    expect(routine_row(page, 5).locator(".count")).to_have_text("0")
    row = routine_row(page, 1)
    row.get_by_label("Por que marcar como feito com pendências").fill(
        "Os dois e-mails aguardam o TI do cliente"
    )
    row.get_by_role("button", name="Marcar como feito").click()
    expect(routine_row(page, 1)).to_contain_text("Feito às 09:10")
    expect(routine_row(page, 1).get_by_role("button", name="desfazer")).to_be_visible()
    assert RoutineCheck.objects.get().item == 1

    # T6: the queue puts the P1 opened later before the P4 opened first.
    routine_row(page, 6).get_by_role("link", name=re.compile("2 clientes aguardando")).click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Intimações do TJSP não chegam")
    expect(rows.nth(0)).to_contain_text("P1")
    expect(rows.nth(0)).to_contain_text("retorno até 19/04 09:40")
    expect(rows.nth(1)).to_contain_text("Dúvida sobre beneficiário")
    expect(rows.nth(1)).to_contain_text("P4")
    screenshot(page, "journey5-sla-queue")

    # T5: a romaneio typed in; a date in the future is refused and nothing is written.
    page.get_by_role("link", name="Romaneios Textura").click()
    page.get_by_role("link", name="Registrar romaneio").click()
    page.get_by_label("Número").fill("tx-3001")
    page.get_by_label("Data").fill("2027-04-25")
    page.get_by_label("Loja").fill("Textura Moema")
    page.get_by_label("Cliente").fill("Condomínio Jardins")
    item = page.locator("tbody tr").first
    item.get_by_label("Produto").fill("Piso vinílico Carvalho")
    item.get_by_label("Quantidade").fill("42")
    item.get_by_label("Unidade").select_option(label="m²")
    page.get_by_role("button", name="Salvar como pendente").click()
    expect(page.get_by_text("A data do romaneio não pode estar no futuro.")).to_be_visible()
    expect(page.locator("tbody tr").first.get_by_label("Produto")).to_have_value(
        "Piso vinílico Carvalho"
    )
    assert not Romaneio.objects.exists() and not RomaneioItem.objects.exists()
    page.get_by_label("Data").fill("2027-04-16")
    page.get_by_role("button", name="Salvar como pendente").click()
    expect(page.get_by_text("Romaneio TX-3001 salvo como pendente.")).to_be_visible()
    romaneio = Romaneio.objects.get()
    assert (romaneio.state, romaneio.items.get().quantity) == ("pendente", 42)

    carla.go("/suporte/rotina/")  # the count is live: one romaneio pending now
    expect(routine_row(page, 5).locator(".count")).to_have_text("1")
    routine_row(page, 5).get_by_role("link", name="1 romaneio pendente").click()
    page.get_by_role("link", name="TX-3001").click()
    page.get_by_role("link", name="Marcar como digitado").click()
    page.locator("#form-type_in").get_by_role("button", name="Marcar como digitado").click()
    expect(page.get_by_text("Marcar como digitado: feito.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Digitado")
    romaneio.refresh_from_db()
    assert (romaneio.state, romaneio.typed_by) == ("digitado", carla_user)

    carla.go("/suporte/rotina/")
    expect(routine_row(page, 5).locator(".count")).to_have_text("0")
    routine_row(page, 5).get_by_role("button", name="Marcar como feito").click()
    expect(routine_row(page, 5)).to_contain_text("Feito às 09:10")
    screenshot(page, "journey5-routine")
    assert set(RoutineCheck.objects.values_list("item", flat=True)) == {1, 5}
    assert Ticket.objects.count() == 2
    assert carla.console_errors == []
