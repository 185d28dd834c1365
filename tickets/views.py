"""Support pages (thin: forms check input, services and flows apply the rules)."""

import json
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from workflows import clock
from workflows.action_views import (
    act,
    event_action,
    form_response,
    go,
    posted,
    refused_response,
    require_roles,
)
from workflows.engine import actions_for
from workflows.refusals import TransitionRefused
from workflows.roles import SUPPORT_ALL, SUPPORT_STAFF, has_role
from workflows.selectors import audit_rows

from . import desk, forms, github, github_sync, mail_trust, mailbox, selectors, sla
from .models import EmailAttachment, InboundEmail, MailboxState, Ticket
from .statemachines import TicketFlow

SIMPLE_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]{0,60}/[a-z0-9][a-z0-9.+-]{0,60}")

# event -> the label of its reason field (the button's label is the machine's); events not
# listed are not offered on screen.
ACTIONS = {
    "analyse": "Por quê",
    "respond": "O que foi dito ao cliente (vale como retorno, T6)",
    "ask_client": "O que foi pedido ao cliente",
    "client_replied": "O que o cliente respondeu",
    "develop": "Por quê",
    "conclude": "Solução informada ao cliente",
    "reopen": "Por que reabrir",
    "assign": "Por quê",
}


def ticket_actions(ticket, user):
    """The ticket's buttons: what the machine lets this user do now, in ACTIONS' order."""
    actions = actions_for(ticket, user)
    return [(event, actions[event].label) for event in ACTIONS if actions.may(event)]


