"""G8: the consultative orçamento, its quote document and e-mail."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from model_bakery import baker

from tests.sales_fixtures import BITRIX
from workflows import timers
from workflows.engine import transition
from workflows.formatting import brl
from workflows.models import Agendamento, AuditEntry, Boleto, Orcamento, Sale
from workflows.orcamento import (
    orcamento_accept,
    orcamento_create,
    orcamento_item_remove,
    orcamento_item_set,
    orcamento_reject,
    orcamento_send,
    orcamento_step,
    render_orcamento_html,
    render_orcamento_pdf,
)
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, SELLER

D = dt.date


@pytest.fixture
def ana(make_user):
    return make_user(AGENT, SELLER, username="ana", first_name="Ana", last_name="Souza")


@pytest.fixture
def client_ficha(ficha):
    ficha.email = "escritorio@adv.br"
    ficha.save()
    return ficha


@pytest.fixture
def orcamento(client_ficha, ana, products, clock):
    orc = orcamento_create(
        client_ficha, author=ana, demand="Escritório com 3 advogados em SP e RJ quer monitorar"
    )
    orcamento_item_set(orc, actor=ana, product=products["intimacao"], quantity=3)
    orcamento_item_set(
        orc, actor=ana, product=products["pesquisa"], quantity=7, discount=Decimal("4.30")
    )
    return orc


def priced(orc, actor):
    orc = orcamento_step(orc, "define_products", actor=actor)
    return orcamento_step(orc, "set_prices", actor=actor)


def test_G8_brl_formatting_is_exact_to_the_centavo():
    assert brl(Decimal("1234.56")) == "R$ 1.234,56"
    assert brl(Decimal("0.005")) == "R$ 0,01"
    assert brl(Decimal("1234567.8")) == "R$ 1.234.567,80"
    assert brl(0) == "R$ 0,00"


def test_G8_totals_are_exact(orcamento):
    # 3 × 89,90 = 269,70; 7 × 24,90 = 174,30 − 4,30 = 170,00
    assert orcamento.total == Decimal("439.70")
    html = render_orcamento_html(orcamento)
    assert "R$ 269,70" in html and "R$ 170,00" in html and "R$ 439,70" in html


def test_G8_steps_forward_and_back_before_sending(orcamento, ana, products):
    orc = orcamento_step(orcamento, "define_products", actor=ana)
    orc = orcamento_step(orc, "back_to_analysis", actor=ana)
    assert orc.state == "analysing"
    orc = priced(orc, ana)
    assert orc.state == "priced"
    assert {i.unit_price for i in orc.items.all()} == {Decimal("89.90"), Decimal("24.90")}
    with pytest.raises(TransitionRefused, match="volte um passo"):
        orcamento_item_set(orc, actor=ana, product=products["integra"], quantity=1)
    orc = orcamento_step(orc, "back_to_products", actor=ana)
    assert set(orc.items.values_list("unit_price", flat=True)) == {None}
    orcamento_item_set(orc, actor=ana, product=products["integra"], quantity=1)
    assert orc.items.count() == 3


def test_G8_no_products_no_definition(client_ficha, ana):
    orc = orcamento_create(client_ficha, author=ana, demand="Cliente quer entender planos")
    with pytest.raises(TransitionRefused) as refused:
        orcamento_step(orc, "define_products", actor=ana)
    assert refused.value.rule_ids == ("G8",)


def test_G8_send_emails_the_pdf_and_opens_the_follow_up(
    orcamento, ana, clock, django_capture_on_commit_callbacks
):
    orc = priced(orcamento, ana)
    with django_capture_on_commit_callbacks(execute=True):
        orc = orcamento_send(orc, actor=ana, bitrix_link=BITRIX)
    assert (orc.state, orc.valid_until) == ("sent", D(2027, 5, 4))
    (message,) = mail.outbox
    assert message.to == ["escritorio@adv.br"]
    assert "R$ 439,70" in message.body
    name, pdf, mimetype = message.attachments[0]
    assert (name, mimetype) == (f"{orc.number}.pdf", "application/pdf")
    assert pdf.startswith(b"%PDF")
    follow_up = orc.follow_up
    assert (follow_up.kind, follow_up.owner, follow_up.due_date) == (
        "venda_com_contato",
        ana,
        D(2027, 4, 22),
    )
    assert follow_up.product.code == "intimacao"  # the largest item


def test_G8_illegal_back_step_after_sending_is_refused_with_rule(orcamento, ana, clock):
    orc = orcamento_send(priced(orcamento, ana), actor=ana, bitrix_link=BITRIX)
    for event in ("back_to_products", "back_to_analysis", "set_prices"):
        with pytest.raises(TransitionRefused) as refused:
            orcamento_step(orc, event, actor=ana)
        assert refused.value.rule_ids == ("G8",)
    assert Orcamento.objects.get(pk=orc.pk).state == "sent"


def test_G8_accepted_items_become_sales_and_clear_the_agendamento(orcamento, ana, clock):
    orc = orcamento_send(priced(orcamento, ana), actor=ana, bitrix_link=BITRIX)
    sales = orcamento_accept(orc, actor=ana, data_confirmed=True)
    assert sorted((s.product.code, s.quantity, s.total) for s in sales) == [
        ("intimacao", 3, Decimal("269.70")),
        ("pesquisa", 7, Decimal("170.00")),
    ]
    assert Agendamento.objects.get(pk=orc.follow_up_id).state == "concluded"  # S4
    assert Orcamento.objects.get(pk=orc.pk).state == "accepted"
    clock.advance(dt.timedelta(days=30))
    assert timers.sweep() == 0  # validity timer disarmed


def test_G8_rejection_needs_a_reason(orcamento, ana, clock):
    orc = orcamento_send(priced(orcamento, ana), actor=ana, bitrix_link=BITRIX)
    with pytest.raises(TransitionRefused, match="Escolha o motivo") as refused:
        orcamento_reject(orc, actor=ana, kind="", details="Achou caro")
    assert refused.value.field == "kind"
    with pytest.raises(TransitionRefused, match="Descreva o motivo") as refused:
        orcamento_reject(orc, actor=ana, kind=Orcamento.RejectionKind.OTHER, details=" … ")
    assert refused.value.field == "details"
    assert Orcamento.objects.get(pk=orc.pk).state == "sent"  # nothing changed
    orc = orcamento_reject(
        orc, actor=ana, kind=Orcamento.RejectionKind.PRICE, details=" Achou caro "
    )
    saved = Orcamento.objects.get(pk=orc.pk)
    assert (saved.state, saved.rejection_kind, saved.rejection_reason) == (
        "rejected",
        "price",
        "Achou caro",
    )
    assert saved.decided_at == clock.now()
    audit = AuditEntry.objects.get(object_id=str(orc.pk), event="reject")
    assert audit.reason == "Preço: Achou caro"
    assert Agendamento.objects.get(pk=orc.follow_up_id).state == "concluded"
    assert not Sale.objects.exists()


def test_G8_rejection_reason_without_details(orcamento, ana, clock):
    orc = orcamento_send(priced(orcamento, ana), actor=ana, bitrix_link=BITRIX)
    orc = orcamento_reject(orc, actor=ana, kind=Orcamento.RejectionKind.COMPETITOR)
    saved = Orcamento.objects.get(pk=orc.pk)
    assert (saved.rejection_kind, saved.rejection_reason) == ("competitor", "")


def test_G8_reject_form_shows_errors_on_the_field_keeping_what_was_typed(
    client, orcamento, ana, clock
):
    orc = orcamento_send(priced(orcamento, ana), actor=ana, bitrix_link=BITRIX)
    client.force_login(ana)
    url = reverse("orcamento_reject", args=[orc.pk])
    page = client.get(reverse("orcamento_detail", args=[orc.pk])).content.decode()
    assert "Motivo da recusa" in page and "Escolheu um concorrente" in page
    response = client.post(url, {"kind": "", "details": "ligou e recusou"})
    assert response.status_code == 422
    assert response.context["form"].errors["kind"] == ["Escolha o motivo da recusa. (G8)"]
    assert "ligou e recusou" in response.content.decode()
    response = client.post(url, {"kind": "no-such-reason", "details": ""})
    assert response.status_code == 422 and "kind" in response.context["form"].errors
    response = client.post(url, {"kind": "other", "details": "   "})
    assert response.status_code == 422
    assert response.context["form"].errors["details"] == ["Descreva o motivo da recusa. (G8)"]
    assert Orcamento.objects.get(pk=orc.pk).state == "sent"
    response = client.post(url, {"kind": "other", "details": "O sócio desistiu do plano"})
    assert response.status_code in (302, 303)
    saved = Orcamento.objects.get(pk=orc.pk)
    assert (saved.rejection_kind, saved.rejection_reason) == ("other", "O sócio desistiu do plano")
    page = client.get(reverse("orcamento_detail", args=[orc.pk])).content.decode()
    assert "Recusado: Outro — O sócio desistiu do plano" in page


def test_G8_sent_quote_expires_by_timer_after_its_validity(orcamento, ana, clock):
    orc = orcamento_send(priced(orcamento, ana), actor=ana, bitrix_link=BITRIX)
    clock.freeze(dt.datetime(2027, 5, 4, 23, 59, tzinfo=clock.now().tzinfo))
    timers.sweep()
    assert Orcamento.objects.get(pk=orc.pk).state == "sent"
    clock.advance(dt.timedelta(minutes=2))
    timers.sweep()
    assert Orcamento.objects.get(pk=orc.pk).state == "expired"


@pytest.mark.parametrize(
    "quantity, discount, message",
    [(0, "0", "quantidade mínima"), (1, "-1", "negativo"), (1, "90.00", "passar do valor")],
)
def test_G8_bad_items_are_refused_and_change_nothing(
    client_ficha, ana, products, quantity, discount, message
):
    orc = orcamento_create(client_ficha, author=ana, demand="Cliente quer intimação")
    with pytest.raises(TransitionRefused, match=message):
        orcamento_item_set(
            orc,
            actor=ana,
            product=products["intimacao"],
            quantity=quantity,
            discount=Decimal(discount),
        )
    assert not orc.items.exists()


def test_G8_placeholder_demand_is_refused(client_ficha, ana):
    with pytest.raises(TransitionRefused) as refused:
        orcamento_create(client_ficha, author=ana, demand="[...]")
    assert refused.value.rule_ids == ("G8",)
    assert not Orcamento.objects.exists()


def test_G8_only_the_author_or_a_manager_works_the_quote(orcamento, make_user, products):
    other = make_user(AGENT, SELLER)
    with pytest.raises(TransitionRefused, match="outro atendente"):
        orcamento_item_set(orcamento, actor=other, product=products["integra"], quantity=1)
    with pytest.raises(TransitionRefused):
        orcamento_item_remove(orcamento, actor=other, item_id=orcamento.items.first().pk)
    assert orcamento.items.count() == 2


def test_G8_quote_without_client_email_cannot_be_sent(ficha, ana, products, clock):
    orc = orcamento_create(ficha, author=ana, demand="Cliente quer intimação")
    orcamento_item_set(orc, actor=ana, product=products["intimacao"], quantity=1)
    with pytest.raises(TransitionRefused, match="e-mail"):
        orcamento_send(priced(orc, ana), actor=ana, bitrix_link=BITRIX)
    assert Orcamento.objects.get(pk=orc.pk).state == "priced"


def test_S7_quote_discount_refused_on_waived_debt_recontract(client_ficha, ana, products, clock):
    transition(client_ficha, "inactivate_automatically", actor=None, reason="inadimplência")
    baker.make(Boleto, ficha=client_ficha, amount=Decimal("99"), due_date=D(2025, 1, 10))
    orc = orcamento_create(client_ficha, author=ana, demand="Quer voltar com intimação")
    orcamento_item_set(
        orc, actor=ana, product=products["intimacao"], quantity=1, discount=Decimal("5")
    )
    orc = orcamento_step(orc, "define_products", actor=ana)
    with pytest.raises(TransitionRefused) as refused:
        orcamento_step(orc, "set_prices", actor=ana)
    assert refused.value.rule_ids == ("S7", "G8")


def test_G8_pdf_renders(orcamento):
    pdf = render_orcamento_pdf(orcamento)
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000


def test_G8_pages_build_step_send_and_download(
    client_ficha, ana, products, clock, django_capture_on_commit_callbacks
):
    from django.test import Client
    from django.urls import reverse

    hx = {"HX-Request": "true"}
    client = Client()
    client.force_login(ana)
    created = client.post(
        reverse("orcamento_create", args=[client_ficha.pk]),
        {"demand": "Três advogados em SP"},
        headers=hx,
    )
    orc = Orcamento.objects.get()
    assert created["HX-Redirect"] == reverse("orcamento_detail", args=[orc.pk])
    bad = client.post(
        reverse("orcamento_item", args=[orc.pk]),
        {"product": products["intimacao"].pk, "quantity": 0},
        headers=hx,
    )
    assert bad.status_code == 422 and not orc.items.exists()
    client.post(
        reverse("orcamento_item", args=[orc.pk]),
        {"product": products["intimacao"].pk, "quantity": 3, "discount": "0"},
        headers=hx,
    )
    for event in ("define_products", "set_prices"):
        assert (
            client.post(reverse("orcamento_step", args=[orc.pk, event]), headers=hx).status_code
            == 200
        )
    page = client.get(reverse("orcamento_detail", args=[orc.pk])).content.decode()
    assert 'aria-current="step">Valores definidos' in page and "R$ 269,70" in page
    illegal = client.post(reverse("orcamento_step", args=[orc.pk, "back_to_analysis"]), headers=hx)
    assert illegal.status_code == 422 and "Regra G8" in illegal.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            reverse("orcamento_send", args=[orc.pk]), {"bitrix_link": BITRIX}, headers=hx
        )
    assert sent.status_code == 200 and len(mail.outbox) == 1
    pdf = client.get(reverse("orcamento_pdf", args=[orc.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "ORC-2027-" in pdf["Content-Disposition"]
    doc = client.get(reverse("orcamento_document", args=[orc.pk])).content.decode()
    assert "Válido até 04/05/2027" in doc and "Próximos passos" in doc


@pytest.mark.parametrize("quantity", [100_001, 2**31, 4294967301, 2**63])
def test_G8_huge_quantities_are_refused_before_the_database(client_ficha, ana, products, quantity):
    """PostgreSQL's 32-bit binding wrapped 4294967301 to 5: the service refuses first."""
    orc = orcamento_create(client_ficha, author=ana, demand="Cliente quer intimação")
    with pytest.raises(TransitionRefused, match="quantidade máxima é 100.000") as refused:
        orcamento_item_set(orc, actor=ana, product=products["intimacao"], quantity=quantity)
    assert refused.value.problems[0].field == "quantity"
    assert not orc.items.exists()


