"""G8 discounts: per item (% or R$) and on the whole quote (% or R$), exact to the centavo,
spread without losing the remainder; S7's "no discount" on every kind; one e-mail on accept."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from model_bakery import baker
from pypdf import PdfReader

from tests.sales_fixtures import BITRIX
from workflows.engine import transition
from workflows.models import Boleto, Orcamento, Product, Sale
from workflows.models.orcamento import spread
from workflows.orcamento import (
    orcamento_accept,
    orcamento_create,
    orcamento_item_set,
    orcamento_send,
    orcamento_step,
    render_orcamento_html,
)
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, SELLER

D = Decimal
HX = {"HX-Request": "true"}


@pytest.fixture
def ana(make_user):
    return make_user(AGENT, SELLER, username="ana", first_name="Ana", last_name="Souza")


@pytest.fixture
def client_ficha(ficha):
    ficha.email = "escritorio@adv.br"
    ficha.save()
    return ficha


@pytest.fixture
def quote(client_ficha, ana, clock):
    return orcamento_create(client_ficha, author=ana, demand="Escritório quer monitorar tudo")


@pytest.fixture
def thirds(db):
    """Three products of R$ 33,33: 10 % of R$ 99,99 is R$ 10,00, not divisible by three."""
    return [
        Product.objects.create(code=f"p{i}", name=f"Serviço {i}", unit_price=D("33.33"))
        for i in range(3)
    ]


def priced(orc, actor, **discount):
    orc = orcamento_step(orc, "define_products", actor=actor)
    return orcamento_step(orc, "set_prices", actor=actor, **discount)


def login(user):
    client = Client()
    client.force_login(user)
    return client


def test_G8_spread_gives_the_left_over_centavos_to_the_largest_losses():
    # exact shares 1,938…, 0,536…, 7,524…: rounded down 9,98; 2 centavos left go to the
    # two shares that lost most (1,93 → 1,94 and 0,53 → 0,54).
    assert spread(D("10.00"), [D("89.90"), D("24.90"), D("349.00")]) == [
        D("1.94"),
        D("0.54"),
        D("7.52"),
    ]
    assert spread(D("10.00"), [D("33.33")] * 3) == [D("3.34"), D("3.33"), D("3.33")]  # tie
    assert spread(D("5.00"), [D("3.00"), D("0.00")]) == [D("3.00"), D("0.00")]  # capped
    assert spread(D("0"), [D("1.00")]) == [D("0.00")]


def test_G8_item_percentages_round_half_up_to_the_centavo(quote, ana, products):
    # 3 × 89,90 = 269,70 × 12,5 % = 33,7125 → 33,71; 7 × 24,90 = 174,30 × 15 % = 26,145 → 26,15
    # (half up; banker's rounding would give 26,14).
    orcamento_item_set(
        quote, actor=ana, product=products["intimacao"], quantity=3, discount_percent="12.5"
    )
    orcamento_item_set(
        quote, actor=ana, product=products["pesquisa"], quantity=7, discount_percent=15
    )
    pricing = quote.pricing()
    assert [line.item_discount for line in pricing.lines] == [D("33.71"), D("26.15")]
    assert pricing.total == D("384.14")
    stored = list(quote.items.values_list("discount_percent", "discount"))
    assert stored == [(D("12.50"), D("33.71")), (D("15.00"), D("26.15"))]


def test_G8_quote_percentage_spread_keeps_the_remainder(quote, ana, thirds):
    for product in thirds:
        orcamento_item_set(quote, actor=ana, product=product, quantity=1)
    orc = priced(quote, ana, discount_percent=D("10"))
    pricing = orc.pricing()
    assert (pricing.subtotal, pricing.discount, pricing.total) == (
        D("99.99"),
        D("10.00"),  # 9,999 half up
        D("89.99"),
    )
    assert [line.quote_discount for line in pricing.lines] == [D("3.34"), D("3.33"), D("3.33")]
    assert sum(line.total for line in pricing.lines) == pricing.total
    assert list(orc.items.values_list("quote_discount", flat=True)) == [
        D("3.34"),
        D("3.33"),
        D("3.33"),
    ]


def test_G8_quote_amount_with_item_discounts_sums_to_the_total(quote, ana, products):
    orcamento_item_set(quote, actor=ana, product=products["intimacao"], quantity=1)
    orcamento_item_set(
        quote, actor=ana, product=products["pesquisa"], quantity=1, discount=D("4.90")
    )
    orcamento_item_set(
        quote, actor=ana, product=products["integra"], quantity=1, discount_percent=10
    )
    orc = priced(quote, ana, discount_amount=D("10.00"))
    pricing = orc.pricing()
    # items after their own discounts: 89,90 + 20,00 + 314,10 = 424,00
    assert pricing.subtotal == D("424.00")
    assert [line.quote_discount for line in pricing.lines] == [D("2.12"), D("0.47"), D("7.41")]
    assert [line.total for line in pricing.lines] == [D("87.78"), D("19.53"), D("306.69")]
    assert pricing.total == D("414.00") == sum(line.total for line in pricing.lines)


def test_G8_accepting_a_three_item_quote_sends_one_email_and_sales_match_the_quote(
    quote, ana, thirds, clock, django_capture_on_commit_callbacks
):
    for product in thirds:
        orcamento_item_set(quote, actor=ana, product=product, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        orc = orcamento_send(priced(quote, ana, discount_percent=10), actor=ana, bitrix_link=BITRIX)
    assert "R$ 89,99" in mail.outbox[0].body
    mail.outbox.clear()
    Product.objects.filter(pk=thirds[0].pk).update(unit_price=D("50.00"))  # the quote is frozen
    with django_capture_on_commit_callbacks(execute=True):
        sales = orcamento_accept(orc, actor=ana, data_confirmed=True)
    assert len(sales) == 3
    (message,) = mail.outbox
    assert message.to == ["escritorio@adv.br"]
    assert message.body.count("Produto:") == 3 and "Total: R$ 89,99" in message.body
    assert orc.number in message.subject
    assert [(s.unit_price, s.discount, s.total) for s in sales] == [
        (D("33.33"), D("3.34"), D("29.99")),
        (D("33.33"), D("3.33"), D("30.00")),
        (D("33.33"), D("3.33"), D("30.00")),
    ]
    sale_texts = sales[0].ficha.movimentacoes.filter(reason="sale").values_list("text", flat=True)
    assert any("total R$ 29,99)" in text for text in sale_texts)


def test_G8_a_discount_in_percent_and_in_reais_at_once_is_refused(quote, ana, products):
    with pytest.raises(TransitionRefused, match="não os dois") as refused:
        orcamento_item_set(
            quote,
            actor=ana,
            product=products["intimacao"],
            quantity=1,
            discount=D("5"),
            discount_percent=D("5"),
        )
    assert refused.value.problems[0].field == "discount_percent"
    assert not quote.items.exists()


@pytest.mark.parametrize(
    "discount, field, message",
    [
        ({"discount_percent": D("100.01")}, "discount_percent", "0 a 100"),
        ({"discount_amount": D("89.91")}, "discount_amount", "passar do valor dos itens"),
        ({"discount_amount": D("-1")}, "discount_amount", "negativo"),
    ],
)
def test_G8_bad_quote_discounts_are_refused_and_change_nothing(
    quote, ana, products, discount, field, message
):
    orcamento_item_set(quote, actor=ana, product=products["intimacao"], quantity=1)
    orc = orcamento_step(quote, "define_products", actor=ana)
    with pytest.raises(TransitionRefused, match=message) as refused:
        orcamento_step(orc, "set_prices", actor=ana, **discount)
    assert refused.value.problems[0].field == field
    orc.refresh_from_db()
    assert (orc.state, orc.discount_percent, orc.discount_amount) == ("products_defined", None, 0)


@pytest.fixture
def waived_recontract(client_ficha, clock):
    """An automatically inactivated ficha whose only debt is older than a year (S7: waived)."""
    transition(client_ficha, "inactivate_automatically", actor=None, reason="inadimplência")
    baker.make(Boleto, ficha=client_ficha, amount=D("99"), due_date=dt.date(2025, 1, 10))
    return client_ficha


@pytest.mark.parametrize(
    "item_discount, quote_discount",
    [
        ({"discount_percent": D("10")}, {}),
        ({"discount": D("5")}, {}),
        ({}, {"discount_percent": D("10")}),
        ({}, {"discount_amount": D("5")}),
    ],
    ids=["item-percent", "item-amount", "quote-percent", "quote-amount"],
)
def test_S7_every_kind_of_discount_refused_on_waived_debt_recontract(
    waived_recontract, ana, products, item_discount, quote_discount
):
    orc = orcamento_create(waived_recontract, author=ana, demand="Quer voltar com intimação")
    orcamento_item_set(orc, actor=ana, product=products["intimacao"], quantity=1, **item_discount)
    orc = orcamento_step(orc, "define_products", actor=ana)
    with pytest.raises(TransitionRefused) as refused:
        orcamento_step(orc, "set_prices", actor=ana, **quote_discount)
    assert refused.value.rule_ids == ("S7", "G8")
    orc.refresh_from_db()
    assert (orc.state, orc.discount_percent, orc.discount_amount) == ("products_defined", None, 0)


def test_S7_campaign_quote_keeps_its_discounts(waived_recontract, ana, products):
    orc = orcamento_create(
        waived_recontract, author=ana, demand="Voltou pela campanha", from_campaign=True
    )
    orcamento_item_set(
        orc, actor=ana, product=products["intimacao"], quantity=1, discount_percent=10
    )
    orc = priced(orc, ana, discount_amount=D("5"))
    assert (orc.state, orc.pricing().total) == ("priced", D("75.91"))  # 89,90 − 8,99 − 5,00


def test_S7_quote_discount_share_is_refused_again_at_acceptance(client_ficha, ana, products, clock):
    """Priced while active; the ficha is then inactivated with old debt: the sale of each
    item carries its share of the quote's discount, and S7 refuses it."""
    orc = orcamento_create(client_ficha, author=ana, demand="Escritório quer intimação")
    orcamento_item_set(orc, actor=ana, product=products["intimacao"], quantity=1)
    orc = orcamento_send(priced(orc, ana, discount_percent=10), actor=ana, bitrix_link=BITRIX)
    transition(client_ficha, "inactivate_automatically", actor=None, reason="inadimplência")
    baker.make(Boleto, ficha=client_ficha, amount=D("99"), due_date=dt.date(2025, 1, 10))
    with pytest.raises(TransitionRefused) as refused:
        orcamento_accept(orc, actor=ana, data_confirmed=True)
    assert "S7" in refused.value.rule_ids
    assert not Sale.objects.exists()
    assert Orcamento.objects.get(pk=orc.pk).state == "sent"


