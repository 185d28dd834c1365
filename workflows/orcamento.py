"""G8: the consultative orçamento, from demand analysis to the client's decision."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from . import clock, timers
from .agendamentos import agendamento_conclude, agendamento_open
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
from .models.orcamento import MAX_PERCENT, QuotePricing, cents, discount_of
from .ownership import debt_split
from .refusals import TransitionRefused, refuse_all
from .roles import ATTENDANTS, has_role
from .selling import ficha_sell, sale_send_contract_copy
from .validators import (
    MAX_AMOUNT,
    MAX_QUANTITY,
    MAX_SALE_TOTAL,
    is_placeholder,
)


def orcamento_create(ficha: Ficha, *, author, demand: str, from_campaign=False) -> Orcamento:
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


def orcamento_item_set(
    orcamento: Orcamento,
    *,
    actor,
    product: Product,
    quantity: int,
    discount=Decimal("0"),
    discount_percent=None,
) -> OrcamentoItem:
    """Add a product, or change its quantity and discount, while the quote is being built.
    G8: the item's discount is a percentage (`discount_percent`) or an amount in R$
    (`discount`), not both."""
    require_guard(orcamento, "is_author", actor=actor)
    discount = Decimal(discount or 0)
    percentage = None if discount_percent is None else Decimal(discount_percent)
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
        _check_item_total(product.unit_price * quantity)
        gross = cents(product.unit_price * quantity)
        refuse_all(_discount_problems(gross, percentage, discount, "discount", "do item"))
        item, _ = OrcamentoItem.objects.update_or_create(
            orcamento=orcamento,
            product=product,
            defaults={
                "quantity": quantity,
                "discount": discount_of(gross, percentage, discount),
                "discount_percent": percentage,
                "unit_price": None,
            },
        )
        _store_pricing(orcamento)
    item.refresh_from_db()
    return item


def _discount_problems(base, percentage, amount, field: str, what: str) -> list:
    """G8: one discount, a percentage (0–100 %) or an amount (0 up to the value), never
    both; its value in R$ fits a sale's discount. `field` is the amount's form field, the
    percentage's is `<field>_percent`."""
    field_percent = "discount_percent"
    if percentage is not None and amount:
        return [
            TransitionRefused(
                "Informe o desconto em % ou em R$, não os dois.", "G8", field=field_percent
            )
        ]
    problems = []
    if percentage is not None and not 0 <= percentage <= MAX_PERCENT:
        problems.append(
            TransitionRefused("O desconto em % vai de 0 a 100.", "G8", field=field_percent)
        )
    if amount < 0:
        problems.append(TransitionRefused("O desconto não pode ser negativo.", "G8", field=field))
    elif amount > MAX_AMOUNT:
        problems.append(
            TransitionRefused(f"O desconto máximo é {brl(MAX_AMOUNT)}.", "G8", field=field)
        )
    elif amount > base:
        problems.append(
            TransitionRefused(f"O desconto não pode passar do valor {what}.", "G8", field=field)
        )
    if not problems and discount_of(base, percentage, amount) > MAX_AMOUNT:
        problems.append(
            TransitionRefused(f"O desconto máximo é {brl(MAX_AMOUNT)}.", "G8", field=field_percent)
        )
    return problems


def _store_pricing(orcamento: Orcamento) -> None:
    """Keep the stored discounts in R$ (each item's, and its share of the whole-quote one)
    as `Orcamento.pricing` computes them, for the readers in SQL (the Indicadores)."""
    for line in orcamento.pricing().lines:
        item = line.item
        if (item.discount, item.quote_discount) != (line.item_discount, line.quote_discount):
            item.discount, item.quote_discount = line.item_discount, line.quote_discount
            item.save(update_fields=["discount", "quote_discount"])


def _check_item_total(gross: Decimal) -> None:
    """Every item becomes a sale when the quote is accepted: its value must fit a sale."""
    if gross > MAX_SALE_TOTAL:
        raise TransitionRefused(
            f"O valor do item passa do máximo de uma venda ({brl(MAX_SALE_TOTAL)}): "
            "reduza a quantidade.",
            "G8",
            field="quantity",
        )


