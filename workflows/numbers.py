"""Numbers as Brazilians type them: one parser, and the form fields every typed quantity and
value goes through.

Accepted: "35,5", "1.234,56", "1234,56", "1234.56", "1.234.567" (grouping with the point and
a decimal comma, pt-BR), a lone point only where it cannot be a thousands separator ("35.5",
"1234.56"); an optional "R$" before and "%" after. Refused, with a pt-BR message, whatever
could be read two ways or is malformed: "1.234.5", "1,234,56", "12.34,5", "1,234.56", and a
lone point before exactly three digits ("1.234": mil duzentos e trinta e quatro, or 1,234?)
where decimals are allowed. Where only whole numbers are allowed, the points are always
thousands separators ("1.000" is mil).
"""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from .formatting import number

MAX_TYPED = 40  # characters: far more than any bounded quantity or amount needs

INVALID = "Número inválido: digite só algarismos, com vírgula nos decimais (ex.: 35,5 ou 1.234,56)."
AMBIGUOUS = (
    "“%(value)s” pode ser lido de dois jeitos: use vírgula nos decimais (ex.: 1,5) e, se "
    "quiser separar os milhares, ponto com vírgula nos centavos (ex.: 1.234,00)."
)
NOT_WHOLE = "Digite um número inteiro (sem casas decimais)."

# ASCII digits only (re.ASCII: no "١٢" nor "²"); a thousands group never starts with 0.
_DIGITS = re.compile(r"\d+", re.ASCII)
_GROUPED = re.compile(r"[1-9]\d{0,2}(\.\d{3})+", re.ASCII)  # 1.234 / 1.234.567
_DECIMAL_COMMA = re.compile(r"(\d+|[1-9]\d{0,2}(\.\d{3})+),\d+", re.ASCII)
_DECIMAL_POINT = re.compile(r"\d+\.\d+", re.ASCII)


def parse_br_number(text, *, whole: bool = False) -> Decimal:
    """The Decimal a user typed the pt-BR way (see the module's docstring); a pt-BR
    ValidationError (code "invalid", "ambiguous" or "not_whole") otherwise.

    `whole`: only whole numbers (points group thousands; "35,0" is 35, "35,5" is refused)."""
    raw = str(text).strip()
    body = raw.removeprefix("R$").removesuffix("%").strip()
    sign = ""
    if body.startswith(("-", "+")):
        sign, body = body[0].replace("+", ""), body[1:].strip()
    if not body or len(body) > MAX_TYPED:
        raise ValidationError(INVALID, code="invalid")
    if _DIGITS.fullmatch(body):
        digits = body
    elif _DECIMAL_COMMA.fullmatch(body):
        digits = body.replace(".", "").replace(",", ".")
    elif _GROUPED.fullmatch(body) and (whole or body.count(".") > 1):
        digits = body.replace(".", "")
    elif _DECIMAL_POINT.fullmatch(body) and not _GROUPED.fullmatch(body):
        digits = body  # a point that cannot group thousands: 35.5, 1234.56, 0.5
    elif _could_be_read_two_ways(body):
        raise ValidationError(AMBIGUOUS, code="ambiguous", params={"value": raw})
    else:
        raise ValidationError(INVALID, code="invalid")
    value = Decimal(sign + digits)  # the patterns above admit only ASCII digits and a point
    if whole and value != value.to_integral_value():
        raise ValidationError(NOT_WHOLE, code="not_whole")
    return value


def _could_be_read_two_ways(body: str) -> bool:
    """Digits and separators that do not make one pt-BR number: "1.234" (decimals allowed),
    "1.234.5", "1,234,56", "12.34,5", "1,234.56"."""
    if _GROUPED.fullmatch(body):
        return True
    if not re.fullmatch(r"[\d.,]+", body, re.ASCII):
        return False
    return ("," in body and "." in body) or body.count(",") > 1 or body.count(".") > 1


def show_br_number(value) -> str:
    """A number back in a form field, pt-BR and re-readable by `parse_br_number` in any
    field: 35,5 and 1.234,56 (the comma makes the grouping unambiguous); a whole number
    without grouping (1000: "1.000" would be ambiguous where decimals are allowed).
    A string (what was typed) is shown as typed."""
    if value is None or isinstance(value, str | bool):
        return "" if value is None else str(value)
    if not isinstance(value, int | Decimal | float):
        return str(value)
    amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not amount.is_finite():
        return str(value)
    if amount == amount.to_integral_value():
        return f"{amount.to_integral_value():f}"
    return number(amount, -amount.normalize().as_tuple().exponent)


class BrNumberInput(forms.TextInput):
    """A text input (a number input would refuse the comma) with the numeric keypad."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        return show_br_number(value) or None


def _bounds(field, min_value, max_value, show) -> None:
    if min_value is not None:
        message = (
            "O valor não pode ser negativo."
            if min_value == 0
            else f"O valor mínimo é {show(min_value)}."
        )
        field.validators.append(MinValueValidator(min_value, message))
    if max_value is not None:
        field.validators.append(
            MaxValueValidator(max_value, f"O valor máximo é {show(max_value)}.")
        )


class BrDecimalField(forms.DecimalField):
    """A decimal typed the pt-BR way; bounds said in pt-BR numbers (`show`, e.g. `brl`)."""

    widget = BrNumberInput

    def __init__(self, *, min_value=None, max_value=None, show=None, **kwargs):
        super().__init__(**kwargs)
        self.min_value, self.max_value = min_value, max_value
        _bounds(self, min_value, max_value, show or show_br_number)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return Decimal(value)
        return parse_br_number(value)


class BrIntegerField(forms.IntegerField):
    """A whole number typed the pt-BR way ("1.000" is mil)."""

    widget = BrNumberInput

    def __init__(self, *, min_value=None, max_value=None, **kwargs):
        super().__init__(**kwargs)
        self.min_value, self.max_value = min_value, max_value
        _bounds(self, min_value, max_value, lambda v: number(v, 0))

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return int(parse_br_number(value, whole=True))
