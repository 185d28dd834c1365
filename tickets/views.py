"""Support pages (thin: forms check input, services and flows apply the rules)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from workflows import clock
from workflows.engine import TransitionRefused, available_events
from workflows.models import AuditEntry
from workflows.roles import MANAGER, SUPPORT, SUPPORT_DEV, has_role

from . import forms, github, services, sla
from .models import EmailAttachment, InboundEmail, MailboxState, Ticket

SUPPORT_ROLES = (SUPPORT, SUPPORT_DEV, MANAGER)

# event -> (button label, reason label); events not listed are not offered on screen.
ACTIONS = {
    "analyse": ("Iniciar análise", "Por quê"),
    "respond": ("Dar retorno ao cliente", "O que foi dito ao cliente (vale como retorno, T6)"),
    "ask_client": ("Aguardar o cliente", "O que foi pedido ao cliente"),
    "client_replied": ("Cliente respondeu", "O que o cliente respondeu"),
    "develop": ("Enviar para desenvolvimento", "Por quê"),
    "conclude": ("Concluir", "Solução informada ao cliente"),
    "reopen": ("Reabrir", "Por que reabrir"),
    "assign": ("Atribuir responsável", "Por quê"),
}


def require_roles(user, *roles):
    if not has_role(user, *roles):
        raise PermissionDenied("Seu perfil não permite esta página.")


def done(request, message, url):
    messages.success(request, message)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def form_response(request, context, status=200):
    template = "web/_form.html" if request.htmx else "web/form_page.html"
    return render(request, template, context, status=status)


def ticket_actions(ticket, user):
    events = set(available_events(ticket, user))
    return [
        (event, label)
        for event, (label, _) in ACTIONS.items()
        if event in events and (event != "develop" or ticket.github_issue_number)
    ]


@login_required
def ticket_list(request):
    require_roles(request.user, *SUPPORT_ROLES)
    state = request.GET.get("estado", "ativos")
    tickets = Ticket.objects.select_related("assignee", "ficha", "sla_policy")
    if state == "ativos":
        tickets = tickets.filter(state__in=Ticket.ACTIVE)
    elif state in Ticket.State.values:
        tickets = tickets.filter(state=state)
    q = (request.GET.get("q") or "").strip()
    if q:
        tickets = tickets.filter(
            Q(subject__icontains=q) | Q(requester__icontains=q) | Q(ficha__name__icontains=q)
        )
    if request.GET.get("meus"):
        tickets = tickets.filter(assignee=request.user)
    channel = request.GET.get("canal")
    if channel in Ticket.Channel.values:
        tickets = tickets.filter(channel=channel)
    if request.GET.get("parados"):  # T4/T8: status not touched since the last business day
        tickets = tickets.filter(pk__in=services.stale_tickets().values("pk"))
    context = {
        "tickets": tickets[:200],
        "state": state,
        "states": Ticket.State.choices,
        "q": q,
        "can_create": has_role(request.user, SUPPORT, MANAGER),
    }
    return render(request, "tickets/ticket_list.html", context)


@login_required
def ticket_create(request):
    require_roles(request.user, SUPPORT, MANAGER)
    form = forms.TicketForm(request.POST or None, initial=request.GET or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.create_ticket(actor=request.user, **form.cleaned_data)
        except TransitionRefused as refused:
            refusal = refused
        else:
            return done(
                request,
                f"Chamado {ticket.tag} aberto.",
                reverse("tickets:detail", args=[ticket.pk]),
            )
    status = 422 if request.method == "POST" else 200
    return form_response(
        request,
        {
            "form": form,
            "refusal": refusal,
            "action_url": request.path,
            "title": "Abrir chamado",
            "submit": "Abrir chamado",
            "form_id": "form-chamado",
            "back_url": reverse("tickets:list"),
        },
        status,
    )


def history_of(ticket):
    """T4: transitions (who, when, from → to, why) and notes, oldest first."""
    labels = dict(Ticket.State.choices)
    items = [
        {
            "at": a.at,
            "who": a.actor,
            "audit": a,
            "label": ticket.machine.event_label(a.event),
            "from_label": labels.get(a.from_state, a.from_state),
            "to_label": labels.get(a.to_state, a.to_state),
        }
        for a in AuditEntry.for_object(ticket).select_related("actor")
    ]
    items += [
        {"at": n.at, "who": n.author or n.external_author, "note": n}
        for n in ticket.notes.select_related("author")
    ]
    return sorted(items, key=lambda i: i["at"])


@login_required
def ticket_detail(request, pk):
    require_roles(request.user, *SUPPORT_ROLES)
    ticket = get_object_or_404(
        Ticket.objects.select_related("sla_policy", "assignee", "ficha"), pk=pk
    )
    now = clock.now()
    context = {
        "ticket": ticket,
        "history": history_of(ticket),
        "actions": ticket_actions(ticket, request.user),
        "response_left": sla.describe_remaining(now, ticket.response_due_at, ticket.sla_policy),
        "resolution_left": sla.describe_remaining(now, ticket.resolution_due_at, ticket.sla_policy),
        "alerts": ticket.alerts.all(),
        "attachments": ticket.attachments.defer("content"),
        "can_github": ticket.is_active
        and not ticket.github_issue_number
        and not ticket.github_pending
        and "develop" in {e.id for e in ticket.machine.allowed_events}
        and has_role(request.user, *SUPPORT_ROLES),
    }
    return render(request, "tickets/ticket_detail.html", context)


@login_required
def ticket_action(request, pk, event):
    require_roles(request.user, *SUPPORT_ROLES)
    ticket = get_object_or_404(Ticket, pk=pk)
    if event not in ACTIONS:
        raise PermissionDenied("Ação desconhecida.")
    label, reason_label = ACTIONS[event]
    form_class = forms.AssignForm if event == "assign" else forms.ActionForm
    form = form_class(request.POST or None, reason_label=reason_label)
    refusal = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.act(ticket, event, actor=request.user, **data)
        except TransitionRefused as refused:
            refusal = refused
        else:
            return done(request, f"{label}: feito.", reverse("tickets:detail", args=[pk]))
    status = 422 if request.method == "POST" else 200
    return form_response(
        request,
        {
            "form": form,
            "refusal": refusal,
            "action_url": request.path,
            "title": f"{label} · {ticket.tag}",
            "submit": label,
            "form_id": f"form-{event}",
            "back_url": reverse("tickets:detail", args=[pk]),
        },
        status,
    )


def page_number(request) -> int:
    """?pagina=N: a whole number from 1; anything else is the first page."""
    value = request.GET.get("pagina", "")
    return int(value) if value.isdigit() and 0 < int(value) < 100_000 else 1


@login_required
def queue(request):
    """T6: clients waiting for our return, nearest SLA breach first."""
    require_roles(request.user, *SUPPORT_ROLES)
    page = page_number(request)
    rows, more = services.waiting_queue(page)
    total, breached = services.waiting_counts()
    first = (page - 1) * services.QUEUE_PAGE_SIZE + 1
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


@login_required
def github_open(request, pk):
    """T7: “Abrir no GitHub”: creates the issue and moves the ticket to em desenvolvimento."""
    require_roles(request.user, *SUPPORT_ROLES)
    ticket = get_object_or_404(Ticket, pk=pk)
    form = forms.ActionForm(
        request.POST or None, reason_label="O que o desenvolvimento precisa fazer"
    )
    refusal = None
    detail_url = reverse("tickets:detail", args=[pk])
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.open_on_github(
                ticket, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except services.GithubQueued as queued:
            messages.warning(
                request,
                f"GitHub indisponível ({queued.error}). O chamado não mudou; nova tentativa "
                f"automática às {queued.retry_at:%H:%M}.",
            )
            return HttpResponseClientRedirect(detail_url) if request.htmx else redirect(detail_url)
        except TransitionRefused as refused:
            refusal = refused
        else:
            return done(
                request, f"Issue #{ticket.github_issue_number} criada no GitHub.", detail_url
            )
    return form_response(
        request,
        {
            "form": form,
            "refusal": refusal,
            "action_url": request.path,
            "title": f"Abrir no GitHub · {ticket.tag}",
            "submit": "Abrir no GitHub",
            "form_id": "form-github",
            "back_url": detail_url,
        },
        422 if request.method == "POST" else 200,
    )


@csrf_exempt
@require_POST
def github_webhook(request):
    """T7: GitHub `issues` / `issue_comment` deliveries, HMAC-signed; replays ignored."""
    if not github.valid_signature(request.body, request.headers.get("X-Hub-Signature-256")):
        return HttpResponseForbidden("assinatura inválida")
    delivery = request.headers.get("X-GitHub-Delivery", "")
    event = request.headers.get("X-GitHub-Event", "")
    if not delivery or not event:
        return HttpResponse("faltam cabeçalhos do GitHub", status=400)
    if event == "ping":
        return HttpResponse("pong")
    try:
        payload = json.loads(request.body)
    except ValueError:
        return HttpResponse("JSON inválido", status=400)
    if not isinstance(payload, dict):
        return HttpResponse("JSON inválido", status=400)
    outcome = services.handle_github_event(delivery, event, payload)
    return HttpResponse(outcome, content_type="text/plain")


@login_required
def github_board(request):
    """T7: the support-dev board of GitHub-linked tickets with their issue state."""
    require_roles(request.user, *SUPPORT_ROLES)
    return render(request, "tickets/github_board.html", {"tickets": services.github_board()})


@login_required
def attachment(request, pk):
    """T1: download an attachment kept from a client's e-mail."""
    require_roles(request.user, *SUPPORT_ROLES)
    item = get_object_or_404(EmailAttachment, pk=pk)
    response = HttpResponse(bytes(item.content), content_type=item.content_type)
    response["Content-Disposition"] = f'attachment; filename="{item.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def inbox(request):
    """T1: what the mailbox poller read, including messages it could not import."""
    require_roles(request.user, *SUPPORT_ROLES)
    context = {
        "emails": InboundEmail.objects.select_related("ticket")[:200],
        "states": MailboxState.objects.all(),
        "failed": InboundEmail.objects.filter(outcome="failed").count(),
    }
    return render(request, "tickets/inbox.html", context)


@login_required
def inbox_raw(request, pk):
    require_roles(request.user, *SUPPORT_ROLES)
    message = get_object_or_404(InboundEmail, pk=pk)
    response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="email-{message.pk}.eml"'
    return response
