"""Input checks shared by every flow: meaningful text (G1, G2, M1), CPF/CNPJ (python-stdnum),
phones (phonenumbers), the address's UF and CEP, and the bounds every typed number, date and
text stays within (so nothing a user types can overflow a column, a date computation or a
sale's total)."""

import datetime as dt
import re
from decimal import Decimal

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from stdnum.br import cnpj as stdnum_cnpj
from stdnum.br import cpf as stdnum_cpf

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


# --- CPF and CNPJ (python-stdnum) -----------------------------------------------------------
# A CNPJ has 12 letters-or-digits then 2 check digits (alphanumeric CNPJs are issued since July
# 2026; `stdnum.br.cnpj` computes their check digits with each character worth ord(c) - 48, the
# Receita Federal algorithm). The stored key is the compact form: uppercase, punctuation
# stripped, letters kept, so a numeric CPF/CNPJ keeps exactly its digits.

INVALID_DOCUMENT_LENGTH = (
    "CPF ou CNPJ inválido: o CPF tem 11 números e o CNPJ tem 14 caracteres (só números, ou "
    "letras e números nos CNPJs novos, com os 2 últimos sempre números)."
)
INVALID_DOCUMENT_CHECK = (
    "CPF ou CNPJ inválido: confira o que foi digitado (os dígitos verificadores não conferem)."
)
_DOCUMENT_KEY = re.compile(r"\d{11}|[0-9A-Z]{12}\d{2}")


def compact_document(value: str | None) -> str:
    """Uppercase letters and digits only: "12.abc.345/01de-35" → "12ABC34501DE35"."""
    return re.sub(r"[^0-9A-Z]", "", (value or "").upper())


def _mod11_digit(digits: str, first_weight: int) -> str:
    total = sum(int(d) * w for d, w in zip(digits, range(first_weight, 1, -1), strict=True))
    return str((11 - total) % 11 % 10)


def cpf_with_check_digits(base9: str) -> str:
    """A CPF from its 9 base digits (stdnum.br.cpf has no public check-digit function; its
    `is_valid` agrees with this, see tests/test_validators.py)."""
    first = _mod11_digit(base9, 10)
    return base9 + first + _mod11_digit(base9 + first, 11)


def cnpj_with_check_digits(base12: str) -> str:
    """A CNPJ from its 12 base characters, digits or letters ("12ABC34501DE" → …35)."""
    base = compact_document(base12)
    return base + stdnum_cnpj.calc_check_digits(base)


def is_valid_cpf(value: str | None) -> bool:
    number = compact_document(value)
    return len(number) == 11 and len(set(number)) > 1 and stdnum_cpf.is_valid(number)


def is_valid_cnpj(value: str | None) -> bool:
    number = compact_document(value)
    return len(number) == 14 and len(set(number)) > 1 and stdnum_cnpj.is_valid(number)


def normalize_document(value: str | None) -> str:
    """The compact form of a valid CPF or CNPJ (alphanumeric included); a pt-BR
    ValidationError otherwise."""
    number = compact_document(value)
    if is_valid_cpf(number) or is_valid_cnpj(number):
        return number
    if not _DOCUMENT_KEY.fullmatch(number):
        raise ValidationError(INVALID_DOCUMENT_LENGTH, code="invalid_document")
    raise ValidationError(INVALID_DOCUMENT_CHECK, code="invalid_document")


def document_key(value: str | None) -> str:
    """G7: the key of something shaped like a CPF (11 digits) or CNPJ (12 letters-or-digits
    and 2 digits), check digits not verified (an import may hold a mistyped one); "" when
    it is no document."""
    number = compact_document(value)
    return number if _DOCUMENT_KEY.fullmatch(number) else ""


def format_document(document: str) -> str:
    """123.456.789-09 or 12.ABC.345/01DE-35; anything else as it is."""
    number = compact_document(document)
    if len(number) == 11 and number.isdigit():
        return stdnum_cpf.format(number)
    if len(number) == 14:
        return stdnum_cnpj.format(number)
    return document


# --- Phones (phonenumbers) -------------------------------------------------------------------

PHONE_REGION = "BR"
PHONE_EXAMPLE = "(11) 98765-4321"
BR_PHONE_MIN_DIGITS = 10  # DDD + 8-digit landline (mobiles have 9 digits)
PHONE_MALFORMED = f"Telefone inválido: informe DDD e número, ex.: {PHONE_EXAMPLE}."
PHONE_FOREIGN = f"Telefone inválido: informe um telefone do Brasil, com DDD, ex.: {PHONE_EXAMPLE}."
PHONE_IMPOSSIBLE = (
    "Telefone inválido: este número não existe — confira o DDD e a quantidade de dígitos, "
    f"ex.: {PHONE_EXAMPLE}."
)


def _parse_phone(value: str | None) -> phonenumbers.PhoneNumber | None:
    """The number typed, or None. Letters are no phone ("3456-ABCD" would be read as a vanity
    number, "x12" as an extension E.164 drops), except the old long-distance "0xx11"."""
    text = re.sub(r"(?i)\(?\b0\s*xx\s*", "0", (value or "").strip())
    if re.search(r"[^\W\d_]", text):
        return None
    try:
        return phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None


