"""The company calendar (S2/T6, issue 20), clicked in Chromium: the gestor closes a day in the
admin, and the next agendamento an agent opens on a ficha gets its deadline past that day and
past Tiradentes; the gestor opens an official holiday and the deadline counts it again."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.sales_fixtures import BITRIX, make_ficha
from workflows.models import Agendamento, CompanyHoliday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_agendamento_on_the_page(page, product="Intimação"):
    page.locator("summary", has_text="Abrir agendamento").click()
    form = page.locator("#form-agendamento")
    form.get_by_label("Tipo").select_option(label="#tratativas sem contato")
    form.get_by_label("Produto/serviço").select_option(label=product)
    form.get_by_label("Canal").select_option(label="Telefone")
    form.get_by_label("O que foi feito").fill("Liguei, não atendeu; tento de novo")
    form.get_by_label("Link do Bitrix (conversa, tarefa, negócio ou card)").fill(BITRIX)
    form.get_by_role("button", name="Abrir agendamento").click()
    expect(page.get_by_text("Agendamento aberto.")).to_be_visible()


def add_day_in_admin(page, base_url, day: dt.date, name: str, closed: bool):
    page.goto(f"{base_url}/admin/workflows/companyholiday/add/")
    page.get_by_label("Data").fill(day.strftime("%d/%m/%Y"))
    page.get_by_label("Nome").fill(name)
    closed_box = page.get_by_label(re.compile("fechad", re.I))
    if closed_box.is_checked() != closed:
        closed_box.click()
    page.get_by_role("button", name="Salvar", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("adicionado com sucesso")


def test_S2_deadline_follows_the_calendar_the_gestor_edits(session, make_user, products, clock):
    from workflows.roles import AGENT, MANAGER, SELLER

    make_user(AGENT, SELLER, username="ana", first_name="Ana")
    make_user(MANAGER, username="gabriel", first_name="Gabriel", is_staff=True, is_superuser=True)
    ficha = make_ficha(name="Dra. Calendário Reis")
    # Monday 19/04/2027 09:00; Wednesday 21/04 is Tiradentes.

    gabriel = session("gabriel")
    add_day_in_admin(
        gabriel.page, gabriel.base_url, dt.date(2027, 4, 20), "Recesso da empresa", closed=True
    )
    assert CompanyHoliday.objects.get(date=dt.date(2027, 4, 20)).closed

    ana = session("ana")
    page = ana.go(f"/fichas/{ficha.pk}/")
    open_agendamento_on_the_page(page)
    first = Agendamento.objects.get()
    # 2 business days after Monday, skipping the closed Tuesday and Tiradentes: Friday 23/04
    assert first.due_date == dt.date(2027, 4, 23)
    expect(page.locator("#agendamentos")).to_contain_text("23/04")
    screenshot(page, "calendar-deadline-skips-closed-days")

    # The gestor opens Tiradentes (the company works that day): it counts again.
    add_day_in_admin(
        gabriel.page, gabriel.base_url, dt.date(2027, 4, 21), "Tiradentes (expediente)", False
    )
    other = make_ficha(name="Dr. Expediente Lima")
    page = ana.go(f"/fichas/{other.pk}/")
    open_agendamento_on_the_page(page)
    second = Agendamento.objects.get(ficha=other)
    # Tuesday still closed, Wednesday open again: Thursday 22/04
    assert second.due_date == dt.date(2027, 4, 22)
    expect(page.locator("#agendamentos")).to_contain_text("22/04")
    assert ana.console_errors == [] and gabriel.console_errors == []
