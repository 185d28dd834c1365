"""The ownership oracle (S2–S9, M1): who may sell a product to a ficha now, and why."""

import datetime as dt

from . import clock
from .agendamentos import live_reservation, live_sale_agendamentos, reserves_sale
from .availability import availability
from .formatting import brl, person_name
from .models import (
    AgentProfile,
    Boleto,
    Ficha,
    Override,
    Product,
    Triage,
)
from .overrides import exception_text, manager_exception, override_record
from .refusals import Decision, TransitionRefused
from .roles import ATTENDANTS, MANAGER, has_role

INACTIVATION_HOLD_DAYS = 15


def one_year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def debt_split(ficha: Ficha, day: dt.date) -> tuple[list[Boleto], list[Boleto]]:
    """S7: overdue open boletos older than one year (waived) and newer ones (to settle)."""
    limit = one_year_before(day)
    overdue = [b for b in ficha.open_boletos().filter(due_date__lt=day)]
    return [b for b in overdue if b.due_date < limit], [b for b in overdue if b.due_date >= limit]


def s5_hold_applies(ficha: Ficha, day: dt.date) -> bool:
    """S5: manually inactivated, the client answered, and the 15 days have not passed."""
    if ficha.status != Ficha.Status.INACTIVE_MANUAL or ficha.inactivated_by_id is None:
        return False
    hold_until = clock.localdate(ficha.inactivated_at) + dt.timedelta(days=INACTIVATION_HOLD_DAYS)
    return bool(ficha.inactivation_answer) and day <= hold_until


# What a manager's exception releases on a ficha, for the rules where it changes an outcome
# (the other M1 overrides are manager actions with their own form: extend, validate,
# reassign, settle a commission).
EXCEPTION_EFFECTS = {
    "S5": "Libera a recontratação para qualquer atendente, sem esperar os 15 dias de quem "
    "inativou.",
    "S7": "Abona a dívida de menos de 1 ano: a recontratação pode seguir sem quitá-la.",
}


def exceptions_offered(obj) -> list[tuple[str, str]]:
    """M1: the rules a manager's exception would change on this record now, with what it
    changes; empty where an exception would change nothing."""
    if not isinstance(obj, Ficha) or not obj.is_inactive:
        return []
    day = clock.today()
    offered = []
    if s5_hold_applies(obj, day) and manager_exception(obj, "S5") is None:
        offered.append(("S5", EXCEPTION_EFFECTS["S5"]))
    if debt_split(obj, day)[1] and manager_exception(obj, "S7") is None:
        offered.append(("S7", EXCEPTION_EFFECTS["S7"]))
    return offered


def override_grant(obj, *, manager, rule_id: str, reason: str) -> Override:
    """M1 from a record's history: only a rule the exception changes something for."""
    offered = dict(exceptions_offered(obj))
    if has_role(manager, MANAGER) and rule_id not in offered:
        raise TransitionRefused(
            "Escolha uma das regras que a exceção pode liberar neste registro.", "M1"
        )
    return override_record(obj, manager=manager, rule_id=rule_id, reason=reason)


def _absent_owner_decision(owner, day, rule_for_hold, hold_reason) -> Decision | None:
    """S9: the owner absent or on vacation lets another seller close; who gets commission."""
    status = availability(owner, day)
    if status == AgentProfile.Status.VACATION:
        return Decision.allow(
            f"{person_name(owner)} está de férias: você pode fechar a venda e a comissão é sua.",
            rule_for_hold,
            "S9",
            commission_rule="S9",
            commission_to="closer",
        )
    if status == AgentProfile.Status.ABSENT:
        return Decision.allow(
            f"{person_name(owner)} está ausente: você pode fechar a venda; a comissão fica com "
            f"{person_name(owner)}, que fez a tratativa inicial.",
            rule_for_hold,
            "S9",
            commission_rule="S9",
            commission_to=owner,
        )
    return None


