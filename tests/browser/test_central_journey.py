"""The central team's journey, clicked in headless Chromium (issue 7: 3)."""

import datetime as dt
import re

import pytest
from model_bakery import baker
from playwright.sync_api import expect

from onboarding.models import DuplicateCase
from tests.browser.conftest import screenshot
from tests.onboarding_fixtures import register
from tests.sales_fixtures import BITRIX
from workflows.models import Boleto, Ficha
from workflows.movimentacoes import movimentacao_log
from workflows.roles import AGENT, CENTRAL, SELLER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rows_of(ficha):
    return {"movimentacoes": ficha.movimentacoes.count(), "boletos": ficha.boletos.count()}


def test_journey_central_merges_a_duplicate_G7(session, make_user, clock):
    make_user(CENTRAL, AGENT, username="elisa", first_name="Elisa")
    ana = make_user(AGENT, SELLER, username="ana", first_name="Ana")
    old = register(name="Dra. Ana Souza", email="ana@adv.com.br", phone="(11) 3456-7890")
    new = register(name="Ana Souza", email="ANA@adv.com.br", phone="(11) 98765-1234")
    case = DuplicateCase.objects.get()  # detected on registration: the same e-mail (any case)
    movimentacao_log(
        new,
        author=ana,
        channel="phone",
        reason="offer",
        outcome="talked",
        text="Ofereci intimação na ficha nova",
        bitrix_link=BITRIX,
        boleto_alert_given=True,
    )
    baker.make(Boleto, ficha=new, amount=89, due_date=dt.date(2027, 5, 10), _quantity=2)
    baker.make(Boleto, ficha=old, amount=89, due_date=dt.date(2027, 5, 10))

    elisa = session("elisa")
    page = elisa.go("/cadastros/duplicidades/")
    page.get_by_role("link", name=f"#{case.pk}", exact=True).click()
    page.wait_for_url(re.compile(rf".*/duplicidades/{case.pk}/$"))
    expect(page.get_by_role("heading", name="Lado a lado")).to_be_visible()

    # 1. Tell the client (a movimentação on the newer ficha).
    form = page.locator("form", has=page.get_by_role("button", name="Registrar contato"))
    form.get_by_label("Canal").select_option(label="Telefone")
    form.get_by_label("O que foi feito").fill("Expliquei que ela tem duas fichas no cadastro")
    form.get_by_label("Link do Bitrix (conversa, tarefa, negócio ou card)").fill(BITRIX)
    form.get_by_label("Avisei o cliente dos boletos em aberto").check()
    form.get_by_role("button", name="Registrar contato").click()
    expect(page.get_by_text("Movimentação registrada.")).to_be_visible()

    # 2. Which ficha the client keeps.
    page.get_by_label(f"Ficha {old.pk}: Dra. Ana Souza").check()
    page.get_by_label("Resposta do cliente").fill("Quer manter a ficha antiga")
    page.get_by_role("button", name="Registrar a escolha").click()
    expect(page.get_by_text("Ficha escolhida registrada.")).to_be_visible()
    expect(page.get_by_role("heading", name=f"3. Unificar na ficha {old.pk}")).to_be_visible()

    # 3. Merge, choosing field by field: the kept name, the newer e-mail and phone.
    before_old, before_new = rows_of(old), rows_of(new)
    assert before_new == {"movimentacoes": 2, "boletos": 2}  # the offer + the G7 contact
    merge = page.locator("form", has=page.get_by_role("button", name="Unificar fichas"))
    expect(merge.get_by_label("Dra. Ana Souza", exact=True)).to_be_checked()
    merge.get_by_label("ANA@adv.com.br", exact=True).check()
    merge.get_by_label("(11) 98765-1234", exact=True).check()
    screenshot(page, "journey3-central-merge-choices")
    merge.get_by_role("button", name="Unificar fichas").click()
    expect(page.get_by_text("Fichas unificadas (G7).")).to_be_visible()
    expect(page.get_by_role("heading", name="Registros movidos")).to_be_visible()
    screenshot(page, "journey3-central-merged")

    new.refresh_from_db()
    old.refresh_from_db()
    assert (new.status, new.merged_into) == (Ficha.Status.MERGED, old)
    assert (old.name, old.email, old.phone) == (
        "Dra. Ana Souza",
        "ANA@adv.com.br",
        "(11) 98765-1234",
    )
    assert rows_of(old) == {k: before_old[k] + before_new[k] for k in before_old}
    assert rows_of(new) == {"movimentacoes": 0, "boletos": 0}
    assert DuplicateCase.objects.get().state == DuplicateCase.State.MERGED

    # The merged ficha's old link lands on the kept one and says why.
    elisa.go(f"/fichas/{new.pk}/")
    page.wait_for_url(re.compile(rf".*/fichas/{old.pk}/$"))
    expect(page.locator("#messages")).to_contain_text(
        f"A ficha nº {new.pk} (Ana Souza) foi unificada"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Dra. Ana Souza")
    assert elisa.console_errors == []
