"""Journeys where a timer fires while a page is open (S8 owner offer, S2 expiry), the S8
2º passo price, the S5 hold lifted by a manager's exception (M1), and the agendamentos card
refreshing around a half-typed form. Clicked in headless Chromium.

The timers run as in production, minus django-q2: the test moves the project clock past the
deadline and runs the sweep (`workflows.timers.sweep`), which fires whatever is overdue. The
pages poll with HTMX; Playwright's fake browser clock (`page.clock`) makes a 60 s poll fire
now instead of after a minute of waiting.
"""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, start_triage
from tests.sales_fixtures import contact, make_ficha
from workflows import timers
from workflows.agendamentos import agendamento_open, expires_at
from workflows.businessdays import add_business_days
from workflows.models import Agendamento, AgendamentoKind, Sale, Triage
from workflows.selling import ficha_inactivate, ficha_inactivation_answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def reserve_for(owner, ficha, product):
    """A live `#venda/tratativas com contato` agendamento: it reserves the sale (S2)."""
    return agendamento_open(
        ficha, owner=owner, kind=AgendamentoKind.SALE_WITH_CONTACT, product=product, **contact()
    )


def run_timers_after(clock, delta):
    """Time passes, then the sweep fires what fell due (what the cluster does every minute)."""
    clock.advance(delta)
    return timers.sweep()


def card(page, heading):
    """The card (section) whose heading is `heading`."""
    return page.locator("section.card", has=page.get_by_role("heading", name=heading))


def test_S8_owner_does_not_answer_in_time_and_another_seller_closes(session, team, products, clock):
    ficha = make_ficha(name="Dr. Reservado Silva", email="reservado@adv.br")
    reserve_for(team["ana"], ficha, products["intimacao"])

    # Carla attends: Ana holds the sale, so the 1º passo offers the client to Ana.
    carla = session("carla")
    page = carla.go(f"/fichas/{ficha.pk}/")
    expect(page.get_by_text("passe para Ana").first).to_be_visible()
    start_triage(page, "Intimação", "Quer contratar intimação ainda hoje")
    status = page.locator("#triage-status")
    expect(status.get_by_text("1º passo: oferecido ao dono do agendamento")).to_be_visible()
    expect(status.get_by_text("oferecido a Ana").first).to_be_visible()

    # Ana does not answer: past S8_OWNER_MINUTES the timer hands the client to the team.
    minutes = settings.S8_OWNER_MINUTES
    assert run_timers_after(clock, dt.timedelta(minutes=minutes, seconds=30)) == 1
    # Carla's open page polls every 5 s and shows the new state by itself.
    expect(status).to_contain_text(
        re.compile("aguardando um vendedor disponível", re.I), timeout=12_000
    )
    expect(status).to_contain_text("não respondeu")
    screenshot(page, "timers-s8-owner-silent")

    # Bruno, a free seller, sees the waiting client on his Início and takes it.
    bruno = session("bruno")
    offers = bruno.page.locator("#offers")
    expect(offers.get_by_role("heading", name=re.compile("Clientes aguardando"))).to_be_visible()
    expect(offers.locator(".badge")).to_have_text(re.compile(r"^[1-9]\d*$"))
    offers.get_by_role("link", name="Dr. Reservado Silva").click()
    bruno.page.get_by_role("button", name="Assumir o cliente").click()
    expect(bruno.page.get_by_text("Você assumiu o cliente.", exact=True)).to_be_visible()
    expect(status).to_contain_text("Repassado: vendedor atendendo", timeout=12_000)

    sale_form = bruno.page.locator("#form-venda")
    sale_form.get_by_label("Confirmei os dados do cliente").check()
    sale_form.get_by_role("button", name="Registrar venda").click()
    expect(bruno.page.get_by_text("Venda registrada.", exact=True)).to_be_visible()
    expect(bruno.page.locator("#triage-status")).to_contain_text("comissão a definir pelo gestor")
    sale = Sale.objects.get(ficha=ficha)
    assert sale.seller == team["bruno"] and sale.state == "to_settle"

    # S8: the hand-off's commission waits for the manager.
    gabriel = session("gabriel")
    gabriel.go("/gestor/")
    to_settle = card(gabriel.page, "Comissões a definir")
    expect(to_settle.get_by_role("link", name="Dr. Reservado Silva")).to_be_visible()
    expect(to_settle).to_contain_text("vendido por Bruno")
    assert carla.console_errors == [] and bruno.console_errors == []
    assert gabriel.console_errors == []