@login_required
def ticket_list(request):
    require_roles(request.user, SUPPORT_ALL)
    state = request.GET.get("estado", "ativos")
    tickets = Ticket.objects.select_related("assignee", "ficha", "sla_policy")
    if state == "ativos":
        tickets = tickets.filter(state__in=Ticket.ACTIVE)
    elif state in Ticket.State.values:
        tickets = tickets.filter(state=state)
    q = selectors.search_text(request)
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
        tickets = tickets.filter(pk__in=desk.stale_tickets().values("pk"))
    context = {
        "tickets": tickets[:200],
        "state": state,
        "states": Ticket.State.choices,
        "q": q,
        "can_create": has_role(request.user, *SUPPORT_STAFF),
    }
    return render(request, "tickets/ticket_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request):
    require_roles(request.user, SUPPORT_STAFF)
    return act(
        request,
        forms.TicketForm(posted(request), initial=request.GET or None),
        perform=lambda data: desk.create_ticket(actor=request.user, **data),
        success=lambda ticket: f"Chamado {ticket.tag} aberto.",
        redirect_to=lambda ticket: reverse("tickets:detail", args=[ticket.pk]),
        title="Abrir chamado",
        submit="Abrir chamado",
        form_id="form-chamado",
    )


def history_of(ticket):
    """T4: transitions (who, when, from → to, why) and notes, oldest first."""
    items = audit_rows(ticket)
    items += [
        {"at": n.at, "who": n.author or n.external_author, "note": n}
        for n in ticket.notes.select_related("author")
    ]
    return sorted(items, key=lambda i: i["at"])


@login_required
def ticket_detail(request, pk):
    require_roles(request.user, SUPPORT_ALL)
    ticket = get_object_or_404(
        Ticket.objects.select_related("sla_policy", "assignee", "ficha", "suspected_reply_to"),
        pk=pk,
    )
    now = clock.now()
    context = {
        "ticket": ticket,
        "history": history_of(ticket),
        "actions": ticket_actions(ticket, request.user),
        "response_left": sla.describe_remaining(now, ticket.response_due_at, ticket.sla_policy),
        "resolution_left": sla.describe_remaining(now, ticket.resolution_due_at, ticket.sla_policy),
        "alerts": ticket.alerts.all(),
        "suspected": ticket.suspected_reply_to,
        "may_link": bool(ticket.suspected_reply_to_id)
        and actions_for(ticket, request.user).may("link_reply"),
        "linked": bool(ticket.suspected_reply_to_id) and not ticket.emails.exists(),
        "attachments": ticket.attachments.defer("content"),
        "can_github": ticket.is_active
        and not ticket.github_issue_number
        and not ticket.github_pending
        and actions_for(ticket, request.user).get("develop") is not None,
    }
    return render(request, "tickets/ticket_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_link(request, pk):
    """T1: one click: a "possível resposta" goes to the ticket it pointed at, as the client's
    reply, and is closed as linked (support staff only; the machine's `link_reply`)."""
    require_roles(request.user, SUPPORT_STAFF)
    ticket = get_object_or_404(Ticket, pk=pk)
    label = TicketFlow.actions["link_reply"].label
    title = f"{label} · {ticket.tag}"
    back = reverse("tickets:detail", args=[pk])
    refusal = event_action(ticket, "link_reply", request.user)
    if refusal is not None:
        return refused_response(request, refusal, title=title, back_url=back)
    return act(
        request,
        forms.ConfirmForm(posted(request)),
        perform=lambda data: mail_trust.ticket_link_reply(ticket, actor=request.user),
        success=lambda original: (
            f"E-mail vinculado ao chamado {original.tag} como resposta "
            f"do cliente; {ticket.tag} concluído."
        ),
        redirect_to=lambda original: reverse("tickets:detail", args=[original.pk]),
        title=title,
        submit=f"Vincular ao chamado {ticket.suspected_reply_to.tag}",
        form_id="form-link_reply",
    )


@login_required
@require_http_methods(["GET", "POST"])
def ticket_action(request, pk, event):
    require_roles(request.user, SUPPORT_ALL)
    ticket = get_object_or_404(Ticket, pk=pk)
    if event not in ACTIONS:
        raise Http404("Ação desconhecida.")
    label, reason_label = TicketFlow.actions[event].label, ACTIONS[event]
    title = f"{label} · {ticket.tag}"
    back = reverse("tickets:detail", args=[pk])
    refusal = event_action(ticket, event, request.user)
    if refusal is not None:
        return refused_response(request, refusal, title=title, back_url=back)
    form_class = forms.AssignForm if event == "assign" else forms.ActionForm
    return act(
        request,
        form_class(posted(request), reason_label=reason_label),
        perform=lambda data: desk.act(ticket, event, actor=request.user, **data),
        success=f"{label}: feito.",
        redirect_to=back,
        title=title,
        submit=label,
        form_id=f"form-{event}",
    )


def page_number(request) -> int:
    """?pagina=N: a whole number from 1; anything else is the first page."""
    value = request.GET.get("pagina", "")
    return int(value) if value.isdigit() and 0 < int(value) < 100_000 else 1


@login_required
def queue(request):
    """T6: clients waiting for our return, nearest SLA breach first."""
    require_roles(request.user, SUPPORT_ALL)
    page = page_number(request)
    rows, more = selectors.waiting_queue(page)
    total, breached = selectors.waiting_counts()
    first = (page - 1) * selectors.QUEUE_PAGE_SIZE + 1
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
    require_roles(request.user, SUPPORT_ALL)
    ticket = get_object_or_404(Ticket, pk=pk)
    form = forms.ActionForm(
        request.POST or None, reason_label="O que o desenvolvimento precisa fazer"
    )
    refusal = None
    detail_url = reverse("tickets:detail", args=[pk])
    if request.method == "POST" and form.is_valid():
        try:
            ticket = github_sync.open_on_github(
                ticket, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except github_sync.GithubQueued as queued:
            messages.warning(
                request,
                f"GitHub indisponível ({queued.error}). O chamado não mudou; nova tentativa "
                f"automática às {queued.retry_at:%H:%M}.",
            )
            return go(request, detail_url)
        except TransitionRefused as refused:
            refusal = refused
        else:
            return go(request, detail_url, f"Issue #{ticket.github_issue_number} criada no GitHub.")
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
        refusal.status_code if refusal else (422 if request.method == "POST" else 200),
    )


@csrf_exempt
@require_POST
def github_webhook(request):
    """T7: GitHub `issues` / `issue_comment` deliveries, HMAC-signed; replays ignored; a signed
    body of the wrong shape is a 400 with nothing written."""
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
    except (ValueError, RecursionError):
        return HttpResponse("JSON inválido", status=400)
    try:
        outcome = github_sync.handle_github_event(delivery, event, payload)
    except github.BadPayload as bad:  # signed, but not what GitHub sends: nothing written
        return HttpResponse(f"conteúdo inválido: {bad}", status=400, content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")


@login_required
def github_board(request):
    """T7: the support-dev board of GitHub-linked tickets with their issue state."""
    require_roles(request.user, SUPPORT_ALL)
    return render(request, "tickets/github_board.html", {"tickets": github_sync.github_board()})


@login_required
def attachment(request, pk):
    """T1: download an attachment kept from a client's e-mail."""
    require_roles(request.user, SUPPORT_ALL)
    item = get_object_or_404(EmailAttachment, pk=pk)
    kind = (
        item.content_type
        if SIMPLE_TYPE.fullmatch(item.content_type)
        else "application/octet-stream"
    )
    response = HttpResponse(bytes(item.content), content_type=kind)
    # A name kept before names were sanitised may hold CR/LF: never in a header as such.
    name = mailbox.safe_filename(item.filename)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def inbox(request):
    """T1: what the mailbox poller read, including messages it could not import."""
    require_roles(request.user, SUPPORT_ALL)
    context = {
        "emails": InboundEmail.objects.select_related("ticket")[:200],
        "states": MailboxState.objects.all(),
        "failed": InboundEmail.objects.filter(outcome="failed").count(),
    }
    return render(request, "tickets/inbox.html", context)


@login_required
def inbox_raw(request, pk):
    require_roles(request.user, SUPPORT_ALL)
    message = get_object_or_404(InboundEmail, pk=pk)
    response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="email-{message.pk}.eml"'
    return response
