"""pt-BR formatting shared by pages, e-mails and documents."""

from decimal import ROUND_HALF_UP, Decimal


def number(value, places: int = 2) -> str:
    """1234567.5 → "1.234.567,50": pt-BR grouping and decimal comma, rounded half-up."""
    amount = Decimal(value or 0).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{amount:,.{places}f}".replace(",", "X").replace(".", ",").replace("X", ".")


def brl(value) -> str:
    """R$ 1.234,56 (exact to the centavo, half-up)."""
    text = number(value)
    return f"-R$ {text[1:]}" if text.startswith("-") else f"R$ {text}"


def percent(value) -> str:
    """12.5 → "12,5%"; 10 → "10%": the places a percentage was typed with, no trailing zeros."""
    amount = Decimal(value or 0).normalize()
    places = max(0, -amount.as_tuple().exponent)
    return f"{number(amount, places)}%"


def person_name(user) -> str:
    """How a person is named on screens and in texts the services write: full name, else
    the login."""
    return user.get_full_name() or user.username
