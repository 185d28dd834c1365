"""G8 pages: build the orçamento step by step, see its document, download the PDF."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from workflows import orcamento as quotes  # the G8 services (`orcamento` names the record)
from workflows.action_views import act, posted, require_roles
from workflows.engine import actions_for, passes
from workflows.models import Ficha, Orcamento
from workflows.roles import ATTENDANTS

from . import forms

STEPS = [
    ("analysing", "Demanda em análise"),
    ("products_defined", "Produtos definidos"),
    ("priced", "Valores definidos"),
    ("sent", "Enviado"),
]
# The step buttons, in the page's order; their labels are the machine's (OrcamentoFlow).
# set_prices has a form of its own (the quote's discount).
STEP_EVENTS = ("define_products", "back_to_analysis", "back_to_products")


def _orcamento(pk):
    return get_object_or_404(
        Orcamento.objects.select_related("ficha", "author", "follow_up"), pk=pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def create(request, pk):
    require_roles(request.user, ATTENDANTS)
    ficha = get_object_or_404(Ficha, pk=pk)
    return act(
        request,
        forms.OrcamentoForm(posted(request)),
        perform=lambda data: quotes.orcamento_create(ficha, author=request.user, **data),
        success="Orçamento criado: inclua os produtos.",
        redirect_to=lambda orcamento: reverse("orcamento_detail", args=[orcamento.pk]),
        title="Novo orçamento",
        submit="Criar orçamento",
        form_id="form-orcamento",
    )


@login_required
def detail(request, pk):
    require_roles(request.user, ATTENDANTS)
    orcamento = _orcamento(pk)
    actions = actions_for(orcamento, request.user)
    reached = (
        [value for value, _ in STEPS].index(orcamento.state)
        if orcamento.state in dict(STEPS)
        else len(STEPS)
    )
    pricing = orcamento.pricing()
    context = {
        "orcamento": orcamento,
        "pricing": pricing,
        "items": pricing.lines,
        "steps": [(label, i < reached, i == reached) for i, (_, label) in enumerate(STEPS)],
        "step_buttons": [(e, actions[e].label) for e in STEP_EVENTS if actions.may(e)],
        "editable": orcamento.state in Orcamento.EDITABLE
        and passes(orcamento, "is_author", actor=request.user),
        "can_set_prices": actions.may("set_prices"),
        "prices_form": forms.QuotePricesForm(
            initial={
                "discount_percent": orcamento.discount_percent,
                "discount_amount": orcamento.discount_amount or None,
            }
        ),
        "prices_button": actions["set_prices"].label if "set_prices" in actions else "",
        "can_send": actions.may("send_quote"),
        "can_decide": actions.may("accept") or actions.may("reject"),
        "item_form": forms.OrcamentoItemForm(),
        "send_form": forms.SendQuoteForm(),
        "accept_form": forms.AcceptQuoteForm(),
        "reject_form": forms.RejectQuoteForm(),
    }
    return render(request, "web/orcamento_detail.html", context)


def _orcamento_action(request, pk, form, perform, *, success, title, submit, form_id):
    require_roles(request.user, ATTENDANTS)
    orcamento = _orcamento(pk)
    return act(
        request,
        form,
        perform=lambda data: perform(orcamento, data),
        success=success,
        redirect_to=reverse("orcamento_detail", args=[orcamento.pk]),
        title=title,
        submit=submit,
        form_id=form_id,
    )


@login_required
@require_POST
def set_item(request, pk):
    def perform(orcamento, data):
        quotes.orcamento_item_set(orcamento, actor=request.user, **data)

    return _orcamento_action(
        request,
        pk,
        forms.OrcamentoItemForm(request.POST),
        perform,
        success="Item salvo.",
        title="Incluir produto",
        submit="Incluir",
        form_id="form-item",
    )


@login_required
@require_POST
def remove_item(request, pk, item_id):
    return _orcamento_action(
        request,
        pk,
        forms.ConfirmForm(request.POST),
        lambda o, d: quotes.orcamento_item_remove(o, actor=request.user, item_id=item_id),
        success="Item removido.",
        title="Remover produto",
        submit="Remover",
        form_id=f"form-remover-{item_id}",
    )


@login_required
@require_POST
def step(request, pk, event):
    """A step of the quote; "set_prices" (G8) carries the whole-quote discount."""
    if event == "set_prices":
        label = Orcamento.machine_class().event_label("set_prices")
        form, submit, form_id = forms.QuotePricesForm(request.POST), label, "form-valores"
    else:
        form, submit, form_id = forms.ConfirmForm(request.POST), "Confirmar", "form-passo"
    return _orcamento_action(
        request,
        pk,
        form,
        lambda o, d: quotes.orcamento_step(o, event, actor=request.user, **d),
        success="Orçamento atualizado.",
        title="Orçamento",
        submit=submit,
        form_id=form_id,
    )


@login_required
@require_POST
def send(request, pk):
    return _orcamento_action(
        request,
        pk,
        forms.SendQuoteForm(request.POST),
        lambda o, d: quotes.orcamento_send(o, actor=request.user, **d),
        success="Orçamento enviado por e-mail com o PDF; agendamento de retorno aberto.",
        title="Enviar orçamento",
        submit="Enviar ao cliente",
        form_id="form-enviar",
    )


@login_required
@require_POST
def accept(request, pk):
    return _orcamento_action(
        request,
        pk,
        forms.AcceptQuoteForm(request.POST),
        lambda o, d: quotes.orcamento_accept(o, actor=request.user, **d),
        success="Orçamento aceito: vendas registradas.",
        title="Aceite do cliente",
        submit="Registrar aceite",
        form_id="form-aceite",
    )


@login_required
@require_POST
def reject(request, pk):
    return _orcamento_action(
        request,
        pk,
        forms.RejectQuoteForm(request.POST),
        lambda o, d: quotes.orcamento_reject(o, actor=request.user, **d),
        success="Recusa registrada.",
        title="Recusa do cliente",
        submit="Registrar recusa",
        form_id="form-recusa",
    )


@login_required
def document(request, pk):
    require_roles(request.user, ATTENDANTS)
    return HttpResponse(quotes.render_orcamento_html(_orcamento(pk)))


@login_required
def pdf(request, pk):
    require_roles(request.user, ATTENDANTS)
    orcamento = _orcamento(pk)
    response = HttpResponse(quotes.render_orcamento_pdf(orcamento), "application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{orcamento.number}.pdf"'
    return response