def may_sell(
    ficha: Ficha, product: Product, agent, at: dt.datetime | None = None, *, live=None
) -> Decision:
    """Who may sell `product` to `ficha` now: the one answer every page and flow uses.

    `live` (from `live_sale_agendamentos`) lets a page ask for many products in one query.
    """
    at = at or clock.now()
    day = clock.localdate(at)
    if not has_role(agent, *ATTENDANTS):
        return Decision.refuse("Seu perfil não permite vender.", "S1")
    if ficha.status == Ficha.Status.MERGED:
        return Decision.refuse("Esta ficha foi unificada em outra: venda na ficha mantida.", "G7")

    details = {}
    released = ""  # what a manager's exception (M1) released, said in the decision
    if ficha.is_inactive:
        waived, newer = debt_split(ficha, day)
        if newer:
            exception = manager_exception(ficha, "S7")
            if exception is None:
                total = sum(b.amount for b in newer)
                return Decision.refuse(
                    f"Recontratação com dívida de menos de 1 ano ({brl(total)}): o cliente "
                    "precisa quitar antes, ou um gestor abona.",
                    "S7",
                )
            released = f" {exception_text(exception)}"
        if waived:
            details = {"debt_waived": [b.pk for b in waived]}

    if ficha.status == Ficha.Status.INACTIVE_MANUAL:
        hold_until = clock.localdate(ficha.inactivated_at) + dt.timedelta(
            days=INACTIVATION_HOLD_DAYS
        )
        inactivator = ficha.inactivated_by
        if s5_hold_applies(ficha, day) and inactivator != agent:
            exception = manager_exception(ficha, "S5")
            if exception is not None:
                return Decision.allow(
                    f"A recontratação ficaria com {person_name(inactivator)} até "
                    f"{hold_until:%d/%m/%Y}, mas foi liberada: {exception_text(exception)}"
                    f"{released}",
                    "S5",
                    "M1",
                    **details,
                )
            absent = _absent_owner_decision(inactivator, day, "S5", "")
            if absent:
                return absent
            return Decision.refuse(
                f"Inativado manualmente por {person_name(inactivator)} há menos de 15 dias e o "
                f"cliente respondeu: passe o contato para {person_name(inactivator)} "
                f"(até {hold_until:%d/%m/%Y}).",
                "S5",
                route_to=inactivator,
            )
        rules = ("S5", "S7", "M1") if released else ("S5", "S7")
        return Decision.allow(
            f"Inativação manual: qualquer pessoa pode recontratar.{released}", *rules, **details
        )
    if ficha.status == Ficha.Status.INACTIVE_AUTO:
        rules = ("S6", "S7", "M1") if released else ("S6", "S7")
        return Decision.allow(
            f"Inativação automática: qualquer pessoa pode recontratar.{released}",
            *rules,
            **details,
        )

    live = live_sale_agendamentos(ficha) if live is None else live
    held = live_reservation(ficha, product, at, live)
    if held is not None and held.owner != agent:
        absent = _absent_owner_decision(held.owner, day, "S2", "")
        if absent:
            return absent
        return Decision.refuse(
            f"{person_name(held.owner)} tem agendamento com contato sobre {product} até "
            f"{held.due_date:%d/%m/%Y}: passe o cliente para {person_name(held.owner)} vender.",
            "S2",
            route_to=held.owner,
        )
    if held is not None:
        return Decision.allow("O agendamento com contato é seu: pode vender.", "S2", "S4")
    for ag in live:
        if ag.product_id != product.pk and ag.owner_id != agent.pk and reserves_sale(ag, at):
            return Decision.allow(
                f"{person_name(ag.owner)} tem agendamento sobre {ag.product}, não sobre {product}: "
                f"você pode vender {product}; o agendamento de {ag.product} continua com "
                f"{person_name(ag.owner)}.",
                "S3",
            )
    return Decision.allow(
        "Nenhum agendamento com contato dentro do prazo: quem atende resolve e vende.", "S2"
    )


def handoff_allows(triage: Triage, product: Product, seller) -> bool:
    """S8: the seller who took a 1º passo hand-off may close it, reserved or not."""
    return (
        triage.state == Triage.State.HANDED_OFF
        and triage.attendant_id == seller.pk
        and triage.product_id == product.pk
    )
