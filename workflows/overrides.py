"""M1: a manager's exceptions, written with a reason and shown on the record's history."""

from django.core.exceptions import ValidationError

from . import clock
from .formatting import person_name
from .models import (
    Ficha,
    Override,
)
from .refusals import ROLE, TransitionRefused
from .roles import MANAGER, has_role
from .rules import RULES
from .validators import (
    validate_meaningful_text,
)


def override_record(obj, *, manager, rule_id: str, reason: str, **details) -> Override:
    """M1: only a manager, only with a written reason; logged on the record's history."""
    if not has_role(manager, MANAGER):
        raise TransitionRefused(
            "Somente um gestor pode abrir exceção a uma regra.", "M1", kind=ROLE
        )
    if rule_id not in RULES:
        raise TransitionRefused("Escolha a regra a que a exceção se refere.", "M1")
    try:
        validate_meaningful_text(reason)
    except ValidationError:
        raise TransitionRefused(
            "A exceção do gestor exige uma justificativa escrita.", "M1"
        ) from None
    return Override.objects.create(
        target=obj,
        ficha=ficha_of(obj),
        manager=manager,
        at=clock.now(),
        rule_id=rule_id,
        reason=reason,
        details=details,
    )


def ficha_of(obj) -> Ficha | None:
    """The client a record belongs to: the ficha itself or the record's `ficha`."""
    ficha = obj if isinstance(obj, Ficha) else getattr(obj, "ficha", None)
    return ficha if isinstance(ficha, Ficha) else None


def overrides_for_ficha(ficha: Ficha):
    """M1: every override on the ficha or on a record of its own (agendamento, sale, triage,
    orçamento, data change, ticket...), so the ficha shows all the exceptions made for this
    client."""
    return ficha.overrides.select_related("manager", "content_type")


def manager_exception(ficha: Ficha, rule_id: str) -> Override | None:
    """M1: the manager's latest exception to `rule_id` on this ficha since it was last
    inactivated (an exception to an earlier inactivation releases nothing now)."""
    exceptions = Override.for_object(ficha).filter(rule_id=rule_id)
    if ficha.inactivated_at is not None:
        exceptions = exceptions.filter(at__gte=ficha.inactivated_at)
    return exceptions.select_related("manager").order_by("at", "pk").last()


def exception_text(exception: Override) -> str:
    return f"exceção do gestor {person_name(exception.manager)} (M1): “{exception.reason}”."
