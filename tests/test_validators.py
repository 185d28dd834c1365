import pytest
from django.core.exceptions import ValidationError

from workflows.validators import (
    cnpj_with_check_digits,
    cpf_with_check_digits,
    format_document,
    is_placeholder,
    is_valid_cnpj,
    is_valid_cpf,
    normalize_document,
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