def phone_problem(value: str | None) -> str:
    """The pt-BR reason a typed phone cannot be a Brazilian number; "" when it can."""
    number = _parse_phone(value)
    if number is None or not phonenumbers.is_possible_number(number):
        return PHONE_MALFORMED
    if number.country_code != phonenumbers.country_code_for_region(PHONE_REGION):
        return PHONE_FOREIGN
    if len(str(number.national_number)) < BR_PHONE_MIN_DIGITS:
        return PHONE_MALFORMED  # no area code (DDD): cannot be told apart from other cities
    if not phonenumbers.is_valid_number(number):
        return PHONE_IMPOSSIBLE  # e.g. DDD 23, 25, 26, 29, 36 or a digit missing
    return ""


def phone_key(value: str | None) -> str:
    """E.164 of a Brazilian number that can exist ("011 98765-4321" → "+5511987654321");
    "" otherwise (no area code, foreign, impossible)."""
    if phone_problem(value):
        return ""
    return phonenumbers.format_number(_parse_phone(value), phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(value: str | None) -> str:
    """The E.164 form stored on a ficha; "" for an empty value; a pt-BR ValidationError when
    the number cannot exist."""
    if not (value or "").strip():
        return ""
    problem = phone_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_phone")
    return phone_key(value)


def format_phone(value: str | None) -> str:
    """How every page shows a phone: "(11) 98765-4321" (a foreign one in international
    form); a value that is no valid number is shown as it was typed."""
    number = _parse_phone(value)
    if number is None or not phonenumbers.is_valid_number(number):
        return value or ""
    if number.country_code == phonenumbers.country_code_for_region(PHONE_REGION):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# --- Address: UF and CEP ---------------------------------------------------------------------

UF_NAMES = {
    "AC": "Acre",
    "AL": "Alagoas",
    "AP": "Amapá",
    "AM": "Amazonas",
    "BA": "Bahia",
    "CE": "Ceará",
    "DF": "Distrito Federal",
    "ES": "Espírito Santo",
    "GO": "Goiás",
    "MA": "Maranhão",
    "MT": "Mato Grosso",
    "MS": "Mato Grosso do Sul",
    "MG": "Minas Gerais",
    "PA": "Pará",
    "PB": "Paraíba",
    "PR": "Paraná",
    "PE": "Pernambuco",
    "PI": "Piauí",
    "RJ": "Rio de Janeiro",
    "RN": "Rio Grande do Norte",
    "RS": "Rio Grande do Sul",
    "RO": "Rondônia",
    "RR": "Roraima",
    "SC": "Santa Catarina",
    "SP": "São Paulo",
    "SE": "Sergipe",
    "TO": "Tocantins",
}
# The 27 UFs as a model/form field's choices, by the state's name: ("SP", "São Paulo (SP)").
UF_CHOICES = [(uf, f"{name} ({uf})") for uf, name in sorted(UF_NAMES.items(), key=lambda i: i[1])]
INVALID_UF = "UF inválida: escolha um dos 27 estados da lista (ex.: SP)."


def normalize_uf(value: str | None) -> str:
    """The UF's two uppercase letters ("sp" → "SP"); "" for an empty value; a pt-BR
    ValidationError for anything that is not one of the 27 UFs."""
    uf = (value or "").strip().upper()
    if uf and uf not in UF_NAMES:
        raise ValidationError(INVALID_UF, code="invalid_uf")
    return uf


CEP_MALFORMED = "CEP inválido: informe os 8 números, ex.: 01310-100 ou 01310100."
CEP_NONEXISTENT = "CEP inválido: não existe CEP começando por 00; confira os números."
# 8 digits, typed plain or with the usual punctuation: 01310100, 01310-100, 01.310-100.
_CEP_TYPED = re.compile(r"[0-9]{2}\.?[0-9]{3}[- ]?[0-9]{3}")  # ASCII digits only
_MIN_CEP = "01000000"  # the lowest CEP range (São Paulo); no CEP starts with 00


def normalize_cep(value: str | None) -> str:
    """The 8 digits stored on a ficha ("01.310-100" → "01310100"); "" for an empty value; a
    pt-BR ValidationError for anything else (letters, 7 or 9 digits, "00000-000")."""
    text = (value or "").strip()
    if not text:
        return ""
    if not _CEP_TYPED.fullmatch(text):
        raise ValidationError(CEP_MALFORMED, code="invalid_cep")
    cep = re.sub(r"[^0-9]", "", text)
    if cep < _MIN_CEP:
        raise ValidationError(CEP_NONEXISTENT, code="invalid_cep")
    return cep


def format_cep(value: str | None) -> str:
    """How every page shows a CEP: "01310-100"; anything that is not 8 digits as it is."""
    value = value or ""
    return f"{value[:5]}-{value[5:]}" if re.fullmatch(r"[0-9]{8}", value) else value