def orcamento_item_remove(orcamento: Orcamento, *, actor, item_id: int) -> None:
    require_guard(orcamento, "is_author", actor=actor)
    with transaction.atomic():
        orcamento = Orcamento.objects.select_for_update().get(pk=orcamento.pk)
        if orcamento.state not in Orcamento.EDITABLE:
            raise TransitionRefused("Os itens só mudam antes de definir os valores.", "G8")
        orcamento.items.filter(pk=item_id).delete()
        _store_pricing(orcamento)


def orcamento_step(
    orcamento: Orcamento, event: str, *, actor, discount_percent=None, discount_amount=None
) -> Orcamento:
    """Forward and back steps before sending (define products, set prices, go back).
    Setting the prices (G8) freezes the catalogue prices and sets the whole-quote discount:
    a percentage of the items' value or an amount (one of them; none clears it)."""
    if event not in ("define_products", "back_to_analysis", "set_prices", "back_to_products"):
        raise TransitionRefused("Passo desconhecido.", "G8")
    require(orcamento, event, actor=actor)
    with transaction.atomic():
        if event == "set_prices":
            orcamento = Orcamento.objects.select_for_update().get(pk=orcamento.pk)
            _set_quote_discount(orcamento, discount_percent, discount_amount)
            for item in orcamento.items.select_related("product"):
                _check_item_total(item.product.unit_price * item.quantity)
        orcamento = transition(orcamento, event, actor=actor)
        if event == "set_prices":  # freeze the catalogue price at pricing time
            for item in orcamento.items.select_related("product"):
                item.unit_price = item.product.unit_price
                item.save(update_fields=["unit_price"])
            _store_pricing(orcamento)
        elif event == "back_to_products":
            orcamento.items.update(unit_price=None)
    return orcamento


def _set_quote_discount(orcamento: Orcamento, percentage, amount) -> None:
    """G8 whole-quote discount, checked against the items' value and S7, then stored."""
    percentage = None if percentage is None else Decimal(percentage)
    amount = Decimal(amount or 0)
    subtotal = orcamento.pricing().subtotal
    refuse_all(_discount_problems(subtotal, percentage, amount, "discount_amount", "dos itens"))
    orcamento.discount_percent, orcamento.discount_amount = percentage, amount
    pricing = orcamento.pricing()
    too_large = [line for line in pricing.lines if line.discount > MAX_AMOUNT]
    if too_large:
        raise TransitionRefused(
            f"O desconto de {too_large[0].item.product} passaria de {brl(MAX_AMOUNT)}.",
            "G8",
            field="discount_percent" if percentage is not None else "discount_amount",
        )
    _check_quote_discounts(orcamento, pricing)
    Orcamento.objects.filter(pk=orcamento.pk).update(
        discount_percent=percentage, discount_amount=amount
    )


def _check_quote_discounts(orcamento: Orcamento, pricing: QuotePricing) -> None:
    """S7: a recontract whose old debt gets waived takes no discount unless from a campaign —
    neither on an item (% or R$) nor on the whole quote (% or R$)."""
    ficha = orcamento.ficha
    if pricing.has_discount and ficha.is_inactive and not orcamento.from_campaign:
        waived, _ = debt_split(ficha, clock.today())
        if waived:
            on_quote = pricing.discount > 0
            field = ""
            if on_quote:
                field = "discount_percent" if pricing.discount_percent else "discount_amount"
            raise TransitionRefused(
                "Recontratação com dívida abonada não pode ter desconto (nem nos itens, nem no "
                "orçamento), exceto vinda de campanha (disparo).",
                "S7",
                "G8",
                field=field,
            )


def render_orcamento_html(orcamento: Orcamento) -> str:
    return render_to_string(
        "workflows/orcamento_document.html",
        {
            "orcamento": orcamento,
            "pricing": orcamento.pricing(),
            "company_name": settings.COMPANY_NAME,
            "issued": clock.localdate(orcamento.sent_at or clock.now()),
        },
    )


def render_orcamento_pdf(orcamento: Orcamento) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_orcamento_html(orcamento)).write_pdf()


