"""S2, G2, G6: agendamentos, their deadlines, renewals and the manager's actions."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from . import clock, timers
from .businessdays import add_business_days
from .engine import transition
from .models import (
    Agendamento,
    AgendamentoKind,
    Ficha,
    Movimentacao,
    Product,
)
from .movimentacoes import movimentacao_log
from .overrides import override_record
from .refusals import INPUT, TransitionRefused
from .roles import ATTENDANTS, has_role
from .selectors import live_agendamentos
from .validators import date_range_problem, is_placeholder

S2_BUSINESS_DAYS = 2

MAX_DAYS_OUT = 7

SUMMARIES = {
    AgendamentoKind.SALE_WITH_CONTACT: "#venda em andamento",
    AgendamentoKind.SALE_WITHOUT_CONTACT: "# Tentativa – contato suporte/retorno dúvida",
    AgendamentoKind.WITHOUT_CONTACT: "# Tentativa – contato suporte/retorno dúvida",
    AgendamentoKind.ONBOARDING: "#onboarding 1º contato",
    AgendamentoKind.SUPPORT: "#suporte",
}

EXPIRY_HANDLER = "workflows.agendamentos.expire_agendamento"


def expires_at(ag: Agendamento) -> dt.datetime:
    """An agendamento holds through the whole of its due date (local time)."""
    next_day = ag.due_date + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(next_day, dt.time.min))


def reserves_sale(ag: Agendamento, at: dt.datetime | None = None) -> bool:
    """S2: does this agendamento still keep the client's sale of its product for its owner?

    Only a live `#venda/tratativas com contato` inside its deadline reserves; without contact,
    onboarding, support and inactivation agendamentos never do (S2, S8), nor one set more than
    7 days out unless a manager validated it.
    """
    day = clock.localdate(at or clock.now())
    set_days_out = (ag.scheduled_for - clock.localdate(ag.created_at)).days
    return (
        ag.is_live
        and ag.with_contact
        and not ag.is_inactivation
        and day <= ag.due_date
        and (set_days_out <= MAX_DAYS_OUT or ag.manager_validated)
    )


def live_sale_agendamentos(ficha: Ficha, live=None) -> list[Agendamento]:
    """The live `com contato` agendamentos: the only ones that may reserve (S2). `live`: the
    ficha's live agendamentos when the caller already has them."""
    live = live_agendamentos(ficha) if live is None else live
    return [ag for ag in live if ag.kind == AgendamentoKind.SALE_WITH_CONTACT]


def live_reservation(ficha: Ficha, product: Product, at=None, live=None) -> Agendamento | None:
    live = live_sale_agendamentos(ficha) if live is None else live
    return next((ag for ag in live if ag.product_id == product.pk and reserves_sale(ag, at)), None)


def _arm_expiry(ag: Agendamento) -> None:
    timers.arm(ag, "expiry", expires_at(ag), EXPIRY_HANDLER)


def agendamento_open(
    ficha: Ficha,
    *,
    owner,
    kind: str,
    product: Product | None,
    channel: str,
    text: str,
    bitrix_link: str = "",
    outcome: str = Movimentacao.Outcome.TALKED,
    scheduled_for: dt.date | None = None,
    is_inactivation: bool = False,
    boleto_alert_given: bool = False,
) -> Agendamento:
    """Open a follow-up (G6 type, S2 deadline, a product) with the movimentação that starts it.

    The ficha row is locked so two agents cannot both reserve the same client and product.
    """
    if kind not in AgendamentoKind.values:
        raise TransitionRefused("Escolha um dos tipos de agendamento existentes.", "G6")
    if product is None:
        raise TransitionRefused("Informe o produto/serviço a que o agendamento se refere.", "S2")
    if not has_role(owner, *ATTENDANTS):
        raise TransitionRefused("Seu perfil não permite abrir agendamentos.", "S2")
    today = clock.today()
    due = add_business_days(today, S2_BUSINESS_DAYS)
    scheduled_for = scheduled_for or due
    _check_date(scheduled_for, "scheduled_for")
    if scheduled_for < today:
        raise TransitionRefused("A data do agendamento não pode estar no passado.", "S2")
    with transaction.atomic():
        ficha = Ficha.objects.select_for_update().get(pk=ficha.pk)
        held = live_reservation(ficha, product)
        if held and held.owner != owner and kind == AgendamentoKind.SALE_WITH_CONTACT:
            raise TransitionRefused(
                f"{held.owner.get_full_name() or held.owner} já tem agendamento com contato "
                f"sobre {product} até {held.due_date:%d/%m/%Y}.",
                "S2",
            )
        ag = Agendamento.objects.create(
            ficha=ficha,
            kind=kind,
            product=product,
            owner=owner,
            is_inactivation=is_inactivation,
            created_at=clock.now(),
            scheduled_for=scheduled_for,
            due_date=max(due, scheduled_for) if kind not in _S2_KINDS else due,
            summary=SUMMARIES[kind],
        )
        movimentacao_log(
            ficha,
            author=owner,
            channel=channel,
            reason=Movimentacao.Reason.FOLLOW_UP,
            outcome=outcome,
            text=f"{ag.summary} — {text.strip()}" if not is_placeholder(text) else text,
            bitrix_link=bitrix_link,
            product=product,
            agendamento=ag,
            boleto_alert_given=boleto_alert_given,
            starts_tratativa=True,
        )
        _arm_expiry(ag)
    return ag


