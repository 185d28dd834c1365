"""Sales (S1, S4, S7, S9, G4), their commission, and manual inactivation (S5)."""

from decimal import Decimal

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import clock
from .agendamentos import agendamento_conclude
from .engine import transition
from .formatting import brl, number, person_name
from .models import (
    Agendamento,
    Boleto,
    Ficha,
    Movimentacao,
    Product,
    Sale,
    Triage,
)
from .overrides import override_record
from .ownership import handoff_allows, may_sell
from .refusals import INPUT, Decision, TransitionRefused, refuse_all
from .validators import MAX_QUANTITY, MAX_SALE_TOTAL, is_placeholder


def ficha_sell(
    ficha: Ficha,
    product: Product,
    seller,
    *,
    quantity: int = 1,
    unit_price: Decimal | None = None,
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
    send_copy: bool = True,
) -> Sale:
    """Record a sale the oracle allows, with its commission and the rules that applied.

    Locks the ficha, so two agents cannot both win the same client at the same instant;
    `request_token` makes a double-clicked form record one sale. `unit_price`: the price
    agreed (a quote's frozen price, G8), else the catalogue's. `send_copy=False`: the caller
    sends the S1 copy itself (an accepted quote sends one for all its sales).
    """
    discount = Decimal(discount or 0)
    price = product.unit_price if unit_price is None else unit_price
    problems = []
    if quantity < 1:
        problems.append(TransitionRefused("A quantidade mínima é 1.", "S1", field="quantity"))
    elif quantity > MAX_QUANTITY or price * quantity > MAX_SALE_TOTAL:
        problems.append(
            TransitionRefused(
                f"A quantidade máxima é {number(MAX_QUANTITY, 0)}, e o valor da venda não "
                f"passa de {brl(MAX_SALE_TOTAL)}.",
                kind=INPUT,
                field="quantity",
            )
        )
    if discount < 0:
        problems.append(
            TransitionRefused("O desconto não pode ser negativo.", "S7", field="discount")
        )
    if not data_confirmed:
        problems.append(
            TransitionRefused(
                "Confirme os dados do cliente antes de contratar (S1: qualquer pessoa pode "
                "contratar desde que confirme os dados corretamente).",
                "S1",
                field="data_confirmed",
            )
        )
    if contractor_name and is_placeholder(contractor_name):
        problems.append(
            TransitionRefused(
                "Informe o nome de quem está contratando.", "S1", field="contractor_name"
            )
        )
    with transaction.atomic():
        ficha = Ficha.objects.select_for_update().get(pk=ficha.pk)
        # Under the ficha's lock: a double-click waits for the first request, then finds it.
        first = _sale_of_token(request_token)
        if first is not None:
            return first
        decision = may_sell(ficha, product, seller)
        if handoff is not None and handoff_allows(handoff, product, seller):
            owner = handoff.reserved_by.owner if handoff.reserved_by else None
            if owner is not None and owner != seller:
                commission_flag = commission_flag or (
                    f"Venda pelo 1º passo: agendamento de {person_name(owner)}, venda de "
                    f"{person_name(seller)}. Comissão a definir pelo gestor (S8)."
                )
            if not decision:
                decision = Decision.allow("Cliente repassado pelo 1º passo.", "S8")
        if not decision:
            problems.insert(0, TransitionRefused.from_decision(decision))
        waived_ids = decision.details.get("debt_waived", [])
        if waived_ids and discount > 0 and not from_campaign:
            problems.append(
                TransitionRefused(
                    "Recontratação com dívida abonada não pode ter desconto, exceto vinda de "
                    "campanha (disparo).",
                    "S7",
                    field="discount",
                )
            )
        open_boletos = ficha.open_boletos().exclude(pk__in=waived_ids)
        if open_boletos.exists() and not boleto_charge_noted:
            problems.append(
                TransitionRefused(
                    "O cliente tem boletos em aberto: a venda pode seguir, mas registre que "
                    "você o cobrou educadamente.",
                    "G4",
                    field="boleto_charge_noted",
                )
            )
        gross = price * quantity
        if discount > gross:
            problems.append(
                TransitionRefused(
                    "O desconto não pode passar do valor da venda.", "S7", field="discount"
                )
            )
        refuse_all(problems)
        commission_to = decision.details.get("commission_to")
        commission_to = seller if commission_to in (None, "closer") else commission_to
        commission_rule = decision.details.get("commission_rule", "S4")
        now = clock.now()
        try:
            with transaction.atomic():
                sale = Sale.objects.create(
                    ficha=ficha,
                    product=product,
                    seller=seller,
                    at=now,
                    quantity=quantity,
                    unit_price=price,
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
        except IntegrityError:  # the same token, committed by a request on another ficha
            first = _sale_of_token(request_token)
            if first is None:
                raise
            return first
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
        text = f"Venda de {product} (quantidade {quantity}, total {brl(sale.total)})."
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
        if send_copy:
            transaction.on_commit(lambda: sale_send_contract_copy([sale]))
        for ag in ficha.agendamentos.filter(product=product, state__in=Agendamento.LIVE):
            agendamento_conclude(
                ag,
                actor=seller,
                text=f"Concluído pela venda de {product} (S4).",
                channel=channel,
                by_sale=sale,
            )
    return sale


def _sale_of_token(request_token: str | None) -> Sale | None:
    """The sale a request token already recorded (a double-clicked or resent form)."""
    if not request_token:
        return None
    return Sale.objects.filter(request_token=request_token).first()


def sale_settle_commission(sale: Sale, *, manager, commission_to, reason: str) -> Sale:
    """M1: a manager settles a contested commission (S8 hand-offs, S9)."""
    with transaction.atomic():
        sale = transition(sale, "settle", actor=manager, reason=reason, commission_to=commission_to)
        override_record(
            sale, manager=manager, rule_id="M1", reason=reason, commission_to=commission_to.pk
        )
    return sale


def ficha_inactivate(ficha: Ficha, *, actor, reason: str) -> Ficha:
    return transition(ficha, "inactivate_manually", actor=actor, reason=reason)


def ficha_inactivation_answer(ficha: Ficha, *, actor, answer: str) -> Ficha:
    """S5 reading: the 15-day hold applies only once the client's answer is recorded."""
    return transition(
        ficha, "record_inactivation_answer", actor=actor, reason=answer, answer=answer
    )


def sale_send_contract_copy(sales: list[Sale], *, title: str = "") -> int:
    """S1: one copy of what was contracted goes to the contractor and the administrator —
    one e-mail however many sales one contracting made (an accepted quote's items)."""
    first = sales[0]
    recipients = sorted({e for s in sales for e in (s.contractor_email, s.ficha.email) if e})
    if not recipients:
        return 0
    lines = [f"Cliente: {first.ficha.name} ({first.ficha.document_display})"]
    for sale in sales:
        lines.append(f"Produto: {sale.product} — quantidade {sale.quantity}")
        lines.append(f"Valor: {brl(sale.total)}")
    if len(sales) > 1:
        lines.append(f"Total: {brl(sum(s.total for s in sales))}")
    lines.append(
        f"Atendente: {person_name(first.seller)} em {timezone.localtime(first.at):%d/%m/%Y %H:%M}"
    )
    if first.contractor_name:
        lines.append(f"Contratado por: {first.contractor_name}")
    return send_mail(
        f"Cópia da contratação: {title or first.product}",
        "Olá,\n\nSegue a cópia da contratação registrada:\n\n" + "\n".join(lines),
        None,
        recipients,
    )
