"""Input checks shared by every flow: meaningful text (G1, G2, M1) and CPF/CNPJ check digits."""

import re

from django.core.exceptions import ValidationError

MIN_MEANINGFUL_CHARS = 3


def is_placeholder(text: str | None) -> bool:
    """G1/G2: empty, whitespace, "...", "[...]", "…" and the like say nothing."""
    return sum(ch.isalnum() for ch in (text or "")) < MIN_MEANINGFUL_CHARS


def validate_meaningful_text(text: str) -> None:
    if is_placeholder(text):
        raise ValidationError(
            "Escreva o que foi feito: texto vazio ou reticências (“...”, “[...]”) não vale "
            "como registro.",
            code="placeholder",
        )


def only_digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def _check_digit(digits: str, weights: list[int]) -> str:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "0" if remainder < 2 else str(11 - remainder)


_CPF_W1 = list(range(10, 1, -1))
_CPF_W2 = list(range(11, 1, -1))
_CNPJ_W1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
_CNPJ_W2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]


def cpf_with_check_digits(base9: str) -> str:
    first = _check_digit(base9, _CPF_W1)
    return base9 + first + _check_digit(base9 + first, _CPF_W2)


def cnpj_with_check_digits(base12: str) -> str:
    first = _check_digit(base12, _CNPJ_W1)
    return base12 + first + _check_digit(base12 + first, _CNPJ_W2)


def is_valid_cpf(value: str) -> bool:
    digits = only_digits(value)
    return (
        len(digits) == 11 and len(set(digits)) > 1 and cpf_with_check_digits(digits[:9]) == digits
    )


def is_valid_cnpj(value: str) -> bool:
    digits = only_digits(value)
    return (
        len(digits) == 14 and len(set(digits)) > 1 and cnpj_with_check_digits(digits[:12]) == digits
    )


def normalize_document(value: str) -> str:
    """Digits of a valid CPF or CNPJ; a pt-BR ValidationError otherwise."""
    digits = only_digits(value)
    if len(digits) == 11 and is_valid_cpf(digits):
        return digits
    if len(digits) == 14 and is_valid_cnpj(digits):
        return digits
    raise ValidationError(
        "CPF ou CNPJ inválido: confira os números (os dígitos verificadores não conferem).",
        code="invalid_document",
    )


def format_document(digits: str) -> str:
    if len(digits) == 11:
        return f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"
    if len(digits) == 14:
        return f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}/{digits[8:12]}-{digits[12:]}"
    return digits