def test_S8_nobody_takes_the_client_and_the_manager_sees_it_waiting(session, team, products, clock):
    ficha = make_ficha(name="Dra. Esperando Lima", email="esperando@adv.br")
    reserve_for(team["ana"], ficha, products["intimacao"])

    # Bruno, the other seller, goes on vacation from his Início.
    bruno = session("bruno")
    form = bruno.page.locator("#form-disponibilidade")
    form.get_by_label("Situação").select_option(label="De férias")
    form.get_by_label("Férias de").fill("2027-04-19")
    form.get_by_label("Férias até").fill("2027-04-30")
    form.get_by_role("button", name="Salvar").click()
    expect(bruno.page.get_by_text("Disponibilidade atualizada.", exact=True)).to_be_visible()
    expect(card(bruno.page, "Minha disponibilidade")).to_contain_text("De férias")

    carla = session("carla")
    page = carla.go(f"/fichas/{ficha.pk}/")
    start_triage(page, "Intimação", "Cliente quer fechar intimação pelo chat")
    expect(page.get_by_text("oferecido a Ana").first).to_be_visible()

    # Ana never takes it: the timer passes the client to the team, where nobody is free.
    run_timers_after(clock, dt.timedelta(minutes=settings.S8_OWNER_MINUTES + 1))
    status = page.locator("#triage-status")
    expect(status).to_contain_text(
        re.compile("aguardando um vendedor disponível", re.I), timeout=12_000
    )
    expect(status).to_contain_text("O gestor vê este cliente no painel")

    gabriel = session("gabriel")
    gabriel.go("/gestor/")
    waiting = card(gabriel.page, "Clientes aguardando vendedor")
    expect(waiting.get_by_role("link", name="Dra. Esperando Lima")).to_be_visible()
    expect(waiting).to_contain_text(re.compile("aguardando um vendedor disponível", re.I))
    expect(card(gabriel.page, "Equipe")).to_contain_text(re.compile(r"Bruno · De férias"))
    assert Triage.objects.get(ficha=ficha).state == Triage.State.OFFERED_TO_TEAM
    assert carla.console_errors == [] and bruno.console_errors == []
    assert gabriel.console_errors == []


def send_price(page, via, price):
    page.locator("summary", has_text="Enviar o preço").click()
    form = page.locator("#form-preco")
    form.get_by_label("Enviar o preço por").select_option(label=via)
    form.get_by_label("Preço informado").fill(price)
    form.get_by_role("button", name="Enviar preço").click()
    expect(page.get_by_text("Preço registrado.", exact=True)).to_be_visible()


def test_S8_2o_passo_price_by_chat_and_by_email(session, team, products, clock):
    ficha = make_ficha(name="Dra. Livre Costa", email="livre.costa@adv.br")
    carla = session("carla")

    # No live agendamento: the 2º passo; the price goes by chat and is logged on the ficha.
    page = carla.go(f"/fichas/{ficha.pk}/")
    start_triage(page, "Intimação", "Quer saber o valor mensal da intimação")
    expect(page.get_by_text("2º passo", exact=True)).to_be_visible()
    send_price(page, "Chat", "R$ 89,90 por mês por advogado")
    page.get_by_role("link", name="Dra. Livre Costa").click()
    expect(card(page, "Movimentações")).to_contain_text(
        "Preço informado pelo chat: R$ 89,90 por mês por advogado"
    )
    assert mail.outbox == []

    # Another contact: the price goes by e-mail, which opens a 2-business-day follow-up (S2).
    start_triage(page, "Pesquisa processual", "Quer o preço de pesquisas", channel="E-mail")
    send_price(page, "E-mail", "R$ 24,90 por pesquisa")
    due = add_business_days(clock.today(), 2)
    expect(page.locator("#triage-status")).to_contain_text(
        f"Preço enviado por e-mail. Agendamento de retorno até {due:%d/%m/%Y}"
    )
    page.get_by_role("link", name="Dra. Livre Costa").click()
    agendamentos = page.locator("#agendamentos")
    follow_up = agendamentos.locator("li", has_text="#venda/tratativas com contato")
    expect(follow_up).to_contain_text("Pesquisa processual")
    expect(follow_up).to_contain_text("Carla")
    expect(follow_up).to_contain_text(f"vence em 2 dias úteis ({due:%d/%m})")
    expect(follow_up.get_by_text("S2 reserva")).to_be_visible()

    assert [m.to for m in mail.outbox] == [["livre.costa@adv.br"]]
    assert "R$ 24,90 por pesquisa" in mail.outbox[0].body
    follow = Agendamento.objects.get(ficha=ficha)
    assert follow.owner == team["carla"] and follow.due_date == due
    assert carla.console_errors == []


