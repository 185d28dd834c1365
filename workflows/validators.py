"""Input checks shared by every flow: meaningful text (G1, G2, M1), CPF/CNPJ check digits,
and the bounds every typed number, date and text stays within (so nothing a user types can
overflow a column, a date computation or a sale's total)."""

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from .formatting import brl, number

MIN_MEANINGFUL_CHARS = 3

# Dates a user may type (and a model may store): far enough either way for any real
# business date, near enough that adding or subtracting a few years never overflows.
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)

# Quantities (lawyers, states, beneficiaries, searches…) and money. Chosen so the largest
# sale fits its column: MAX_QUANTITY × MAX_UNIT_PRICE < 10**10, the Sale.total bound
# (max_digits=12, decimal_places=2), so a quote that was sent can always be accepted.
MAX_QUANTITY = 100_000
MAX_UNIT_PRICE = Decimal("99999.99")
MAX_AMOUNT = Decimal("99999999.99")  # any other money column: max_digits=10, 2 places
MAX_SALE_TOTAL = Decimal("9999999999.99")  # Sale.total: max_digits=12, 2 places
# Text typed in a form field whose column is a TextField: a generous, finite cap.
MAX_TEXT = 10_000


def validate_sane_date(value: dt.date | None) -> None:
    """A typed date within MIN_DATE..MAX_DATE (e.g. not 9999-12-31 nor 0001-01-01)."""
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValidationError(
            "Data fora do intervalo aceito: use uma data entre %(min)s e %(max)s.",
            code="date_out_of_range",
            params={"min": f"{MIN_DATE:%d/%m/%Y}", "max": f"{MAX_DATE:%d/%m/%Y}"},
        )


def date_range_problem(value: dt.date | None) -> str:
    """The pt-BR message when a date a service got is out of the sane range; "" when fine."""
    try:
        validate_sane_date(value)
    except ValidationError as error:
        return error.messages[0]
    return ""


def quantity_validators() -> list:
    """Model and form validators of a quantity: 1..MAX_QUANTITY."""
    return [
        MinValueValidator(1, "A quantidade mínima é 1."),
        MaxValueValidator(MAX_QUANTITY, f"A quantidade máxima é {number(MAX_QUANTITY, 0)}."),
    ]


def money_validators(maximum: Decimal = MAX_AMOUNT) -> list:
    """Model and form validators of an amount in reais: 0..maximum."""
    return [
        MinValueValidator(Decimal("0"), "O valor não pode ser negativo."),
        MaxValueValidator(maximum, f"O valor máximo é {brl(maximum)}."),
    ]


def parse_typed_date(text: str | None) -> dt.date | None:
    """A date as users type it, dd/mm/aaaa or AAAA-MM-DD; None when empty, malformed or
    impossible (31/02)."""
    text = (text or "").strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def parse_sane_date(text: str | None) -> dt.date | None:
    """A date typed in a query parameter within the sane range; None when it is empty,
    malformed, impossible (31/02) or out of range — the page then says so."""
    day = parse_typed_date(text)
    return day if day is not None and MIN_DATE <= day <= MAX_DATE else None


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
