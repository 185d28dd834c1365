"""The ticket list with its helpdesk views, SLA badges and bulk actions (T4, T6, T7), the SLA
queue (T6), and the client search of the new-ticket form (T2)."""

from urllib.parse import urlencode, urlsplit

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from onboarding.search import search_fichas
from workflows.action_views import go, require_roles, safe_next
from workflows.models import Ficha
from workflows.refusals import FORBIDDEN, TransitionRefused
from workflows.roles import SUPPORT_ALL, SUPPORT_STAFF, has_role
from workflows.validators import MAX_TEXT, is_placeholder

from . import desk, selectors, sla_queue
from .forms import PersonField
from .models import Ticket
from .statemachines import CLIENT_FACING, TicketFlow

REFRESH_SECONDS = 30  # the list's rows are read again this often (HTMX poll)
# The bulk actions: the machine's events that make sense for many tickets at once.
BULK_EVENTS = ("assign", "analyse", "ask_client", "client_replied", "conclude", "reopen")
MAX_BULK = 100


def page_number(params) -> int:
    """?pagina=N: a whole number from 1; anything else is the first page."""
    value = params.get("pagina", "")
    return int(value) if value.isdigit() and 0 < int(value) < 100_000 else 1


def _choice(params, name, allowed, default=""):
    value = params.get(name, "")
    return value if value in allowed else default


def list_params(params) -> dict:
    """What the list's query string asks, every value checked (anything else: the default)."""
    view = _choice(params, "visao", selectors.LIST_VIEWS, "ativos")
    state = params.get("estado", "")
    if state in ("ativos", "todos") and "visao" not in params:  # links from before the views
        view = state
    assignee = params.get("responsavel", "")
    if not (assignee == "ninguem" or (assignee.isdigit() and len(assignee) < 10)):
        assignee = ""
    return {
        "view": view,
        "q": (params.get("q") or "").replace("\x00", "").strip()[: selectors.MAX_QUERY],
        "sort": _choice(
            params, "ordem", selectors.LIST_SORTS, "recentes" if view == "concluidos" else "prazo"
        ),
        "page": page_number(params),
        "filters": {
            "priority": _choice(params, "prioridade", selectors.PRIORITY_SCORES),
            "assignee": assignee,
            "state": _choice(params, "estado", Ticket.State.values),
            "channel": _choice(params, "canal", Ticket.Channel.values),
            "stale": bool(params.get("parados")),
        },
    }


def _query(p: dict, **changes) -> str:
    """The list's query string for these params, with `changes` (empty values left out)."""
    f = p["filters"]
    values = {
        "visao": p["view"],
        "q": p["q"],
        "prioridade": f["priority"],
        "responsavel": f["assignee"],
        "estado": f["state"],
        "canal": f["channel"],
        "parados": "1" if f["stale"] else "",
        "ordem": p["sort"],
        "pagina": p["page"] if p["page"] > 1 else "",
    }
    values.update(changes)
    return urlencode({k: v for k, v in values.items() if v})


def list_context(request, params, **extra) -> dict:
    p = list_params(params)
    values = selectors.list_values(request.user)
    size = selectors.LIST_PAGE_SIZE
    tickets = selectors.list_tickets(
        values, view=p["view"], filters=p["filters"], sort=p["sort"], q=p["q"]
    )
    start = (p["page"] - 1) * size
    page = list(tickets[start : start + size + 1])
    counts = selectors.view_counts(values)
    query = _query(p)
    return {
        "p": p,
        "rows": selectors.ticket_rows(page[:size], values.now),
        "more": len(page) > size,
        "total": selectors.count_of(tickets),
        "first": start + 1,
        "last": start + len(page[:size]),
        "views": [
            (slug, label, counts[slug], "?" + _query(p, visao=slug, pagina="", ordem=""))
            for slug, (label, _) in selectors.LIST_VIEWS.items()
        ],
        "sorts": [(slug, label) for slug, (label, _) in selectors.LIST_SORTS.items()],
        "priorities": list(selectors.PRIORITY_SCORES),
        "people": desk.support_people(),
        "states": Ticket.State.choices,
        "channels": Ticket.Channel.choices,
        "query": query,
        "previous_url": "?" + _query(p, pagina=p["page"] - 1 if p["page"] > 2 else ""),
        "next_url": "?" + _query(p, pagina=p["page"] + 1),
        "refresh_url": f"{reverse('tickets:list')}?{_query(p, parte='linhas')}",
        "refresh_seconds": REFRESH_SECONDS,
        "can_create": has_role(request.user, *SUPPORT_STAFF),
        "bulk": extra.pop("bulk", None) or BulkForm(),
        "selected": extra.pop("selected", set()),
        **extra,
    }


@login_required
def ticket_list(request):
    """T4/T6: the helpdesk views (meus, não atribuídos, vencendo, vencido, aguardando o
    cliente, no GitHub, concluídos) with counts, SLA badges, filters, sort and pages; the
    rows are read again every REFRESH_SECONDS (HTMX), keeping the filters and the page."""
    require_roles(request.user, SUPPORT_ALL)
    context = list_context(request, request.GET)
    if request.htmx and request.GET.get("parte") == "linhas":
        return render(request, "tickets/_list_rows.html", {**context, "oob": True})
    return render(request, "tickets/ticket_list.html", context)


