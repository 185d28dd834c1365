"""G8: the consultative orçamento, from demand analysis to the client's decision."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from . import clock, timers
from .agendamentos import conclude_agendamento, open_agendamento
from .engine import require, require_guard, transition
from .formatting import brl, number, person_name
from .models import (
    Agendamento,
    AgendamentoKind,
    Ficha,
    Movimentacao,
    Orcamento,
    OrcamentoItem,
    Product,
    Sale,
)
from .ownership import debt_split
from .refusals import TransitionRefused
from .roles import ATTENDANTS, has_role
from .selling import sell
from .validators import (
    MAX_AMOUNT,
    MAX_QUANTITY,
    MAX_SALE_TOTAL,
    is_placeholder,
)


def create_orcamento(ficha: Ficha, *, author, demand: str, from_campaign=False) -> Orcamento:
    """G8: a quote starts with the analysis of the client's demand."""
    if not has_role(author, *ATTENDANTS):
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
    require_guard(orcamento, "is_author", actor=actor)
    discount = Decimal(discount or 0)
    with transaction.atomic():
        orcamento = Orcamento.objects.select_for_update().get(pk=orcamento.pk)
        if orcamento.state not in Orcamento.EDITABLE:
            raise TransitionRefused(
                "Os itens só mudam antes de definir os valores: volte um passo primeiro.", "G8"
            )
        if quantity is None or quantity < 1:
            raise TransitionRefused("A quantidade mínima é 1.", "G8", field="quantity")
        if quantity > MAX_QUANTITY:
            raise TransitionRefused(
                f"A quantidade máxima é {number(MAX_QUANTITY, 0)}.", "G8", field="quantity"
            )
        if discount < 0:
            raise TransitionRefused("O desconto não pode ser negativo.", "G8", field="discount")
        if discount > MAX_AMOUNT:
            raise TransitionRefused(
                f"O desconto máximo é {brl(MAX_AMOUNT)}.", "G8", field="discount"
            )
        _check_item_total(product.unit_price * quantity)
        if discount > product.unit_price * quantity:
            raise TransitionRefused("O desconto não pode passar do valor do item.", "G8")
        item, _ = OrcamentoItem.objects.update_or_create(
            orcamento=orcamento,
            product=product,
            defaults={"quantity": quantity, "discount": discount, "unit_price": None},
        )
    return item


def _check_item_total(gross: Decimal) -> None:
    """Every item becomes a sale when the quote is accepted: its value must fit a sale."""
    if gross > MAX_SALE_TOTAL:
        raise TransitionRefused(
            f"O valor do item passa do máximo de uma venda ({brl(MAX_SALE_TOTAL)}): "
            "reduza a quantidade.",
            "G8",
            field="quantity",
        )


def remove_item(orcamento: Orcamento, *, actor, item_id: int) -> None:
    require_guard(orcamento, "is_author", actor=actor)
    with transaction.atomic():
        orcamento = Orcamento.objects.select_for_update().get(pk=orcamento.pk)
        if orcamento.state not in Orcamento.EDITABLE:
            raise TransitionRefused("Os itens só mudam antes de definir os valores.", "G8")
        orcamento.items.filter(pk=item_id).delete()


def step_orcamento(orcamento: Orcamento, event: str, *, actor) -> Orcamento:
    """Forward and back steps before sending (define products, set prices, go back)."""
    if event not in ("define_products", "back_to_analysis", "set_prices", "back_to_products"):
        raise TransitionRefused("Passo desconhecido.", "G8")
    require(orcamento, event, actor=actor)
    with transaction.atomic():
        if event == "set_prices":
            _check_quote_discounts(orcamento)
            for item in orcamento.items.select_related("product"):
                _check_item_total(item.product.unit_price * item.quantity)
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
    require(orcamento, "send_quote", actor=actor)
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
        timers.arm(orcamento, "validity", end_of_validity, "workflows.orcamento.expire_orcamento")
        pdf = render_orcamento_pdf(orcamento)
        message = EmailMessage(
            f"Orçamento {orcamento.number} · {settings.COMPANY_NAME}",
            f"Olá, {ficha.name}.\n\nSegue em anexo o orçamento {orcamento.number}, no valor "
            f"de {brl(orcamento.total)}, válido até {valid_until:%d/%m/%Y}.\n\n"
            f"Qualquer dúvida, estou à disposição.\n{person_name(orcamento.author)}",
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
    require(orcamento, "accept", actor=actor)
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
    require(orcamento, "reject", actor=actor)
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