def test_S5_hold_lifted_by_a_manager_exception(session, team, products, clock):
    ficha = make_ficha(name="Dra. Inativa Moura", email="inativa@adv.br")
    ficha_inactivate(ficha, actor=team["ana"], reason="Escritório pediu pausa no contrato")
    ficha_inactivation_answer(ficha, actor=team["ana"], answer="Não tenho interesse neste momento")
    clock.advance(dt.timedelta(days=3))  # inside the 15-day hold

    bruno = session("bruno")
    page = bruno.go(f"/fichas/{ficha.pk}/")
    intimacao = page.locator("tr", has_text="Intimação")
    expect(intimacao.get_by_text("passe para Ana")).to_be_visible()
    expect(intimacao.locator(".rule", has_text="S5")).to_be_visible()

    # Gabriel records an S5 exception, with its reason, on the ficha's history page.
    reason = "Ana está sobrecarregada; Bruno atende a recontratação deste cliente"
    gabriel = session("gabriel")
    manager_page = gabriel.go(f"/fichas/{ficha.pk}/")
    manager_page.get_by_role("link", name="Histórico", exact=True).click()
    overrides = manager_page.locator("#overrides")
    overrides.get_by_role("radio", name=re.compile("S5")).check()
    overrides.get_by_label("Justificativa (obrigatória)").fill(reason)
    overrides.get_by_role("button", name="Registrar exceção").click()
    expect(manager_page.locator("#overrides")).to_contain_text(reason)

    # Bruno reloads: he may sell now, and the why names the manager's exception (M1).
    page.reload()
    intimacao = page.locator("tr", has_text="Intimação")
    expect(intimacao.get_by_text("pode vender")).to_be_visible()
    intimacao.locator("summary").click()
    expect(intimacao.locator(".rule", has_text="M1")).to_be_visible()
    expect(intimacao).to_contain_text(reason)
    expect(card(page, "Exceções do gestor M1")).to_contain_text(reason)

    page.locator("summary", has_text="Registrar venda").click()
    sale_form = page.locator("#form-venda")
    sale_form.get_by_label("Produto").select_option(label="Intimação")
    sale_form.get_by_label("Canal").select_option(label="Telefone")
    sale_form.get_by_label("Confirmei os dados do cliente").check()
    sale_form.get_by_role("button", name="Registrar venda").click()
    expect(page.get_by_text("Venda registrada.", exact=True)).to_be_visible()
    assert Sale.objects.get(ficha=ficha).seller == team["bruno"]
    assert bruno.console_errors == [] and gabriel.console_errors == []


def polls_of(page, path):
    """The HTMX polls of `path` the page makes from now on."""
    seen = []
    page.on("request", lambda r: seen.append(r.url) if r.url.endswith(path) else None)
    return seen


