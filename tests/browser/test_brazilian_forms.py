"""Brazilian data as the users type it (issue 20), clicked in Chromium: a registration with a
wrong CNPJ, an impossible phone and a short CEP is refused field by field and keeps what was
typed; fixed, the ficha shows them formatted. An orçamento takes discounts typed the pt-BR way
and refuses an ambiguous amount on its field."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.sales_fixtures import make_ficha
from workflows.models import Ficha, Orcamento

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The alphanumeric CNPJ of the Receita's published example (check digits 35).
ALPHANUMERIC_CNPJ = "12.ABC.345/01DE-35"


def field_error(form, label, exact=False):
    """The pt-BR message shown right after the field labelled `label`."""
    field = form.get_by_label(label, exact=exact)
    return field.locator("xpath=following-sibling::p[contains(@class, 'field-error')][1]")


@pytest.mark.parametrize("width", [1280, 390])
def test_journey_registration_refuses_bad_documents_phones_and_ceps_on_their_fields(
    session, team, clock, width
):
    ana = session("ana", width=width)
    page = ana.go("/cadastros/novo/")
    form = page.locator("#form-cadastro")
    form.get_by_label("Nome do titular").fill("Escritório Alfanumérico Ltda")
    form.get_by_label("CPF/CNPJ").fill("12.ABC.345/01DE-00")  # wrong check digits
    form.get_by_label("E-mail do administrador").fill("contato@alfa.adv.br")
    form.get_by_label("Telefone (com DDD)").fill("(23) 98765-4321")  # DDD 23 does not exist
    form.get_by_label("Endereço (logradouro, número e complemento)").fill("Av. Paulista, 1000")
    form.get_by_label("Cidade", exact=True).fill("São Paulo")
    form.get_by_label("UF", exact=True).select_option("SP")
    form.get_by_label("CEP", exact=True).fill("0131-100")  # seven digits
    form.get_by_role("button", name="Cadastrar").click()

    expect(page.get_by_role("alert").first).to_contain_text("Corrija os campos indicados")
    # the two fields the registration cannot go without are marked
    expect(form.locator("label", has=page.locator(".required"))).to_have_count(2)
    expect(field_error(form, "CPF/CNPJ")).to_be_visible()
    expect(field_error(form, "Telefone (com DDD)")).to_be_visible()
    expect(field_error(form, "CEP", exact=True)).to_be_visible()
    # every problem at once, and nothing typed is lost
    expect(form.get_by_label("Nome do titular")).to_have_value("Escritório Alfanumérico Ltda")
    expect(form.get_by_label("Endereço (logradouro, número e complemento)")).to_have_value(
        "Av. Paulista, 1000"
    )
    expect(form.get_by_label("CEP", exact=True)).to_have_value("0131-100")
    assert not Ficha.objects.filter(name="Escritório Alfanumérico Ltda").exists()
    screenshot(page, f"brazilian-data-refused-{width}")

    form.get_by_label("CPF/CNPJ").fill(ALPHANUMERIC_CNPJ.lower())
    form.get_by_label("Telefone (com DDD)").fill("11 98765 4321")
    form.get_by_label("CEP", exact=True).fill("01310100")
    form.get_by_role("button", name="Cadastrar").click()
    page.wait_for_url(re.compile(r".*/fichas/\d+/$"))

    expect(page.get_by_text("Ficha cadastrada.")).to_be_visible()
    header = page.locator("main p.muted").first
    expect(header).to_contain_text(ALPHANUMERIC_CNPJ)
    expect(header).to_contain_text("(11) 98765-4321")
    expect(page.locator("main")).to_contain_text("01310-100")
    ficha = Ficha.objects.get(name="Escritório Alfanumérico Ltda")
    assert ficha.phone == "+5511987654321"
    assert ficha.cep == "01310100"
    assert ana.console_errors == []


def test_journey_orcamento_discounts_typed_the_brazilian_way_G8(session, team, products, clock):
    ficha = make_ficha(name="Dra. Desconto Lima", email="desconto@adv.br")
    orcamento = Orcamento.objects.create(
        ficha=ficha, author=team["ana"], demand="Três advogados querem intimações"
    )
    ana = session("ana")
    page = ana.go(f"/orcamentos/{orcamento.pk}/")
    item = page.locator("#form-item")
    item.get_by_label("Produto").select_option(label="Intimação")
    item.get_by_label("Quantidade (advogados, estados, beneficiários, pesquisas…)").fill("3")
    item.get_by_label("Desconto no item (%)").fill("150")
    item.get_by_role("button", name="Incluir").click()
    # refused on its field, the quantity kept
    expect(page.locator("#form-item .field-error, #form-item .errorlist").first).to_be_visible()
    expect(
        page.locator("#form-item").get_by_label(
            "Quantidade (advogados, estados, beneficiários, pesquisas…)"
        )
    ).to_have_value("3")
    assert not orcamento.items.exists()

    item = page.locator("#form-item")
    item.get_by_label("Desconto no item (%)").fill("10,5")
    item.get_by_role("button", name="Incluir").click()
    expect(page.get_by_text("Item salvo.")).to_be_visible()
    # 3 × R$ 89,90 = R$ 269,70; 10,5 % of it is R$ 28,32 (half up): R$ 241,38
    expect(page.locator("tfoot")).to_contain_text("R$ 241,38")

    page.get_by_role("button", name="Definir os produtos").click()
    prices = page.locator("#form-valores")
    prices.get_by_label("ou desconto no orçamento (R$)").fill("1.234")  # mil or 1,234?
    prices.get_by_role("button", name="Definir os valores").click()
    expect(
        page.locator("#form-valores .field-error, #form-valores .errorlist").first
    ).to_be_visible()
    orcamento.refresh_from_db()
    assert orcamento.discount_amount == 0 and orcamento.state == "products_defined"

    prices = page.locator("#form-valores")
    prices.get_by_label("ou desconto no orçamento (R$)").fill("11,38")
    prices.get_by_role("button", name="Definir os valores").click()
    expect(page.locator(".stepper [aria-current=step]")).to_have_text("Valores definidos")
    expect(page.locator("tfoot")).to_contain_text("Subtotal")
    expect(page.locator("tfoot")).to_contain_text("R$ 230,00")
    screenshot(page, "orcamento-discounts")
    assert ana.console_errors == []
