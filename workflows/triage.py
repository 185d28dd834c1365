"""S8: the receptive-sale triage, 1º passo to 3º passo."""

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from . import clock, timers
from .agendamentos import agendamento_open, live_reservation
from .availability import availability
from .engine import require, transition
from .formatting import person_name
from .models import (
    AgendamentoKind,
    AgentProfile,
    Ficha,
    Movimentacao,
    Product,
    Sale,
    Triage,
)
from .movimentacoes import movimentacao_log
from .refusals import TransitionRefused
from .roles import ATTENDANTS, MANAGER, SELLER, has_role
from .selectors import offers_for
from .selling import ficha_sell
from .validators import (
    is_placeholder,
)

OWNER_OFFER_HANDLER = "workflows.triage.owner_offer_expired"


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


def triage_start(
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
    if not has_role(agent, *ATTENDANTS):
        raise TransitionRefused("Seu perfil não atende clientes.", "S8")
    if is_placeholder(text):
        raise TransitionRefused("Descreva o que o cliente pediu.", "G1")
    with transaction.atomic():
        first = movimentacao_log(
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
        # The triage starts with its first movimentação (it carries the G3 link the 2º passo's
        # e-mail follow-up reuses: `_first_link` reads from this moment on).
        triage = Triage.objects.create(
            ficha=ficha,
            product=product,
            channel=channel,
            started_by=agent,
            started_at=first.at,
            context=text.strip(),
        )
        held = live_reservation(ficha, product)
        owner_present = held is not None and availability(held.owner) not in (
            AgentProfile.Status.ABSENT,
            AgentProfile.Status.VACATION,
        )
        if held is not None and held.owner != agent and owner_present:
            expires = clock.now() + dt.timedelta(minutes=settings.S8_OWNER_MINUTES)
            reason = (
                f"1º passo: {person_name(held.owner)} tem agendamento com contato sobre {product} "
                f"até {held.due_date:%d/%m/%Y}: cliente oferecido a {person_name(held.owner)} por "
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
                    f"2º passo: {person_name(held.owner)} está ausente ou de férias (S9): você "
                    "pode fechar a venda."
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


def triage_accept(triage: Triage, *, actor) -> Triage:
    """The owner accepts the offer, or a seller takes a waiting client; only one wins."""
    with transaction.atomic():
        event = "owner_accepts" if triage.state == Triage.State.OFFERED_TO_OWNER else "seller_takes"
        triage = transition(triage, event, actor=actor, reason=f"{person_name(actor)} assumiu")
        timers.disarm(triage, "owner-offer")
        _triage_note(triage, actor, f"{person_name(actor)} assumiu o atendimento do cliente.")
    return triage


def triage_sell(triage: Triage, *, actor, **sale_fields) -> Sale:
    """2º passo (or after a hand-off): sell now; S4 clears the agendamento, S8 flags the
    commission when someone other than the agendamento's owner closes it."""
    require(triage, "record_sale", actor=actor)
    with transaction.atomic():
        sale = ficha_sell(
            triage.ficha,
            triage.product,
            actor,
            channel=triage.channel,
            handoff=triage,
            **sale_fields,
        )
        transition(triage, "record_sale", actor=actor, reason="venda registrada", sale=sale)
    return sale


def triage_send_price(triage: Triage, *, actor, via: str, price_text: str) -> Triage:
    """2º passo: the price may go by chat or by e-mail; by e-mail it opens a follow-up
    `#venda/tratativas com contato` agendamento (answer awaited up to 2 business days, S2)."""
    require(triage, "send_price", actor=actor)
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
        follow_up = agendamento_open(
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
                f"{price_text.strip()}\n\nFicamos no aguardo do seu retorno.\n{person_name(actor)}",
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


def triage_hand_to_comercial(triage: Triage, *, actor, context: str) -> Triage:
    """3º passo: the client only asks prices without a decision → comercial persuades."""
    require(triage, "hand_to_comercial", actor=actor)
    if is_placeholder(context):
        raise TransitionRefused("Conte ao comercial o que o cliente quer saber.", "S8")
    with transaction.atomic():
        triage = transition(triage, "hand_to_comercial", actor=actor, reason=context.strip())
        Triage.objects.filter(pk=triage.pk).update(context=f"{triage.context}\n{context.strip()}")
        _triage_note(triage, actor, f"3º passo: repassado ao comercial. {context.strip()}")
    triage.refresh_from_db()
    return triage


def triage_close(triage: Triage, *, actor, reason: str) -> Triage:
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
    return offers_for(user, team=has_role(user, SELLER, MANAGER))