def test_G8_a_sent_quote_at_the_largest_bounds_can_be_accepted(client_ficha, ana, clock):
    """The largest item (MAX_QUANTITY × MAX_UNIT_PRICE) still fits a sale's total: a sent
    quote can always be accepted (on SQLite 2**31 × price could not be saved as a sale)."""
    from workflows.models import Product
    from workflows.validators import MAX_QUANTITY, MAX_UNIT_PRICE

    dear = Product.objects.create(code="caro", name="Plano caro", unit_price=MAX_UNIT_PRICE)
    orc = orcamento_create(client_ficha, author=ana, demand="Escritório enorme, plano caro")
    orcamento_item_set(orc, actor=ana, product=dear, quantity=MAX_QUANTITY)
    orc = orcamento_send(priced(orc, ana), actor=ana, bitrix_link=BITRIX)
    (sale,) = orcamento_accept(orc, actor=ana, data_confirmed=True)
    assert Sale.objects.get(pk=sale.pk).total == MAX_UNIT_PRICE * MAX_QUANTITY


def test_G8_an_item_worth_more_than_a_sale_can_hold_is_refused(client_ficha, ana, clock):
    """A catalogue price above the bound (set outside the admin's validation) cannot make an
    item whose sale would not fit: refused when added, and again when the prices are set."""
    from workflows.models import Product

    dear = Product.objects.create(code="carissimo", name="Plano", unit_price=Decimal("1000000"))
    orc = orcamento_create(client_ficha, author=ana, demand="Escritório enorme, plano caro")
    with pytest.raises(TransitionRefused, match="máximo de uma venda"):
        orcamento_item_set(orc, actor=ana, product=dear, quantity=100_000)
    orcamento_item_set(orc, actor=ana, product=dear, quantity=1)
    Product.objects.filter(pk=dear.pk).update(unit_price=Decimal("99999999.99"))
    orc.items.update(quantity=1000)
    orc = orcamento_step(orc, "define_products", actor=ana)
    with pytest.raises(TransitionRefused, match="máximo de uma venda"):
        orcamento_step(orc, "set_prices", actor=ana)
    assert Orcamento.objects.get(pk=orc.pk).state == "products_defined"


@pytest.mark.parametrize(
    "typed",
    [
        {"quantity": "4294967301"},
        {"quantity": str(2**63)},
        {"quantity": "-1"},
        {"quantity": "1e309"},
        {"discount": "1e309"},
        {"discount": "NaN"},
        {"discount": "123456789012.00"},
    ],
)
def test_G8_the_item_form_refuses_unbounded_numbers_with_422(client_ficha, ana, products, typed):
    from django.test import Client
    from django.urls import reverse

    orc = orcamento_create(client_ficha, author=ana, demand="Cliente quer intimação")
    client = Client(raise_request_exception=False)
    client.force_login(ana)
    data = {"product": products["intimacao"].pk, "quantity": "1", "discount": "0", **typed}
    response = client.post(reverse("orcamento_item", args=[orc.pk]), data)
    assert response.status_code == 422
    assert not orc.items.exists()
