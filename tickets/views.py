"""Support pages (thin: forms check input, services and flows apply the rules)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.clickjacking import xframe_options_sameorigin
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
from workflows.roles import SUPPORT_ALL, SUPPORT_STAFF

from . import (
    conversation,
    desk,
    forms,
    github,
    github_sync,
    mail_trust,
    mailbox,
    mime,
    sla,
)
from .conversation import RECORD_EVENTS, REPLY_EVENTS
from .conversation_forms import ReplyForm
from .models import EmailAttachment, InboundEmail, MailboxState, Ticket
from .statemachines import TicketFlow

# T1: a client's HTML is shown in a sandboxed frame: no script, no plugin, no form, nothing
# fetched from outside (remote images track the reader); inline styles and the message's own
# inline images (its attachments, fetched from this server with the reader's session) only.
# The sandbox keeps the page's origin so that the session cookie (SameSite=Lax) goes with those
# image requests; without scripts (no allow-scripts) that origin can do nothing else.
EMAIL_HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox allow-same-origin"
)

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
    """The ticket's buttons: what the machine lets this user do now, in ACTIONS' order, as
    (event, label, editor). T6: a return to the client (respond, ask_client, conclude) has
    one path, the reply editor: `editor` is True for those, drawn as a link to it."""
    actions = actions_for(ticket, user)
    return [
        (event, actions[event].label, event in REPLY_EVENTS)
        for event in ACTIONS
        if actions.may(event)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request):
    require_roles(request.user, SUPPORT_STAFF)
    return act(
        request,
        forms.TicketForm(posted(request), initial=request.GET or None),
        perform=lambda data: desk.ticket_create(actor=request.user, **data),
        success=lambda ticket: f"Chamado {ticket.tag} aberto.",
        redirect_to=lambda ticket: reverse("tickets:detail", args=[ticket.pk]),
        title="Abrir chamado",
        submit="Abrir chamado",
        form_id="form-chamado",
    )


def history_of(ticket, viewer=None):
    """T1/T4/T7: the ticket's conversation: client messages, replies, internal notes, state
    changes and GitHub comments, oldest first (`tickets.conversation.thread`)."""
    return conversation.thread(ticket, viewer)


@login_required
def ticket_detail(request, pk):
    require_roles(request.user, SUPPORT_ALL)
    ticket = get_object_or_404(
        Ticket.objects.select_related("sla_policy", "assignee", "ficha", "suspected_reply_to"),
        pk=pk,
    )
    text, answering = conversation.quote(ticket, request.GET.get("citar", "")[:20])
    form = ReplyForm(initial={"text": f"\n\n{text}" if text else "", "answering": answering})
    return render(request, "tickets/ticket_detail.html", detail_context(request, ticket, form))


def detail_context(request, ticket, reply_form, refusal=None) -> dict:
    """The ticket page: facts, SLA, the conversation, the reply editor and the actions."""
    now = clock.now()
    actions = actions_for(ticket, request.user)
    reply_buttons = [
        (e, label)
        for e, label in (REPLY_EVENTS if ticket.requester_email else RECORD_EVENTS).items()
        if actions.may(e)
    ]
    # T4: the same decisions as the services (none on a merged ticket: write on the kept one).
    may_note = conversation.note_refusal(ticket, request.user) is None
    editor = bool(reply_buttons or may_note)
    if not editor and refusal is None:
        refusal = conversation.thread_refusal(ticket)  # why there is no editor (T4)
    return {
        "ticket": ticket,
        "history": history_of(ticket, request.user),
        "actions": ticket_actions(ticket, request.user),
        "merge": actions.get("merge"),  # T4: its own page (which ticket to keep), not a form
        "reply_form": reply_form,
        "reply_refusal": refusal,
        "reply_buttons": reply_buttons,
        "may_note": may_note,
        "editor": editor,  # the reply editor and its "Citar" links
        "response_left": sla.describe_remaining(now, ticket.response_due_at, ticket.sla_policy),
        "resolution_left": sla.describe_remaining(now, ticket.resolution_due_at, ticket.sla_policy),
        "alerts": ticket.alerts.all(),
        "suspected": ticket.suspected_reply_to,
        "may_link": bool(ticket.suspected_reply_to_id) and actions.may("link_reply"),
        "linked": bool(ticket.suspected_reply_to_id) and not ticket.emails.exists(),
        "attachments": ticket.attachments.defer("content"),
        "can_github": ticket.is_active
        and not ticket.github_issue_number
        and not ticket.github_pending
        and actions.get("develop") is not None,
    }


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
        perform=lambda data: desk.ticket_act(ticket, event, actor=request.user, **data),
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
            ticket = github_sync.ticket_open_on_github(
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
        outcome = github_sync.github_event_handle(delivery, event, payload)
    except github.BadPayload as bad:  # signed, but not what GitHub sends: nothing written
        return HttpResponse(f"conteúdo inválido: {bad}", status=400, content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")


@login_required
def github_board(request):
    """T7: the support-dev board of GitHub-linked tickets with their issue state."""
    require_roles(request.user, SUPPORT_ALL)
    return render(request, "tickets/github_board.html", {"tickets": github_sync.github_board()})


def download(item):
    """A kept file as a download: its type only when it is a plain `type/subtype`, a
    sanitised name in a Content-Disposition any browser reads (RFC 6266), never sniffed."""
    kind = item.content_type if mime.SIMPLE_TYPE.fullmatch(item.content_type) else ""
    response = HttpResponse(bytes(item.content), content_type=kind or "application/octet-stream")
    # A name kept before names were sanitised may hold CR/LF: never in a header as such.
    name = mailbox.safe_filename(item.filename)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def attachment(request, pk):
    """T1: download an attachment kept from a client's e-mail."""
    require_roles(request.user, SUPPORT_ALL)
    return download(get_object_or_404(EmailAttachment, pk=pk))


@login_required
def inbox(request):
    """T1: what the mailbox poller read, including messages it could not import."""
    require_roles(request.user, SUPPORT_ALL)
    context = {
        "emails": InboundEmail.objects.select_related("ticket")
        .defer("raw", "html")
        .annotate(has_html=ExpressionWrapper(~Q(html=""), output_field=BooleanField()))[:200],
        "states": MailboxState.objects.all(),
        "failed": InboundEmail.objects.filter(outcome="failed").count(),
    }
    return render(request, "tickets/inbox.html", context)


@login_required
def inbox_raw(request, pk):
    require_roles(request.user, SUPPORT_ALL)
    message = get_object_or_404(InboundEmail, pk=pk)
    response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
    response["Content-Disposition"] = content_disposition_header(True, f"email-{message.pk}.eml")
    return response


@login_required
@xframe_options_sameorigin
def email_html(request, pk):
    """T1: the original HTML of a client's e-mail, for the sandboxed frame of its ticket page
    (whoever may see the ticket): inline images drawn from its attachments, nothing remote."""
    require_roles(request.user, SUPPORT_ALL)
    message = get_object_or_404(
        InboundEmail.objects.filter(ticket__isnull=False).exclude(html="").only("pk", "html"),
        pk=pk,
    )
    images = {
        a.content_id: reverse("tickets:attachment", args=[a.pk])
        for a in conversation.inline_images(message.attachments.all())
    }
    response = HttpResponse(
        mime.framed_html(message.html, images), content_type="text/html; charset=utf-8"
    )
    response["Content-Security-Policy"] = EMAIL_HTML_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response