def _check_date(day: dt.date, field: str) -> None:
    """A date out of the sane range is refused before any deadline is computed from it."""
    problem = date_range_problem(day)
    if problem:
        raise TransitionRefused(problem, "S2", kind=INPUT, field=field)


_S2_KINDS = (
    AgendamentoKind.SALE_WITH_CONTACT,
    AgendamentoKind.SALE_WITHOUT_CONTACT,
    AgendamentoKind.WITHOUT_CONTACT,
)


def agendamento_renew(ag: Agendamento, *, actor) -> Agendamento:
    """S2: `com contato` renews once by 4 business days, never past 6 from creation."""
    with transaction.atomic():
        ag = transition(ag, "renew", actor=actor, reason="renovação por mais 4 dias úteis")
        _arm_expiry(ag)
    return ag


def agendamento_extend(ag: Agendamento, *, manager, due_date: dt.date, reason: str):
    """M1: a manager extends an agendamento (the only way past S2's limits)."""
    _check_date(due_date, "due_date")
    with transaction.atomic():
        ag = transition(ag, "extend", actor=manager, reason=reason, due_date=due_date)
        override_record(ag, manager=manager, rule_id="S2", reason=reason, due_date=str(due_date))
        _arm_expiry(ag)
    return ag


def agendamento_validate(ag: Agendamento, *, manager, reason: str) -> Agendamento:
    """M1: a manager validates an agendamento set more than 7 days out, so it reserves (S2)."""
    with transaction.atomic():
        ag = transition(ag, "validate", actor=manager, reason=reason)
        override_record(ag, manager=manager, rule_id="S2", reason=reason, validated=True)
        _arm_expiry(ag)
    return ag


def agendamento_reassign(ag: Agendamento, *, manager, owner, reason: str) -> Agendamento:
    """M1: a manager hands an agendamento to another attendant."""
    with transaction.atomic():
        ag = transition(ag, "reassign", actor=manager, reason=reason, owner=owner)
        override_record(ag, manager=manager, rule_id="M1", reason=reason, owner=owner.pk)
    return ag


def agendamento_cancel(ag: Agendamento, *, manager, reason: str) -> Agendamento:
    """M1: a manager cancels an agendamento (e.g. opened on the wrong ficha)."""
    with transaction.atomic():
        ag = transition(ag, "cancel", actor=manager, reason=reason)
        timers.disarm(ag, "expiry")
    return ag


def agendamento_conclude(ag: Agendamento, *, actor, text: str, channel="phone", by_sale=None):
    """G2: concluding writes a movimentação that says what was done."""
    with transaction.atomic():
        ag = transition(ag, "conclude", actor=actor, reason=text, text=text, by_sale=by_sale)
        Movimentacao.objects.create(
            ficha=ag.ficha,
            author=actor,
            at=clock.now(),
            channel=channel,
            reason=Movimentacao.Reason.SALE if by_sale else Movimentacao.Reason.FOLLOW_UP,
            outcome=Movimentacao.Outcome.RESOLVED,
            text=text.strip(),
            product=ag.product,
            agendamento=ag,
        )
        timers.disarm(ag, "expiry")
    return ag


# S2 timer handler: past its deadline the agendamento stops reserving the client.
expire_agendamento = timers.event_handler("expire", "prazo do agendamento vencido")
