"""T4: "Mesclar com outro chamado": pick the other ticket (its number or one of the same
client's open tickets), see exactly what moves and which ticket stays, then confirm with the
reason (`tickets.merge.ticket_merge`)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from workflows.action_views import (
    act,
    act_in_page,
    event_action,
    on_fields,
    posted,
    refused_response,
    require_roles,
)
from workflows.roles import SUPPORT_ALL

from . import merge
from .forms import ActionForm
from .models import Ticket
from .statemachines import TicketFlow

LABEL = TicketFlow.actions[merge.EVENT].label


class MergePickForm(forms.Form):
    """The other ticket: typed by number ("#123") or picked from the client's open ones."""

    number = forms.CharField(
        label="Número do outro chamado (ex.: #123)",
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    pick = forms.TypedChoiceField(
        label="Ou um chamado aberto do mesmo cliente",
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        choices = [(t.pk, _choice_label(t)) for t in merge.candidates(ticket)]
        if choices:
            self.fields["pick"].choices = choices
        else:
            del self.fields["pick"]

    def clean(self):
        data = super().clean()
        typed, picked = data.get("number", ""), data.get("pick")
        if typed:
            data["other"] = merge.find_ticket(typed)
            if data["other"] is None:
                self.add_error("number", f"Não há chamado com o número “{typed}”.")
        elif picked:
            data["other"] = Ticket.objects.select_related("ficha").filter(pk=picked).first()
            if data["other"] is None:
                self.add_error("pick", "Este chamado não existe mais: escolha outro.")
        elif not self.errors:
            self.add_error(
                "number", "Informe o número do outro chamado (ex.: #123) ou escolha um da lista."
            )
        return data


def _choice_label(ticket: Ticket) -> str:
    opened = timezone.localtime(ticket.created_at).strftime("%d/%m/%Y")
    return f"#{ticket.pk} {ticket.subject} · {ticket.get_state_display()} · aberto em {opened}"


def confirm_url(merged: Ticket, kept: Ticket) -> str:
    return reverse("tickets:merge_confirm", args=[merged.pk, kept.pk])


@login_required
@require_http_methods(["GET", "POST"])
def merge_pick(request, pk):
    """Step 1: the other ticket; the older one stays unless only the other way is allowed."""
    require_roles(request.user, SUPPORT_ALL)
    ticket = get_object_or_404(Ticket.objects.select_related("ficha"), pk=pk)
    title, back = f"{LABEL} · #{ticket.pk}", reverse("tickets:detail", args=[pk])
    refusal = event_action(ticket, merge.EVENT, request.user)
    if refusal is not None:
        return refused_response(request, refusal, title=title, back_url=back)
    return act(
        request,
        MergePickForm(posted(request), ticket=ticket),
        perform=lambda data: merge.proposed(ticket, data["other"], actor=request.user),
        success="",
        redirect_to=lambda pair: confirm_url(*pair),
        title=title,
        submit="Continuar",
        form_id="form-mesclar",
    )


@login_required
@require_http_methods(["GET", "POST"])
def merge_confirm(request, pk, into):
    """Step 2: what moves from #pk to #into, which stays (swap link), the reason, confirm."""
    require_roles(request.user, SUPPORT_ALL)
    source = get_object_or_404(Ticket.objects.select_related("ficha"), pk=pk)
    target = Ticket.objects.select_related("ficha").filter(pk=into).first()
    back = reverse("tickets:detail", args=[pk])
    refusal = event_action(source, merge.EVENT, request.user)
    if refusal is not None:
        return refused_response(request, refusal, title=f"{LABEL} · #{pk}", back_url=back)
    form = ActionForm(posted(request), reason_label="Por que são o mesmo problema")

    def page(refused, status):
        if refused is not None and form.is_bound:
            refused = on_fields(form, refused)
        return _confirm_page(request, source, target, form, refused, status)

    if not form.is_bound:
        return page(merge.refusal(source, target, actor=request.user), None)
    return act_in_page(
        request,
        form,
        perform=lambda data: merge.ticket_merge(
            source, target, actor=request.user, reason=data["reason"]
        ),
        success=lambda kept: f"Chamado #{source.pk} mesclado em #{kept.pk}.",
        redirect_to=lambda kept: reverse("tickets:detail", args=[kept.pk]),
        page=page,
    )


def _confirm_page(request, source, target, form, refusal, status):
    """The confirmation: refused up front (422) when the machine says no for this pair."""
    if status is None:
        status = 422 if refusal is not None else 200
    context = {
        "source": source,
        "target": target,
        "form": form,
        "refusal": refusal,
        "summary": merge.summary(source, target) if target is not None else None,
        "swap_url": confirm_url(target, source) if target is not None else "",
        "back_url": reverse("tickets:detail", args=[source.pk]),
        "title": f"Mesclar #{source.pk} em #{target.pk}" if target else LABEL,
    }
    return render(request, "tickets/merge_confirm.html", context, status=status)
