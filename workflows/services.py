"""Cross-cutting services of the workflow engine: manager overrides (M1), company calendar."""

from django.core.exceptions import ValidationError

from . import clock
from .businessdays import carnaval_days
from .engine import TransitionRefused
from .models import CompanyHoliday, Override
from .roles import MANAGER, has_role
from .rules import RULES
from .validators import validate_meaningful_text


def record_override(obj, *, manager, rule_id: str, reason: str, **details) -> Override:
    """M1: only a manager, only with a written reason; logged on the record's history."""
    if not has_role(manager, MANAGER):
        raise TransitionRefused("Somente um gestor pode abrir exceção a uma regra.", "M1")
    if rule_id not in RULES:
        raise TransitionRefused("Escolha a regra a que a exceção se refere.", "M1")
    try:
        validate_meaningful_text(reason)
    except ValidationError:
        raise TransitionRefused(
            "A exceção do gestor exige uma justificativa escrita.", "M1"
        ) from None
    return Override.objects.create(
        target=obj, manager=manager, at=clock.now(), rule_id=rule_id, reason=reason, details=details
    )


def seed_company_calendar(years) -> int:
    """Close the company on Carnaval (Mon+Tue) for the given years; returns days added."""
    added = 0
    for year in years:
        for day, name in carnaval_days(year).items():
            _, created = CompanyHoliday.objects.get_or_create(date=day, defaults={"name": name})
            added += created
    return added
