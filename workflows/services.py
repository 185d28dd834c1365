"""The sales rulebook as plain functions: movimentações, agendamentos, the ownership oracle,
sales, inactivation, manager overrides. Views call these; rules are named by ID."""

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from . import clock, timers
from .businessdays import add_business_days, carnaval_days
from .compiled import compiled
from .engine import Decision, TransitionRefused, transition
from .formatting import brl
from .models import (
    Agendamento,
    AgendamentoKind,
    AgentProfile,
    Boleto,
    CompanyHoliday,
    DataChangeRequest,
    Ficha,
    Movimentacao,
    Orcamento,
    OrcamentoItem,
    Override,
    Product,
    Sale,
    Triage,
    with_names,
)
from .roles import AGENT, CENTRAL, MANAGER, SELLER, SUPPORT, has_role
from .rules import RULES
from .validators import (
    is_placeholder,
    normalize_document,
    only_digits,
    validate_meaningful_text,
)

ATTENDANT_ROLES = (AGENT, SELLER, SUPPORT, CENTRAL, MANAGER)

# --- M1 overrides, company calendar -------------------------------------------------------


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


def seed_company_calendar(years) -> int:
    """Close the company on Carnaval (Mon+Tue) for the given years; returns days added."""
    added = 0
    for year in years:
        for day, name in carnaval_days(year).items():
            _, created = CompanyHoliday.objects.get_or_create(date=day, defaults={"name": name})
            added += created
    return added


# --- G1, G3, G4: movimentações -------------------------------------------------------------

BITRIX_PATHS = {
    "conversa": re.compile(r"^/online/?$"),
    "tarefa": re.compile(r"^/(company/personal/user|workgroups/group)/\d+/tasks/task/view/\d+/?$"),
    "negócio": re.compile(r"^/crm/(deal|lead|contact|company)/details/\d+/?$"),
    "card": re.compile(r"^/crm/type/\d+/details/\d+/?$"),
}


def bitrix_link_kind(url: str) -> str:
    """G3: the kind of a Bitrix24 link (conversa, tarefa, negócio, card) or a pt-BR refusal."""
    parts = urlsplit((url or "").strip())
    host = settings.BITRIX_PORTAL_HOST
    if parts.scheme != "https" or parts.hostname != host:
        raise TransitionRefused(
            f"Link do Bitrix inválido: use o endereço https://{host}/… da conversa, tarefa, "
            "negócio ou card.",
            "G3",
        )
    for kind, pattern in BITRIX_PATHS.items():
        if pattern.match(parts.path):
            if kind == "conversa" and not parse_qs(parts.query).get("IM_DIALOG"):
                break
            return kind
    raise TransitionRefused(
        "Link do Bitrix não reconhecido: cole o link da conversa, tarefa, negócio ou card.", "G3"
    )


def refuse_if_merged(ficha: Ficha) -> None:
    """G7: a ficha closed by a merge takes no new records (a page opened before the merge
    must not write to it); they belong on the kept ficha."""
    merged_into = (
        Ficha.objects.filter(pk=ficha.pk, status=Ficha.Status.MERGED)
        .values_list("merged_into_id", flat=True)
        .first()
    )
    if merged_into is not None:
        raise TransitionRefused(
            f"Esta ficha foi unificada na ficha nº {merged_into}: registre lá.", "G7"
        )


def log_movimentacao(
    ficha: Ficha,
    *,
    author,
    channel: str,
    reason: str,
    outcome: str,
    text: str,
    bitrix_link: str = "",
    product: Product | None = None,
    agendamento: Agendamento | None = None,
    boleto_alert_given: bool = False,
    starts_tratativa: bool | None = None,
) -> Movimentacao:
    """G1: a complete record of one contact. G3: the first interaction of a tratativa carries
    the Bitrix link (by default, any contact not logged inside an existing agendamento).
    G4: the client is told of open boletos."""
    if starts_tratativa is None:
        starts_tratativa = agendamento is None
    if is_placeholder(text):
        raise TransitionRefused(
            "Descreva o contato: texto vazio ou reticências (“...”, “[...]”) não valem.", "G1"
        )
    for value, choices, label in [
        (channel, Movimentacao.Channel, "canal"),
        (reason, Movimentacao.Reason, "motivo"),
        (outcome, Movimentacao.Outcome, "resultado"),
    ]:
        if value not in choices.values:
            raise TransitionRefused(f"Escolha o {label} do contato.", "G1")
    talked = outcome != Movimentacao.Outcome.NO_ANSWER
    if bitrix_link:
        bitrix_link_kind(bitrix_link)
    elif talked and starts_tratativa:
        raise TransitionRefused(
            "Cole o link do Bitrix (conversa, tarefa, negócio ou card) já na primeira "
            "interação, não no final da tratativa.",
            "G3",
        )
    refuse_if_merged(ficha)
    if talked and not boleto_alert_given and ficha.open_boletos().exists():
        raise TransitionRefused(
            "Esta ficha tem boletos em aberto: avise o cliente e marque que ele foi avisado.",
            "G4",
        )
    return Movimentacao.objects.create(
        ficha=ficha,
        author=author,
        at=clock.now(),
        channel=channel,
        reason=reason,
        outcome=outcome,
        text=text.strip(),
        bitrix_link=bitrix_link.strip(),
        product=product,
        agendamento=agendamento,
        boleto_alert_given=boleto_alert_given,
    )


# --- S2, G2, G6: agendamentos -------------------------------------------------------------

