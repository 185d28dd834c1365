"""pt-BR number input (issue 20 item 5): one parser, its form fields, and the amounts the
services write through the one formatter (workflows.formatting.brl)."""

from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError

from workflows.formatting import brl, percent
from workflows.numbers import (
    BrDecimalField,
    BrIntegerField,
    parse_br_number,
    show_br_number,
)


@pytest.mark.parametrize(
    "typed, value",
    [
        ("35,5", Decimal("35.5")),
        ("1.234,56", Decimal("1234.56")),
        ("1234,56", Decimal("1234.56")),
        ("1234.56", Decimal("1234.56")),
        ("35.5", Decimal("35.5")),
        ("0.5", Decimal("0.5")),
        ("0,05", Decimal("0.05")),
        ("1.234.567,8", Decimal("1234567.8")),
        ("1.234.567", Decimal("1234567")),
        ("  42 ", Decimal("42")),
        ("R$ 1.234,56", Decimal("1234.56")),
        ("12,5%", Decimal("12.5")),
        ("-3,5", Decimal("-3.5")),
    ],
)
def test_accepted_pt_br_numbers(typed, value):
    assert parse_br_number(typed) == value


@pytest.mark.parametrize(
    "typed, code",
    [
        ("1.234.5", "ambiguous"),
        ("1,234,56", "ambiguous"),
        ("12.34,5", "ambiguous"),
        ("1,234.56", "ambiguous"),  # the English way round
        ("1.234", "ambiguous"),  # mil duzentos e trinta e quatro, or 1,234?
        ("35,", "invalid"),
        (",5", "invalid"),
        ("1e309", "invalid"),
        ("NaN", "invalid"),
        ("Infinity", "invalid"),
        ("1 234", "invalid"),
        ("١٢", "invalid"),  # digits of another script
        ("abc", "invalid"),
        ("9" * 41, "invalid"),
        ("", "invalid"),
    ],
)
def test_refused_numbers_say_why_in_pt_br(typed, code):
    with pytest.raises(ValidationError) as refused:
        parse_br_number(typed)
    assert refused.value.code == code
    message = refused.value.messages[0]
    assert "vírgula" in message
    if code == "ambiguous":
        assert typed in message


@pytest.mark.parametrize(
    "typed, value", [("1.000", 1000), ("100.000", 100000), ("35", 35), ("35,0", 35)]
)
def test_whole_numbers_read_points_as_thousands(typed, value):
    assert parse_br_number(typed, whole=True) == value


@pytest.mark.parametrize("typed", ["35,5", "1.5", "1.234.5"])
def test_whole_numbers_refuse_decimals(typed):
    with pytest.raises(ValidationError):
        parse_br_number(typed, whole=True)


@pytest.mark.parametrize(
    "value, shown",
    [
        (Decimal("35.50"), "35,5"),
        (Decimal("1234.56"), "1.234,56"),
        (Decimal("1000.00"), "1000"),  # not "1.000": that would be ambiguous
        (Decimal("0"), "0"),
        (100000, "100000"),
        ("1.234,5", "1.234,5"),  # what was typed stays as typed
        (None, ""),
    ],
)
def test_values_redisplay_pt_br_and_read_back(value, shown):
    assert show_br_number(value) == shown
    if shown and isinstance(value, Decimal):
        assert parse_br_number(shown) == value


class Sample(forms.Form):
    price = BrDecimalField(max_digits=10, decimal_places=2, min_value=0, show=brl)
    quantity = BrIntegerField(min_value=1, max_value=100_000)


def test_fields_clean_pt_br_and_keep_what_was_typed():
    form = Sample({"price": "1.234,56", "quantity": "1.000"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"price": Decimal("1234.56"), "quantity": 1000}

    bad = Sample({"price": "12.34,5", "quantity": "35,5"})
    assert not bad.is_valid()
    assert "lido de dois jeitos" in bad.errors["price"][0]
    assert "inteiro" in bad.errors["quantity"][0]
    html = str(bad["price"])
    assert 'value="12.34,5"' in html and 'inputmode="decimal"' in html
    assert 'type="text"' in html


def test_fields_bounds_and_places_in_pt_br():
    form = Sample({"price": "-1", "quantity": "100.001"})
    assert not form.is_valid()
    assert form.errors["price"] == ["O valor não pode ser negativo."]
    assert form.errors["quantity"] == ["O valor máximo é 100.000."]
    places = Sample({"price": "1,234", "quantity": "1"})
    assert not places.is_valid() and "2 casas decimais" in places.errors["price"][0]


def test_initial_values_show_pt_br():
    form = Sample(initial={"price": Decimal("1234.50"), "quantity": 3})
    assert 'value="1.234,5"' in str(form["price"])
    assert 'value="3"' in str(form["quantity"])


def test_percent_and_brl_formatting():
    assert percent(Decimal("12.50")) == "12,5%"
    assert percent(Decimal("10.00")) == "10%"
    assert brl(Decimal("-1234.5")) == "-R$ 1.234,50"


def test_services_write_amounts_through_brl(
    ficha, make_user, products, clock, django_capture_on_commit_callbacks
):
    """The sale's movimentação, the S1 copy and the S7 refusal say R$ 1.047,00, not 1047.00."""
    import datetime as dt

    from django.core import mail
    from model_bakery import baker

    from workflows.engine import transition
    from workflows.models import Boleto
    from workflows.ownership import may_sell
    from workflows.roles import AGENT, SELLER
    from workflows.selling import ficha_sell

    seller = make_user(AGENT, SELLER)
    ficha.email = "adm@adv.br"
    ficha.save()
    with django_capture_on_commit_callbacks(execute=True):
        sale = ficha_sell(ficha, products["integra"], seller, quantity=3, data_confirmed=True)
    assert "total R$ 1.047,00)" in ficha.movimentacoes.get(reason="sale").text
    (copy,) = mail.outbox
    assert "Valor: R$ 1.047,00" in copy.body and sale.total == Decimal("1047.00")

    transition(ficha, "inactivate_automatically", actor=None, reason="inadimplência")
    baker.make(Boleto, ficha=ficha, amount=Decimal("1234.5"), due_date=dt.date(2027, 1, 10))
    decision = may_sell(ficha, products["intimacao"], seller)
    assert not decision and "(R$ 1.234,50)" in decision.reason
