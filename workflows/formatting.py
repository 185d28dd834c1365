"""pt-BR formatting shared by pages, e-mails and documents."""

from decimal import ROUND_HALF_UP, Decimal


def brl(value) -> str:
    """R$ 1.234,56 (exact to the centavo, half-up)."""
    amount = Decimal(value or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}R$ {'.'.join(groups)},{cents}"


def person_name(user) -> str:
    """How a person is named on screens and in texts the services write: full name, else
    the login."""
    return user.get_full_name() or user.username