def test_S2_agendamento_expires_while_its_page_is_open(session, team, products, clock):
    ficha = make_ficha(name="Dr. Prazo Curto")
    ag = reserve_for(team["ana"], ficha, products["intimacao"])
    ana = session("ana")
    ana.page.clock.install()  # the browser's timers, so the 60 s refresh fires on demand
    page = ana.go(f"/fichas/{ficha.pk}/")
    agendamentos = page.locator("#agendamentos")
    expect(agendamentos).to_contain_text(f"vence em 2 dias úteis ({ag.due_date:%d/%m})")
    expect(agendamentos.get_by_role("link", name="Concluir")).to_be_visible()
    expect(agendamentos.get_by_role("link", name=re.compile("Renovar"))).to_be_visible()

    # The next midnight after its due date the expiry timer fires (S2).
    until_expiry = expires_at(ag) - clock.now()
    assert run_timers_after(clock, until_expiry + dt.timedelta(seconds=30)) == 1
    polls = polls_of(page, f"/fichas/{ficha.pk}/agendamentos/")
    page.clock.fast_forward("01:01")  # the card's "every 60s" refresh
    expect(agendamentos).to_contain_text("Nenhum agendamento em aberto")
    expect(agendamentos.get_by_role("link", name="Concluir")).to_have_count(0)
    expect(agendamentos.get_by_role("link", name=re.compile("Renovar"))).to_have_count(0)
    assert len(polls) == 1
    # No longer reserved: Ana's own row says anyone may sell.
    page.reload()
    expect(page.locator("tr", has_text="Intimação").get_by_text("pode vender")).to_be_visible()

    ana.go("/")
    expired = card(page, "Expirados nos últimos 7 dias sem conclusão")
    expect(expired.get_by_role("link", name="Dr. Prazo Curto")).to_be_visible()
    expect(expired).to_contain_text(f"venceu {ag.due_date:%d/%m/%Y}")
    screenshot(page, "timers-s2-expired-on-inicio")
    assert Agendamento.objects.get(pk=ag.pk).state == Agendamento.State.EXPIRED
    assert ana.console_errors == []


def test_agendamentos_refresh_keeps_a_half_typed_form_and_both_actions_work(
    session, team, products, clock
):
    ficha = make_ficha(name="Dra. Meio Digitada")
    ag = reserve_for(team["ana"], ficha, products["intimacao"])
    ana = session("ana")
    ana.page.clock.install()
    page = ana.go(f"/fichas/{ficha.pk}/")
    # Report any HTMX target error (htmx also logs it to the console).
    page.evaluate(
        "window.targetErrors = [];"
        "document.body.addEventListener('htmx:targetError',"
        " e => window.targetErrors.push(e.detail.target))"
    )
    agendamentos = page.locator("#agendamentos")
    slot = page.locator(f"#ag-form-{ag.pk}")
    conclusion = "Cliente pediu para ligar de novo na sexta, vai confe"

    agendamentos.get_by_role("link", name="Concluir").click()
    slot.get_by_label(re.compile("O que você fez")).fill(conclusion)

    # A minute passes: the refresh skips a card with an open form ([!this.querySelector('form')]).
    polls = polls_of(page, f"/fichas/{ficha.pk}/agendamentos/")
    page.clock.fast_forward("01:01")
    page.wait_for_timeout(300)
    assert polls == []
    expect(slot.get_by_label(re.compile("O que você fez"))).to_have_value(conclusion)

    # The other action of the same card still opens its form in the same place.
    agendamentos.get_by_role("link", name=re.compile("Renovar")).click()
    renew_form = slot.locator(f"#form-ag-{ag.pk}")
    expect(renew_form.get_by_role("button", name="Confirmar")).to_be_visible()
    expect(slot.get_by_label(re.compile("O que você fez"))).to_have_count(0)
    # ...and back to Concluir, which works to the end.
    agendamentos.get_by_role("link", name="Concluir").click()
    form = slot.locator(f"#form-ag-{ag.pk}")
    form.get_by_label(re.compile("O que você fez")).fill("Cliente decidiu esperar o próximo mês")
    assert page.evaluate("window.targetErrors") == []
    form.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_text("Agendamento concluído.", exact=True)).to_be_visible()
    expect(page.locator("#agendamentos")).to_contain_text("Nenhum agendamento em aberto")
    assert Agendamento.objects.get(pk=ag.pk).state == Agendamento.State.CONCLUDED
    assert ana.console_errors == []