def orcamento_send(orcamento: Orcamento, *, actor, bitrix_link: str = "") -> Orcamento:
    """G8: e-mail the PDF to the client and open the `#venda/tratativas com contato` follow-up
    (S2 deadline); the quote's validity is a timer."""
    require(orcamento, "send_quote", actor=actor)
    ficha = orcamento.ficha
    if not ficha.email:
        raise TransitionRefused("A ficha não tem e-mail para enviar o orçamento.", "G8")
    valid_until = clock.today() + dt.timedelta(days=settings.ORCAMENTO_VALID_DAYS)
    with transaction.atomic():
        orcamento = transition(orcamento, "send_quote", actor=actor, valid_until=valid_until)
        pricing = orcamento.pricing()
        main_line = max(pricing.lines, key=lambda line: line.total)
        follow_up = agendamento_open(
            ficha,
            owner=orcamento.author,
            kind=AgendamentoKind.SALE_WITH_CONTACT,
            product=main_line.item.product,
            channel=Movimentacao.Channel.EMAIL,
            text=f"Orçamento {orcamento.number} enviado ({brl(pricing.total)}), "
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
            f"de {brl(pricing.total)}, válido até {valid_until:%d/%m/%Y}.\n\n"
            f"Qualquer dúvida, estou à disposição.\n{person_name(orcamento.author)}",
            None,
            [ficha.email],
        )
        message.attach(f"{orcamento.number}.pdf", pdf, "application/pdf")
        transaction.on_commit(message.send)
    orcamento.refresh_from_db()
    return orcamento


def orcamento_accept(
    orcamento: Orcamento, *, actor, data_confirmed=False, boleto_charge_noted=False
) -> list[Sale]:
    """G8: accepted, every item becomes a sale at the quoted price, its discount being its own
    plus its share of the whole quote's (S7 is checked again on each); S4 clears the
    follow-up agendamento. The client gets ONE copy of the contract (S1) listing every item:
    each sale is recorded with `send_copy=False` (one `ficha_sell` per item used to send one
    e-mail per item)."""
    require(orcamento, "accept", actor=actor)
    with transaction.atomic():
        orcamento = transition(orcamento, "accept", actor=actor, reason="cliente aceitou")
        sales = [
            ficha_sell(
                orcamento.ficha,
                line.item.product,
                orcamento.author,
                quantity=line.item.quantity,
                unit_price=line.item.price,
                discount=line.discount,
                from_campaign=orcamento.from_campaign,
                data_confirmed=data_confirmed,
                boleto_charge_noted=boleto_charge_noted,
                channel=Movimentacao.Channel.EMAIL,
                request_token=f"orcamento-{orcamento.pk}-{line.item.pk}",
                send_copy=False,
            )
            for line in orcamento.pricing().lines
        ]
        transaction.on_commit(
            lambda: sale_send_contract_copy(sales, title=f"orçamento {orcamento.number}")
        )
        _close_follow_up(orcamento, actor, f"Orçamento {orcamento.number} aceito.")
        timers.disarm(orcamento, "validity")
    return sales


def orcamento_reject(orcamento: Orcamento, *, actor, kind: str, details: str = "") -> Orcamento:
    """G8: the client refused, for one of the reasons of `Orcamento.RejectionKind`; the
    details are free text, required when the reason is "outro"."""
    require(orcamento, "reject", actor=actor)
    details = (details or "").strip()
    kinds = Orcamento.RejectionKind
    problems = []
    if kind not in kinds.values:
        problems.append(TransitionRefused("Escolha o motivo da recusa.", "G8", field="kind"))
    elif kind == kinds.OTHER and is_placeholder(details):
        problems.append(TransitionRefused("Descreva o motivo da recusa.", "G8", field="details"))
    refuse_all(problems)
    label = kinds(kind).label
    reason = f"{label}: {details}" if details else label
    with transaction.atomic():
        # The audit keeps "Preço: …"; the record keeps the reason and its details apart
        # (issue 19 counts the refusals per reason).
        orcamento = transition(
            orcamento, "reject", actor=actor, reason=reason, kind=kind, details=details
        )
        _close_follow_up(orcamento, actor, f"Orçamento {orcamento.number} recusado: {reason}")
        timers.disarm(orcamento, "validity")
    return orcamento


def _close_follow_up(orcamento: Orcamento, actor, text: str) -> None:
    follow_up = orcamento.follow_up
    if follow_up is not None and follow_up.state in Agendamento.LIVE:
        agendamento_conclude(follow_up, actor=actor, text=text, channel="email")


# G8 timer handler: a sent quote past its validity expires.
expire_orcamento = timers.event_handler("expire", "validade do orçamento vencida")