class BulkForm(django_forms.Form):
    """T4: one action on many tickets, with the reason the machine's action asks for."""

    t = django_forms.ModelMultipleChoiceField(
        queryset=Ticket.objects.all(),
        error_messages={
            "required": "Marque ao menos um chamado.",
            "invalid_choice": "Um dos chamados marcados não existe mais.",
            "invalid_pk_value": "Chamado inválido.",
        },
    )
    acao = django_forms.ChoiceField(
        label="Ação",
        choices=[(e, TicketFlow.actions[e].label) for e in BULK_EVENTS],
        error_messages={"required": "Escolha a ação.", "invalid_choice": "Ação desconhecida."},
    )
    responsavel = PersonField(label="Novo responsável", queryset=None, required=False)
    motivo = django_forms.CharField(
        label="Justificativa",
        max_length=MAX_TEXT,
        required=False,
        widget=django_forms.Textarea(attrs={"rows": 2}),
        help_text=", ".join(TicketFlow.actions[e].label for e in BULK_EVENTS if e in CLIENT_FACING)
        + ": o texto vai para o cliente.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsavel"].queryset = desk.support_people()

    def clean_t(self):
        tickets = self.cleaned_data["t"]
        if len(tickets) > MAX_BULK:
            raise django_forms.ValidationError(f"Marque no máximo {MAX_BULK} chamados por vez.")
        return tickets

    def clean(self):
        data = super().clean()
        event = data.get("acao")
        if event == "assign" and not data.get("responsavel"):
            self.add_error("responsavel", "Escolha quem assume os chamados.")
        action = TicketFlow.actions.get(event)
        if action is not None and action.reason and is_placeholder(data.get("motivo") or ""):
            self.add_error("motivo", f"“{action.label}” pede uma justificativa escrita (T4).")
        return data


def _back_params(url: str) -> QueryDict:
    return QueryDict(urlsplit(url).query)


@login_required
@require_POST
def bulk(request):
    """T4: the bulk assign / state change: `desk.ticket_act` (the one transition path) per ticket;
    what the machine refused is listed per ticket, with its rules."""
    require_roles(request.user, SUPPORT_ALL)
    back = safe_next(request, reverse("tickets:list"))
    form = BulkForm(request.POST)
    selected = {v for v in request.POST.getlist("t") if v.isdigit()}
    if not form.is_valid():
        context = list_context(request, _back_params(back), bulk=form, selected=selected)
        return render(request, "tickets/ticket_list.html", context, status=422)
    event, reason = form.cleaned_data["acao"], form.cleaned_data["motivo"]
    data = {"assignee": form.cleaned_data["responsavel"]} if event == "assign" else {}
    done, refused = [], []
    for ticket in form.cleaned_data["t"].order_by("pk"):
        try:
            desk.ticket_act(ticket, event, actor=request.user, reason=reason, **data)
        except TransitionRefused as refusal:
            refused.append((ticket, refusal))
        else:
            done.append(ticket)
    label = TicketFlow.actions[event].label
    if not done:
        status = 403 if all(r.kind in FORBIDDEN for _, r in refused) else 422
        context = list_context(
            request, _back_params(back), bulk=form, selected=selected, refused=refused
        )
        context["bulk_label"] = label
        return render(request, "tickets/ticket_list.html", context, status=status)
    tags = ", ".join(t.tag for t in done)
    for ticket, refusal in refused:
        rules = f" ({', '.join(refusal.rule_ids)})" if refusal.rule_ids else ""
        messages.warning(request, f"{ticket.tag} não mudou: {refusal.message}{rules}")
    return go(request, back, f"{label}: feito em {len(done)} chamado(s) ({tags}).")


@login_required
def queue(request):
    """T6: clients waiting for our return, nearest SLA breach first."""
    require_roles(request.user, SUPPORT_ALL)
    page = page_number(request.GET)
    rows, more = sla_queue.waiting_queue(page)
    total, breached = sla_queue.waiting_counts()
    first = (page - 1) * sla_queue.QUEUE_PAGE_SIZE + 1
    context = {
        "rows": rows,
        "total": total,
        "breached": breached,
        "page": page,
        "more": more,
        "first": first,
        "last": first + len(rows) - 1,
    }
    return render(request, "tickets/queue.html", context)


# -- The new-ticket form's client search (T2) --------------------------------------------------


@login_required
def client_search(request):
    """T2: the type-ahead of "Ficha do cliente": name, CPF/CNPJ, e-mail or phone, as on
    Início; merged fichas are never offered."""
    require_roles(request.user, SUPPORT_STAFF)
    term = (request.GET.get("ficha_busca") or "").replace("\x00", "").strip()[:100]
    fichas = []
    if len(term) >= 3:
        fichas = list(search_fichas(term, exclude_merged=True))  # the search of Início
    return render(request, "tickets/_client_search_results.html", {"term": term, "fichas": fichas})


@login_required
def client_pick(request):
    """T2: the picked ficha and its open tickets, before another one is opened."""
    require_roles(request.user, SUPPORT_STAFF)
    value = request.GET.get("ficha", "")
    ficha = (
        Ficha.objects.exclude(status=Ficha.Status.MERGED).filter(pk=value).first()
        if value.isdigit() and len(value) < 10
        else None
    )
    if ficha is None:
        context = {"error": "Ficha não encontrada (ou unificada em outra)."}
        return render(request, "tickets/_client_search_pick.html", context, status=404)
    context = {"ficha": ficha, "open_tickets": selectors.open_tickets_of(ficha)}
    return render(request, "tickets/_client_search_pick.html", context)