def test_G8_discounts_on_the_page_the_document_and_the_pdf(quote, ana, products, clock):
    client = login(ana)
    item_url = reverse("orcamento_item", args=[quote.pk])
    posted = client.post(
        item_url,
        {"product": products["integra"].pk, "quantity": "10", "discount": "1.234,56"},
        headers=HX,
    )
    assert posted.status_code == 200, posted.content.decode()
    client.post(
        item_url,
        {"product": products["intimacao"].pk, "quantity": "3", "discount_percent": "12,5"},
        headers=HX,
    )
    assert list(quote.items.values_list("discount", flat=True)) == [D("1234.56"), D("33.71")]
    client.post(reverse("orcamento_step", args=[quote.pk, "define_products"]), headers=HX)
    prices = client.post(
        reverse("orcamento_step", args=[quote.pk, "set_prices"]),
        {"discount_percent": "10"},
        headers=HX,
    )
    assert prices.status_code == 200
    # 3.490,00 − 1.234,56 = 2.255,44; 269,70 − 33,71 = 235,99; subtotal 2.491,43;
    # 10 % = 249,143 → 249,14; total 2.242,29.
    page = client.get(reverse("orcamento_detail", args=[quote.pk])).content.decode()
    document = client.get(reverse("orcamento_document", args=[quote.pk])).content.decode()
    assert document == render_orcamento_html(Orcamento.objects.get(pk=quote.pk))
    for html in (page, document):
        assert "12,5% · R$ 33,71" in html
        assert "R$ 1.234,56" in html
        assert "Desconto no orçamento (10% · R$ 249,14)" in html
        assert "R$ 2.491,43" in html and "R$ 2.242,29" in html
    pdf = client.get(reverse("orcamento_pdf", args=[quote.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    text = " ".join(text.split())  # the PDF's line breaks are not the HTML's
    for figure in ("12,5% · R$ 33,71", "R$ 1.234,56", "R$ 249,14", "R$ 2.242,29"):
        assert figure in text, figure


@pytest.mark.parametrize(
    "typed, field, message",
    [
        ({"discount": "12.34,5"}, "discount", "lido de dois jeitos"),
        ({"quantity": "3,5"}, "quantity", "inteiro"),
        ({"discount_percent": "5", "discount": "5"}, "discount_percent", "não os dois"),
        ({"discount_percent": "101"}, "discount_percent", "100%"),
    ],
)
def test_G8_item_form_refuses_bad_numbers_on_the_field_keeping_what_was_typed(
    quote, ana, products, typed, field, message
):
    data = {"product": products["intimacao"].pk, "quantity": "1", **typed}
    response = login(ana).post(reverse("orcamento_item", args=[quote.pk]), data, headers=HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert f'value="{typed[field]}"' in html
    assert not quote.items.exists()


def test_G8_prices_form_shows_the_current_quote_discount(quote, ana, products, clock):
    orcamento_item_set(quote, actor=ana, product=products["intimacao"], quantity=1)
    orc = priced(quote, ana, discount_percent=D("7.5"))
    orcamento_step(orc, "back_to_products", actor=ana)
    page = login(ana).get(reverse("orcamento_detail", args=[quote.pk])).content.decode()
    assert 'id="form-valores"' in page and 'value="7,5"' in page