S2_BUSINESS_DAYS = 2
MAX_DAYS_OUT = 7
SUMMARIES = {
    AgendamentoKind.SALE_WITH_CONTACT: "#venda em andamento",
    AgendamentoKind.SALE_WITHOUT_CONTACT: "# Tentativa – contato suporte/retorno dúvida",
    AgendamentoKind.WITHOUT_CONTACT: "# Tentativa – contato suporte/retorno dúvida",
    AgendamentoKind.ONBOARDING: "#onboarding 1º contato",
    AgendamentoKind.SUPPORT: "#suporte",
}
EXPIRY_HANDLER = "workflows.services.expire_agendamento"


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


def live_agendamentos(ficha: Ficha) -> list[Agendamento]:
    """The ficha's live agendamentos, with what the ficha page and the S9 check read."""
    live = _live_agendamentos_of_ficha(ficha.pk)
    for ag in live:
        ag.ficha = ficha  # as the ficha's related manager would
    return live


@compiled
def _live_agendamentos_of_ficha(ficha_pk):
    return Agendamento.objects.filter(ficha_id=ficha_pk, state__in=Agendamento.LIVE).select_related(
        "owner__agent_profile", "product"
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


def open_agendamento(
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
    if not has_role(owner, *ATTENDANT_ROLES):
        raise TransitionRefused("Seu perfil não permite abrir agendamentos.", "S2")
    today = clock.today()
    due = add_business_days(today, S2_BUSINESS_DAYS)
    scheduled_for = scheduled_for or due
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
        log_movimentacao(
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


_S2_KINDS = (
    AgendamentoKind.SALE_WITH_CONTACT,
    AgendamentoKind.SALE_WITHOUT_CONTACT,
    AgendamentoKind.WITHOUT_CONTACT,
)


def renew_agendamento(ag: Agendamento, *, actor) -> Agendamento:
    """S2: `com contato` renews once by 4 business days, never past 6 from creation."""
    with transaction.atomic():
        ag = transition(ag, "renew", actor=actor, reason="renovação por mais 4 dias úteis")
        _arm_expiry(ag)
    return ag


def extend_agendamento(ag: Agendamento, *, manager, due_date: dt.date, reason: str):
    """M1: a manager extends an agendamento (the only way past S2's limits)."""
    with transaction.atomic():
        ag = transition(ag, "extend", actor=manager, reason=reason, due_date=due_date)
        record_override(ag, manager=manager, rule_id="S2", reason=reason, due_date=str(due_date))
        _arm_expiry(ag)
    return ag


def validate_agendamento(ag: Agendamento, *, manager, reason: str) -> Agendamento:
    """M1: a manager validates an agendamento set more than 7 days out, so it reserves (S2)."""
    with transaction.atomic():
        ag = transition(ag, "validate", actor=manager, reason=reason)
        record_override(ag, manager=manager, rule_id="S2", reason=reason, validated=True)
        _arm_expiry(ag)
    return ag


def reassign_agendamento(ag: Agendamento, *, manager, owner, reason: str) -> Agendamento:
    """M1: a manager hands an agendamento to another attendant."""
    with transaction.atomic():
        ag = transition(ag, "reassign", actor=manager, reason=reason, owner=owner)
        record_override(ag, manager=manager, rule_id="M1", reason=reason, owner=owner.pk)
    return ag


def cancel_agendamento(ag: Agendamento, *, manager, reason: str) -> Agendamento:
    """M1: a manager cancels an agendamento (e.g. opened on the wrong ficha)."""
    with transaction.atomic():
        ag = transition(ag, "cancel", actor=manager, reason=reason)
        timers.disarm(ag, "expiry")
    return ag


def conclude_agendamento(ag: Agendamento, *, actor, text: str, channel="phone", by_sale=None):
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


# --- Availability (S8, S9) ----------------------------------------------------------------


def availability(user, day: dt.date | None = None) -> str:
    """S9: the user's situation on `day`; no query when the profile came with the user
    (`select_related("owner__agent_profile")`)."""
    try:
        profile = user.agent_profile
    except AgentProfile.DoesNotExist:
        return AgentProfile.Status.AVAILABLE
    return profile.status_on(day or clock.today())


def set_availability(user, status: str, vacation_from=None, vacation_until=None) -> AgentProfile:
    if status not in AgentProfile.Status.values:
        raise TransitionRefused("Escolha uma situação válida.", "S9")
    if status == AgentProfile.Status.VACATION and not (vacation_from and vacation_until):
        raise TransitionRefused("Informe o início e o fim das férias.", "S9")
    if vacation_from and vacation_until and vacation_until < vacation_from:
        raise TransitionRefused("O fim das férias vem antes do início.", "S9")
    profile, _ = AgentProfile.objects.update_or_create(
        user=user,
        defaults={
            "status": status,
            "vacation_from": vacation_from,
            "vacation_until": vacation_until,
        },
    )
    user.agent_profile = profile  # later reads through this user see the new situation
    return profile


# --- The ownership oracle (S2–S9) ---------------------------------------------------------

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


def _name(user) -> str:
    return user.get_full_name() or user.username


def _absent_owner_decision(owner, day, rule_for_hold, hold_reason) -> Decision | None:
    """S9: the owner absent or on vacation lets another seller close; who gets commission."""
    status = availability(owner, day)
    if status == AgentProfile.Status.VACATION:
        return Decision.allow(
            f"{_name(owner)} está de férias: você pode fechar a venda e a comissão é sua.",
            rule_for_hold,
            "S9",
            commission_rule="S9",
            commission_to="closer",
        )
    if status == AgentProfile.Status.ABSENT:
        return Decision.allow(
            f"{_name(owner)} está ausente: você pode fechar a venda; a comissão fica com "
            f"{_name(owner)}, que fez a tratativa inicial.",
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
    if not has_role(agent, *ATTENDANT_ROLES):
        return Decision.refuse("Seu perfil não permite vender.", "S1")
    if ficha.status == Ficha.Status.MERGED:
        return Decision.refuse("Esta ficha foi unificada em outra: venda na ficha mantida.", "G7")

    details = {}
    if ficha.is_inactive:
        waived, newer = debt_split(ficha, day)
        if newer and not Override.for_object(ficha).filter(rule_id="S7").exists():
            total = sum(b.amount for b in newer)
            return Decision.refuse(
                f"Recontratação com dívida de menos de 1 ano (R$ {total:.2f}): o cliente "
                "precisa quitar antes, ou um gestor abona.",
                "S7",
            )
        if waived:
            details = {"debt_waived": [b.pk for b in waived]}

    if ficha.status == Ficha.Status.INACTIVE_MANUAL:
        hold_until = clock.localdate(ficha.inactivated_at) + dt.timedelta(
            days=INACTIVATION_HOLD_DAYS
        )
        inactivator = ficha.inactivated_by
        if (
            ficha.inactivation_answer
            and day <= hold_until
            and inactivator is not None
            and inactivator != agent
        ):
            absent = _absent_owner_decision(inactivator, day, "S5", "")
            if absent:
                return absent
            return Decision.refuse(
                f"Inativado manualmente por {_name(inactivator)} há menos de 15 dias e o "
                f"cliente respondeu: passe o contato para {_name(inactivator)} "
                f"(até {hold_until:%d/%m/%Y}).",
                "S5",
                route_to=inactivator,
            )
        return Decision.allow(
            "Inativação manual: qualquer pessoa pode recontratar.", "S5", "S7", **details
        )
    if ficha.status == Ficha.Status.INACTIVE_AUTO:
        return Decision.allow(
            "Inativação automática: qualquer pessoa pode recontratar.", "S6", "S7", **details
        )

    live = live_sale_agendamentos(ficha) if live is None else live
    held = live_reservation(ficha, product, at, live)
    if held is not None and held.owner != agent:
        absent = _absent_owner_decision(held.owner, day, "S2", "")
        if absent:
            return absent
        return Decision.refuse(
            f"{_name(held.owner)} tem agendamento com contato sobre {product} até "
            f"{held.due_date:%d/%m/%Y}: passe o cliente para {_name(held.owner)} vender.",
            "S2",
            route_to=held.owner,
        )
    if held is not None:
        return Decision.allow("O agendamento com contato é seu: pode vender.", "S2", "S4")
    for ag in live:
        if ag.product_id != product.pk and ag.owner_id != agent.pk and reserves_sale(ag, at):
            return Decision.allow(
                f"{_name(ag.owner)} tem agendamento sobre {ag.product}, não sobre {product}: "
                f"você pode vender {product}; o agendamento de {ag.product} continua com "
                f"{_name(ag.owner)}.",
                "S3",
            )
    return Decision.allow(
        "Nenhum agendamento com contato dentro do prazo: quem atende resolve e vende.", "S2"
    )


# --- Sales (S1, S4, S7, S9, G4) -----------------------------------------------------------


def sell(
    ficha: Ficha,
    product: Product,
    seller,
    *,
    quantity: int = 1,
    discount: Decimal = Decimal("0"),
    from_campaign: bool = False,
    boleto_charge_noted: bool = False,
    channel: str = Movimentacao.Channel.PHONE,
    contractor_name: str = "",
    contractor_email: str = "",
    data_confirmed: bool = False,
    request_token: str | None = None,
    commission_flag: str = "",
    handoff: Triage | None = None,
) -> Sale:
    """Record a sale the oracle allows, with its commission and the rules that applied.

    Locks the ficha, so two agents cannot both win the same client at the same instant;
    `request_token` makes a double-clicked form record one sale.
    """
    discount = Decimal(discount or 0)
    if quantity < 1:
        raise TransitionRefused("A quantidade mínima é 1.", "S1")
    if discount < 0:
        raise TransitionRefused("O desconto não pode ser negativo.", "S7")
    if not data_confirmed:
        raise TransitionRefused(
            "Confirme os dados do cliente antes de contratar (S1: qualquer pessoa pode "
            "contratar desde que confirme os dados corretamente).",
            "S1",
        )
    if contractor_name and is_placeholder(contractor_name):
        raise TransitionRefused("Informe o nome de quem está contratando.", "S1")
    with transaction.atomic():
        if request_token and Sale.objects.filter(request_token=request_token).exists():
            return Sale.objects.get(request_token=request_token)
        ficha = Ficha.objects.select_for_update().get(pk=ficha.pk)
        decision = may_sell(ficha, product, seller)
        if handoff is not None and handoff_allows(handoff, product, seller):
            owner = handoff.reserved_by.owner if handoff.reserved_by else None
            if owner is not None and owner != seller:
                commission_flag = commission_flag or (
                    f"Venda pelo 1º passo: agendamento de {_name(owner)}, venda de "
                    f"{_name(seller)}. Comissão a definir pelo gestor (S8)."
                )
            if not decision:
                decision = Decision.allow("Cliente repassado pelo 1º passo.", "S8")
        if not decision:
            raise TransitionRefused.from_decision(decision)
        waived_ids = decision.details.get("debt_waived", [])
        if waived_ids and discount > 0 and not from_campaign:
            raise TransitionRefused(
                "Recontratação com dívida abonada não pode ter desconto, exceto vinda de "
                "campanha (disparo).",
                "S7",
            )
        open_boletos = ficha.open_boletos().exclude(pk__in=waived_ids)
        if open_boletos.exists() and not boleto_charge_noted:
            raise TransitionRefused(
                "O cliente tem boletos em aberto: a venda pode seguir, mas registre que você "
                "o cobrou educadamente.",
                "G4",
            )
        gross = product.unit_price * quantity
        if discount > gross:
            raise TransitionRefused("O desconto não pode passar do valor da venda.", "S7")
        commission_to = decision.details.get("commission_to")
        commission_to = seller if commission_to in (None, "closer") else commission_to
        commission_rule = decision.details.get("commission_rule", "S4")
        now = clock.now()
        sale = Sale.objects.create(
            ficha=ficha,
            product=product,
            seller=seller,
            at=now,
            quantity=quantity,
            unit_price=product.unit_price,
            discount=discount,
            total=gross - discount,
            from_campaign=from_campaign,
            debt_waived=bool(waived_ids),
            boleto_charge_noted=boleto_charge_noted,
            commission_to=commission_to,
            commission_rule=commission_rule,
            commission_reason=(commission_flag or decision.reason)[:200],
            contractor_name=contractor_name.strip(),
            contractor_email=contractor_email.strip(),
            data_confirmed=True,
            request_token=request_token or None,
        )
        if waived_ids:
            Boleto.objects.filter(pk__in=waived_ids).update(waived_at=now)
        if ficha.is_inactive:
            transition(ficha, "recontract", actor=seller, reason=decision.reason)
        ficha.products.add(product)
        if commission_flag:
            transition(sale, "flag", actor=seller, reason=commission_flag, rule_ids=("S8",))
        else:
            transition(
                sale,
                "assign",
                actor=seller,
                reason=sale.commission_reason,
                rule_ids=(commission_rule,),
            )
        text = f"Venda de {product} (quantidade {quantity}, total R$ {sale.total:.2f})."
        if open_boletos.exists():
            text += " Cliente cobrado educadamente pelos boletos em aberto (G4)."
        if contractor_name:
            text += f" Contratado por terceiro: {contractor_name} (S1)."
        Movimentacao.objects.create(
            ficha=ficha,
            author=seller,
            at=now,
            channel=channel,
            reason=Movimentacao.Reason.SALE,
            outcome=Movimentacao.Outcome.RESOLVED,
            text=text,
            product=product,
            boleto_alert_given=open_boletos.exists(),
        )
        transaction.on_commit(lambda: send_contract_copy(sale))
        for ag in ficha.agendamentos.filter(product=product, state__in=Agendamento.LIVE):
            conclude_agendamento(
                ag,
                actor=seller,
                text=f"Concluído pela venda de {product} (S4).",
                channel=channel,
                by_sale=sale,
            )
    return sale


def settle_commission(sale: Sale, *, manager, commission_to, reason: str) -> Sale:
    """M1: a manager settles a contested commission (S8 hand-offs, S9)."""
    with transaction.atomic():
        sale = transition(sale, "settle", actor=manager, reason=reason, commission_to=commission_to)
        record_override(
            sale, manager=manager, rule_id="M1", reason=reason, commission_to=commission_to.pk
        )
    return sale


# --- Inactivation (S5, S6) ----------------------------------------------------------------


def inactivate_manually(ficha: Ficha, *, actor, reason: str) -> Ficha:
    return transition(ficha, "inactivate_manually", actor=actor, reason=reason)


def record_inactivation_answer(ficha: Ficha, *, actor, answer: str) -> Ficha:
    """S5 reading: the 15-day hold applies only once the client's answer is recorded."""
    return transition(
        ficha, "record_inactivation_answer", actor=actor, reason=answer, answer=answer
    )


def sellers_available(exclude=None):
    """Attendants who can take a client now (S8 hand-off, S9)."""
    from django.contrib.auth import get_user_model

    day = clock.today()
    users = get_user_model().objects.filter(groups__name=SELLER, is_active=True).distinct()
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return [u for u in users if availability(u, day) == AgentProfile.Status.AVAILABLE]


# --- S1: third parties ------------------------------------------------------------------------

HOLDER_LINK_SALT = "workflows.s1.holder"
HOLDER_LINK_HOURS = 72


def send_contract_copy(sale: Sale) -> int:
    """S1: a copy of what was contracted goes to the contractor and the administrator."""
    recipients = sorted({e for e in (sale.contractor_email, sale.ficha.email) if e})
    if not recipients:
        return 0
    lines = [
        f"Cliente: {sale.ficha.name} ({sale.ficha.document_display})",
        f"Produto: {sale.product} — quantidade {sale.quantity}",
        f"Valor: R$ {sale.total:.2f}".replace(".", ","),
        f"Atendente: {_name(sale.seller)} em {timezone.localtime(sale.at):%d/%m/%Y %H:%M}",
    ]
    if sale.contractor_name:
        lines.append(f"Contratado por: {sale.contractor_name}")
    return send_mail(
        f"Cópia da contratação: {sale.product}",
        "Olá,\n\nSegue a cópia da contratação registrada:\n\n" + "\n".join(lines),
        None,
        recipients,
    )


def _clean_sensitive(field: str, value: str) -> str:
    value = (value or "").strip()
    try:
        if field == "document":
            return normalize_document(value)
        if field == "email":
            validate_email(value)
            return value.lower()
    except ValidationError as error:
        raise TransitionRefused(error.messages[0], "S1") from None
    if field == "oab" and len(only_digits(value)) < 3:
        raise TransitionRefused("Informe a OAB com número e UF (ex.: SP 123.456).", "S1")
    if is_placeholder(value):
        raise TransitionRefused("Informe o novo valor.", "S1")
    return value


def propose_sensitive_change(ficha: Ficha, *, field: str, new_value: str, actor, third_party: str):
    """S1: a third party's change of data that shifts responsibility waits for the holder, who
    gets a signed link that expires in 72 h; nothing on the ficha changes until then."""
    if field not in DataChangeRequest.SENSITIVE_FIELDS:
        raise TransitionRefused("Escolha qual dado sensível o terceiro quer alterar.", "S1")
    if is_placeholder(third_party):
        raise TransitionRefused("Informe quem (o terceiro) pediu a alteração.", "S1")
    if not has_role(actor, *ATTENDANT_ROLES):
        raise TransitionRefused("Seu perfil não permite registrar alterações.", "S1")
    if not ficha.email:
        raise TransitionRefused(
            "A ficha não tem e-mail do titular para validar: a alteração precisa ser feita "
            "com o titular.",
            "S1",
        )
    new_value = _clean_sensitive(field, new_value)
    old_value = getattr(ficha, field)
    if new_value == old_value:
        raise TransitionRefused("O valor proposto é igual ao atual.", "S1")
    now = clock.now()
    with transaction.atomic():
        change = DataChangeRequest.objects.create(
            ficha=ficha,
            field=field,
            old_value=old_value,
            new_value=new_value,
            proposed_by=actor,
            third_party=third_party.strip(),
            sent_to=ficha.email,
            created_at=now,
            expires_at=now + dt.timedelta(hours=HOLDER_LINK_HOURS),
        )
        timers.arm(change, "expiry", change.expires_at, "workflows.services.expire_data_change")
        transaction.on_commit(lambda: _mail_holder(change))
    return change


def holder_token(change: DataChangeRequest) -> str:
    return signing.dumps(change.pk, salt=HOLDER_LINK_SALT)


def change_from_token(token: str) -> DataChangeRequest:
    """The request a holder's link points to, or TransitionRefused if forged or too old."""
    try:
        pk = signing.loads(token, salt=HOLDER_LINK_SALT, max_age=HOLDER_LINK_HOURS * 3600)
    except signing.SignatureExpired:
        raise TransitionRefused("Este link expirou. Peça um novo ao atendimento.", "S1") from None
    except signing.BadSignature:
        raise TransitionRefused("Link inválido.", "S1") from None
    change = DataChangeRequest.objects.filter(pk=pk).select_related("ficha").first()
    if change is None:
        raise TransitionRefused("Link inválido.", "S1")
    return change


def _mail_holder(change: DataChangeRequest) -> None:
    url = settings.SITE_URL + reverse("holder_validation", args=[holder_token(change)])
    send_mail(
        "Confirme a alteração dos seus dados",
        f"Olá, {change.ficha.name}.\n\n{change.third_party} pediu para alterar "
        f"{change.get_field_display()} de “{change.old_value}” para “{change.new_value}”.\n"
        f"Só fazemos a alteração com a sua confirmação. Confirme ou recuse em até "
        f"{HOLDER_LINK_HOURS} horas:\n{url}\n\nSe você não reconhece este pedido, recuse.",
        None,
        [change.sent_to],
    )


def decide_data_change(change: DataChangeRequest, *, confirm: bool) -> DataChangeRequest:
    """S1: the holder's answer; confirming applies the change to the ficha."""
    with transaction.atomic():
        if change_expired(change):
            raise TransitionRefused("Este pedido expirou. Peça um novo ao atendimento.", "S1")
        event = "confirm" if confirm else "reject"
        change = transition(change, event, actor=None, reason="resposta do titular pelo link")
        if confirm:
            ficha = Ficha.objects.select_for_update().get(pk=change.ficha_id)
            setattr(ficha, change.field, change.new_value)
            ficha.save(update_fields=[change.field])
        timers.disarm(change, "expiry")
    return change


def change_expired(change: DataChangeRequest) -> bool:
    return change.expires_at <= clock.now()


# S1 timer handler: the holder did not confirm the change in time.
expire_data_change = timers.event_handler("expire", "titular não respondeu em 72 horas")


# --- S8: receptive sale triage ----------------------------------------------------------------

OWNER_OFFER_HANDLER = "workflows.services.owner_offer_expired"


def handoff_allows(triage: Triage, product: Product, seller) -> bool:
    """S8: the seller who took a 1º passo hand-off may close it, reserved or not."""
    return (
        triage.state == Triage.State.HANDED_OFF
        and triage.attendant_id == seller.pk
        and triage.product_id == product.pk
    )


def _triage_note(triage: Triage, author, text: str, outcome=Movimentacao.Outcome.TALKED):
    return Movimentacao.objects.create(
        ficha=triage.ficha,
        author=author,
        at=clock.now(),
        channel=triage.channel,
        reason=Movimentacao.Reason.SALE,
        outcome=outcome,
        text=text,
        product=triage.product,
    )


def start_triage(
    ficha: Ficha,
    *,
    agent,
    product: Product,
    channel: str,
    text: str,
    bitrix_link: str = "",
    boleto_alert_given: bool = False,
) -> Triage:
    """S8 1º passo: open the ficha (G4 alert, G3 link) and consult the oracle. A live
    `com contato` agendamento of someone else (present) → offer the client to its owner for
    the configured minutes; otherwise → 2º passo, the attending agent sells now."""
    if not has_role(agent, *ATTENDANT_ROLES):
        raise TransitionRefused("Seu perfil não atende clientes.", "S8")
    if is_placeholder(text):
        raise TransitionRefused("Descreva o que o cliente pediu.", "G1")
    with transaction.atomic():
        log_movimentacao(
            ficha,
            author=agent,
            channel=channel,
            reason=Movimentacao.Reason.SALE,
            outcome=Movimentacao.Outcome.TALKED,
            text=f"Cliente entrou em contato sobre {product}: {text.strip()}",
            bitrix_link=bitrix_link,
            product=product,
            boleto_alert_given=boleto_alert_given,
            starts_tratativa=True,
        )
        triage = Triage.objects.create(
            ficha=ficha, product=product, channel=channel, started_by=agent, context=text.strip()
        )
        held = live_reservation(ficha, product)
        owner_present = held is not None and availability(held.owner) not in (
            AgentProfile.Status.ABSENT,
            AgentProfile.Status.VACATION,
        )
        if held is not None and held.owner != agent and owner_present:
            expires = clock.now() + dt.timedelta(minutes=settings.S8_OWNER_MINUTES)
            reason = (
                f"1º passo: {_name(held.owner)} tem agendamento com contato sobre {product} "
                f"até {held.due_date:%d/%m/%Y}: cliente oferecido a {_name(held.owner)} por "
                f"{settings.S8_OWNER_MINUTES} minutos."
            )
            transition(
                triage,
                "route_to_owner",
                actor=agent,
                reason=reason,
                rule_ids=("S2",),
                agendamento=held,
                expires_at=expires,
            )
            timers.arm(triage, "owner-offer", expires, OWNER_OFFER_HANDLER)
            _triage_note(triage, agent, reason)
        else:
            reason = (
                "2º passo: sem agendamento com contato de outro vendedor dentro do prazo: "
                "faça a venda agora."
            )
            if held is not None and held.owner != agent:
                reason = (
                    f"2º passo: {_name(held.owner)} está ausente ou de férias (S9): você pode "
                    "fechar a venda."
                )
            transition(triage, "sell_now", actor=agent, reason=reason, rule_ids=("S2",))
    triage.refresh_from_db()
    return triage


def owner_offer_expired(triage: Triage) -> None:
    """S8 timer: the owner did not accept in time → the client goes to any free seller."""
    transition(triage, "owner_silent", actor=None, reason="dono do agendamento não respondeu")
    _triage_note(
        triage,
        None,
        "1º passo: o dono do agendamento não respondeu a tempo; cliente repassado ao comercial "
        "(qualquer vendedor disponível).",
    )


def accept_triage(triage: Triage, *, actor) -> Triage:
    """The owner accepts the offer, or a seller takes a waiting client; only one wins."""
    with transaction.atomic():
        event = "owner_accepts" if triage.state == Triage.State.OFFERED_TO_OWNER else "seller_takes"
        triage = transition(triage, event, actor=actor, reason=f"{_name(actor)} assumiu")
        timers.disarm(triage, "owner-offer")
        _triage_note(triage, actor, f"{_name(actor)} assumiu o atendimento do cliente.")
    return triage


def _require_attendant_of(triage: Triage, actor) -> None:
    if triage.attendant_id != actor.pk and not has_role(actor, MANAGER):
        raise TransitionRefused("Este atendimento está com outra pessoa.", "S8")


def triage_sell(triage: Triage, *, actor, **sale_fields) -> Sale:
    """2º passo (or after a hand-off): sell now; S4 clears the agendamento, S8 flags the
    commission when someone other than the agendamento's owner closes it."""
    _require_attendant_of(triage, actor)
    with transaction.atomic():
        sale = sell(
            triage.ficha,
            triage.product,
            actor,
            channel=triage.channel,
            handoff=triage,
            **sale_fields,
        )
        transition(triage, "record_sale", actor=actor, reason="venda registrada", sale=sale)
    return sale


def send_price(triage: Triage, *, actor, via: str, price_text: str) -> Triage:
    """2º passo: the price may go by chat or by e-mail; by e-mail it opens a follow-up
    `#venda/tratativas com contato` agendamento (answer awaited up to 2 business days, S2)."""
    _require_attendant_of(triage, actor)
    if is_placeholder(price_text):
        raise TransitionRefused("Escreva o preço informado ao cliente.", "S8")
    if via not in ("chat", "email"):
        raise TransitionRefused("Escolha como o preço foi enviado: chat ou e-mail.", "S8")
    with transaction.atomic():
        if via == "chat":
            _triage_note(triage, actor, f"Preço informado pelo chat: {price_text.strip()}")
            return triage
        if not triage.ficha.email:
            raise TransitionRefused("A ficha não tem e-mail: informe o preço pelo chat.", "S8")
        follow_up = open_agendamento(
            triage.ficha,
            owner=actor,
            kind=AgendamentoKind.SALE_WITH_CONTACT,
            product=triage.product,
            channel=Movimentacao.Channel.EMAIL,
            text=f"Preço enviado por e-mail, aguardando retorno: {price_text.strip()}",
            bitrix_link=_first_link(triage),
            boleto_alert_given=True,  # told at the start of this contact (G4)
        )
        triage = transition(
            triage,
            "send_price",
            actor=actor,
            reason="preço enviado por e-mail",
            rule_ids=("S2",),
            follow_up=follow_up,
        )
        ficha, product = triage.ficha, triage.product
        transaction.on_commit(
            lambda: send_mail(
                f"Valores de {product}",
                f"Olá, {ficha.name}.\n\nConforme conversamos, seguem os valores:\n\n"
                f"{price_text.strip()}\n\nFicamos no aguardo do seu retorno.\n{_name(actor)}",
                None,
                [ficha.email],
            )
        )
    return triage


def _first_link(triage: Triage) -> str:
    first = triage.ficha.movimentacoes.filter(
        product=triage.product, at__gte=triage.started_at
    ).exclude(bitrix_link="")
    return first.order_by("at", "pk").values_list("bitrix_link", flat=True).first() or ""


def hand_to_comercial(triage: Triage, *, actor, context: str) -> Triage:
    """3º passo: the client only asks prices without a decision → comercial persuades."""
    _require_attendant_of(triage, actor)
    if is_placeholder(context):
        raise TransitionRefused("Conte ao comercial o que o cliente quer saber.", "S8")
    with transaction.atomic():
        triage = transition(triage, "hand_to_comercial", actor=actor, reason=context.strip())
        Triage.objects.filter(pk=triage.pk).update(context=f"{triage.context}\n{context.strip()}")
        _triage_note(triage, actor, f"3º passo: repassado ao comercial. {context.strip()}")
    triage.refresh_from_db()
    return triage


def close_triage(triage: Triage, *, actor, reason: str) -> Triage:
    with transaction.atomic():
        triage = transition(triage, "close", actor=actor, reason=reason)
        _triage_note(
            triage,
            actor,
            f"Atendimento encerrado sem venda: {reason.strip()}",
            outcome=Movimentacao.Outcome.RESOLVED,
        )
    return triage


def waiting_offers(user):
    """What a seller's page polls: clients offered to them, and the team queue (S8)."""
    team = _team_queue() if has_role(user, SELLER, MANAGER) else []
    return _offered_to(user.pk), team


def waiting_for_seller():
    """S8: clients offered to the whole team or passed to the comercial, the longest wait
    first (the sellers' home and the manager's console)."""
    return with_names(
        Triage.objects.filter(state__in=[Triage.State.OFFERED_TO_TEAM, Triage.State.TO_COMERCIAL]),
        "ficha",
        "product",
        "started_by",
    ).order_by("started_at", "pk")


@compiled
def _team_queue():
    return waiting_for_seller()


@compiled
def _offered_to(user_pk):
    return with_names(
        Triage.objects.filter(state=Triage.State.OFFERED_TO_OWNER, offered_to_id=user_pk),
        "ficha",
        "product",
        "started_by",
    )


# --- G8: the consultative orçamento -----------------------------------------------------------


def _require_orcamento_owner(orcamento: Orcamento, actor) -> None:
    if orcamento.author_id != actor.pk and not has_role(actor, MANAGER):
        raise TransitionRefused("Este orçamento é de outro atendente.", "G8")


def create_orcamento(ficha: Ficha, *, author, demand: str, from_campaign=False) -> Orcamento:
    """G8: a quote starts with the analysis of the client's demand."""
    if not has_role(author, *ATTENDANT_ROLES):
        raise TransitionRefused("Seu perfil não faz orçamentos.", "G8")
    if is_placeholder(demand):
        raise TransitionRefused("Descreva a demanda do cliente (o que ele precisa).", "G8")
    return Orcamento.objects.create(
        ficha=ficha,
        author=author,
        created_at=clock.now(),
        demand=demand.strip(),
        from_campaign=from_campaign,
    )


def set_item(
    orcamento: Orcamento, *, actor, product: Product, quantity: int, discount=Decimal("0")
) -> OrcamentoItem:
    """Add a product, or change its quantity and discount, while the quote is being built."""
    _require_orcamento_owner(orcamento, actor)
    discount = Decimal(discount or 0)
    with transaction.atomic():
        orcamento = Orcamento.objects.select_for_update().get(pk=orcamento.pk)
        if orcamento.state not in Orcamento.EDITABLE:
            raise TransitionRefused(
                "Os itens só mudam antes de definir os valores: volte um passo primeiro.", "G8"
            )
        if quantity is None or quantity < 1:
            raise TransitionRefused("A quantidade mínima é 1.", "G8")
        if discount < 0:
            raise TransitionRefused("O desconto não pode ser negativo.", "G8")
        if discount > product.unit_price * quantity:
            raise TransitionRefused("O desconto não pode passar do valor do item.", "G8")
        item, _ = OrcamentoItem.objects.update_or_create(
            orcamento=orcamento,
            product=product,
            defaults={"quantity": quantity, "discount": discount, "unit_price": None},
        )
    return item


def remove_item(orcamento: Orcamento, *, actor, item_id: int) -> None:
    _require_orcamento_owner(orcamento, actor)
    with transaction.atomic():
        orcamento = Orcamento.objects.select_for_update().get(pk=orcamento.pk)
        if orcamento.state not in Orcamento.EDITABLE:
            raise TransitionRefused("Os itens só mudam antes de definir os valores.", "G8")
        orcamento.items.filter(pk=item_id).delete()


def step_orcamento(orcamento: Orcamento, event: str, *, actor) -> Orcamento:
    """Forward and back steps before sending (define products, set prices, go back)."""
    if event not in ("define_products", "back_to_analysis", "set_prices", "back_to_products"):
        raise TransitionRefused("Passo desconhecido.", "G8")
    _require_orcamento_owner(orcamento, actor)
    with transaction.atomic():
        if event == "set_prices":
            _check_quote_discounts(orcamento)
        orcamento = transition(orcamento, event, actor=actor)
        if event == "set_prices":  # freeze the catalogue price at pricing time
            for item in orcamento.items.select_related("product"):
                item.unit_price = item.product.unit_price
                item.save(update_fields=["unit_price"])
        elif event == "back_to_products":
            orcamento.items.update(unit_price=None)
    return orcamento


def _check_quote_discounts(orcamento: Orcamento) -> None:
    """S7: a recontract whose old debt gets waived takes no discount unless from a campaign."""
    ficha = orcamento.ficha
    has_discount = orcamento.items.filter(discount__gt=0).exists()
    if has_discount and ficha.is_inactive and not orcamento.from_campaign:
        waived, _ = debt_split(ficha, clock.today())
        if waived:
            raise TransitionRefused(
                "Recontratação com dívida abonada não pode ter desconto, exceto vinda de "
                "campanha (disparo).",
                "S7",
                "G8",
            )


def render_orcamento_html(orcamento: Orcamento) -> str:
    items = list(orcamento.items.select_related("product"))
    return render_to_string(
        "workflows/orcamento_document.html",
        {
            "orcamento": orcamento,
            "items": items,
            "total": sum((i.total for i in items), Decimal("0.00")),
            "company_name": settings.COMPANY_NAME,
            "issued": clock.localdate(orcamento.sent_at or clock.now()),
        },
    )


def render_orcamento_pdf(orcamento: Orcamento) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_orcamento_html(orcamento)).write_pdf()


def send_orcamento(orcamento: Orcamento, *, actor, bitrix_link: str = "") -> Orcamento:
    """G8: e-mail the PDF to the client and open the `#venda/tratativas com contato` follow-up
    (S2 deadline); the quote's validity is a timer."""
    _require_orcamento_owner(orcamento, actor)
    ficha = orcamento.ficha
    if not ficha.email:
        raise TransitionRefused("A ficha não tem e-mail para enviar o orçamento.", "G8")
    valid_until = clock.today() + dt.timedelta(days=settings.ORCAMENTO_VALID_DAYS)
    with transaction.atomic():
        orcamento = transition(orcamento, "send_quote", actor=actor, valid_until=valid_until)
        main_item = max(orcamento.items.select_related("product"), key=lambda i: i.total)
        follow_up = open_agendamento(
            ficha,
            owner=orcamento.author,
            kind=AgendamentoKind.SALE_WITH_CONTACT,
            product=main_item.product,
            channel=Movimentacao.Channel.EMAIL,
            text=f"Orçamento {orcamento.number} enviado ({brl(orcamento.total)}), "
            f"válido até {valid_until:%d/%m/%Y}",
            bitrix_link=bitrix_link,
            boleto_alert_given=True,  # the quote e-mail mentions nothing else; G4 at next contact
        )
        Orcamento.objects.filter(pk=orcamento.pk).update(follow_up=follow_up)
        end_of_validity = timezone.make_aware(
            dt.datetime.combine(valid_until + dt.timedelta(days=1), dt.time.min)
        )
        timers.arm(orcamento, "validity", end_of_validity, "workflows.services.expire_orcamento")
        pdf = render_orcamento_pdf(orcamento)
        message = EmailMessage(
            f"Orçamento {orcamento.number} · {settings.COMPANY_NAME}",
            f"Olá, {ficha.name}.\n\nSegue em anexo o orçamento {orcamento.number}, no valor "
            f"de {brl(orcamento.total)}, válido até {valid_until:%d/%m/%Y}.\n\n"
            f"Qualquer dúvida, estou à disposição.\n{_name(orcamento.author)}",
            None,
            [ficha.email],
        )
        message.attach(f"{orcamento.number}.pdf", pdf, "application/pdf")
        transaction.on_commit(message.send)
    orcamento.refresh_from_db()
    return orcamento


def accept_orcamento(
    orcamento: Orcamento, *, actor, data_confirmed=False, boleto_charge_noted=False
) -> list[Sale]:
    """G8: accepted, every item becomes a sale (S4 clears the follow-up agendamento)."""
    _require_orcamento_owner(orcamento, actor)
    with transaction.atomic():
        orcamento = transition(orcamento, "accept", actor=actor, reason="cliente aceitou")
        sales = [
            sell(
                orcamento.ficha,
                item.product,
                orcamento.author,
                quantity=item.quantity,
                discount=item.discount,
                from_campaign=orcamento.from_campaign,
                data_confirmed=data_confirmed,
                boleto_charge_noted=boleto_charge_noted,
                channel=Movimentacao.Channel.EMAIL,
                request_token=f"orcamento-{orcamento.pk}-{item.pk}",
            )
            for item in orcamento.items.select_related("product")
        ]
        _close_follow_up(orcamento, actor, f"Orçamento {orcamento.number} aceito.")
        timers.disarm(orcamento, "validity")
    return sales


def reject_orcamento(orcamento: Orcamento, *, actor, reason: str) -> Orcamento:
    _require_orcamento_owner(orcamento, actor)
    with transaction.atomic():
        orcamento = transition(orcamento, "reject", actor=actor, reason=reason)
        _close_follow_up(orcamento, actor, f"Orçamento {orcamento.number} recusado: {reason}")
        timers.disarm(orcamento, "validity")
    return orcamento


def _close_follow_up(orcamento: Orcamento, actor, text: str) -> None:
    follow_up = orcamento.follow_up
    if follow_up is not None and follow_up.state in Agendamento.LIVE:
        conclude_agendamento(follow_up, actor=actor, text=text, channel="email")


# G8 timer handler: a sent quote past its validity expires.
expire_orcamento = timers.event_handler("expire", "validade do orçamento vencida")
