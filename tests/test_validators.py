import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from workflows.validators import (
    MAX_QUANTITY,
    MAX_SALE_TOTAL,
    MAX_UNIT_PRICE,
    cnpj_with_check_digits,
    cpf_with_check_digits,
    date_range_problem,
    document_key,
    format_document,
    is_placeholder,
    is_valid_cnpj,
    is_valid_cpf,
    money_validators,
    normalize_document,
    parse_sane_date,
    quantity_validators,
    validate_sane_date,
)


@pytest.mark.parametrize("text", ["", "   ", "...", "[...]", "…", " [ … ] ", "-", "ok", None])
def test_G1_placeholder_text_is_refused(text):
    assert is_placeholder(text)


@pytest.mark.parametrize("text", ["Tentativa, cliente não atendeu", "concluindo agendamento"])
def test_G1_real_text_is_accepted(text):
    assert not is_placeholder(text)


def test_cpf_check_digits():
    assert cpf_with_check_digits("529982247") == "52998224725"
    assert is_valid_cpf("529.982.247-25")
    assert not is_valid_cpf("529.982.247-24")
    assert not is_valid_cpf("111.111.111-11")


def test_cnpj_check_digits():
    assert cnpj_with_check_digits("112223330001") == "11222333000181"
    assert is_valid_cnpj("11.222.333/0001-81")
    assert not is_valid_cnpj("11.222.333/0001-80")


def test_normalize_document_accepts_formatting_and_refuses_bad_digits():
    assert normalize_document(" 529.982.247-25 ") == "52998224725"
    assert format_document("11222333000181") == "11.222.333/0001-81"
    with pytest.raises(ValidationError, match="CPF ou CNPJ inválido"):
        normalize_document("123.456.789-00")


def test_cpf_check_digits_agree_with_python_stdnum():
    from stdnum.br import cpf

    for n in range(100_000_000, 100_000_000 + 2_000, 7):
        number = cpf_with_check_digits(str(n))
        assert cpf.is_valid(number) and is_valid_cpf(number)
        wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
        assert not is_valid_cpf(wrong)


def test_alphanumeric_cnpj_check_digits_follow_the_receita_federal_example():
    """Each character is worth ord(c) - 48, with the numeric CNPJ's weights."""
    assert cnpj_with_check_digits("12ABC34501DE") == "12ABC34501DE35"
    assert cnpj_with_check_digits("12abc34501de") == "12ABC34501DE35"
    assert is_valid_cnpj("12.ABC.345/01DE-35")
    assert is_valid_cnpj("12.abc.345/01de-35")
    assert not is_valid_cnpj("12.ABC.345/01DE-36")
    assert not is_valid_cnpj("12.ABC.345/01DE-3X")  # check digits are always digits
    assert not is_valid_cnpj("00.000.000/0000-00")
    assert not is_valid_cpf("12.ABC.345-01")


def test_normalize_document_keeps_letters_uppercase_and_numeric_keys_unchanged():
    assert normalize_document(" 12.abc.345/01de-35 ") == "12ABC34501DE35"
    assert normalize_document("11.222.333/0001-81") == "11222333000181"
    assert format_document("12ABC34501DE35") == "12.ABC.345/01DE-35"
    assert format_document("52998224725") == "529.982.247-25"
    assert format_document("123") == "123"  # no document: shown as it is
    with pytest.raises(ValidationError, match="dígitos verificadores não conferem"):
        normalize_document("12.ABC.345/01DE-36")
    with pytest.raises(ValidationError, match="o CPF tem 11 números"):
        normalize_document("12.ABC.345")


def test_document_key_is_shaped_like_a_cpf_or_cnpj():
    assert document_key("529.982.247-25") == "52998224725"
    assert document_key("12.abc.345/01de-35") == "12ABC34501DE35"
    assert document_key("12.ABC.345/01DE-3X") == ""
    assert document_key("529.982.247") == ""


@pytest.mark.parametrize("day", [dt.date(1999, 12, 31), dt.date(2101, 1, 1), dt.date(9999, 12, 31)])
def test_dates_out_of_the_sane_range_are_refused_in_portuguese(day):
    with pytest.raises(ValidationError, match="Data fora do intervalo aceito") as error:
        validate_sane_date(day)
    assert "01/01/2000 e 31/12/2100" in error.value.messages[0]
    assert date_range_problem(day).startswith("Data fora do intervalo")


def test_dates_inside_the_range_pass():
    for day in (dt.date(2000, 1, 1), dt.date(2027, 4, 19), dt.date(2100, 12, 31), None):
        validate_sane_date(day)
        assert date_range_problem(day) == ""


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2027-04-19", dt.date(2027, 4, 19)),
        ("9999-12-31", None),
        ("0001-01-01", None),
        ("31/02/2026", None),
        ("2026-02-31", None),
        ("", None),
        ("x" * 10_000, None),
    ],
)
def test_query_dates_parse_only_within_range(text, expected):
    assert parse_sane_date(text) == expected


def test_the_largest_sale_fits_the_sale_total_column():
    """A sent quote can always be accepted: its largest item fits Sale.total."""
    from workflows.models import Sale

    total = Sale._meta.get_field("total")
    largest = MAX_QUANTITY * MAX_UNIT_PRICE
    assert largest <= MAX_SALE_TOTAL
    assert len(str(int(MAX_SALE_TOTAL))) == total.max_digits - total.decimal_places


def test_quantity_and_money_validators_speak_portuguese():
    from decimal import Decimal

    at_least, at_most = quantity_validators()
    with pytest.raises(ValidationError, match="quantidade mínima é 1"):
        at_least(0)
    with pytest.raises(ValidationError, match="quantidade máxima é 100.000"):
        at_most(100_001)
    at_least(1), at_most(100_000)
    with pytest.raises(ValidationError, match="R\\$ 99.999.999,99"):
        money_validators()[1](Decimal("100000000"))
