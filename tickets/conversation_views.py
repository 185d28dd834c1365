"""The ticket page's conversation: the reply editor (reply to the client, with a state change
or not, or an internal note), quoting a client's message, the files of replies and who else
is on the ticket now. The services are `tickets.conversation`; like `act`, a refusal puts
each problem on its field and answers 403/422 with what was typed, success flashes and goes
to the ticket (HX-Redirect for HTMX). The editor has several submit buttons, so it renders its
own template instead of the generic one-button form."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from workflows.action_views import (
    act,
    go,
    on_fields,
    posted,
    refused_response,
    require_roles,
    safe_next,
)
from workflows.refusals import TransitionRefused
from workflows.roles import SUPPORT_ALL

from . import conversation
from .conversation_forms import NOTE, NoteEditForm, ReplyForm
from .models import Ticket, TicketNote, TicketNoteAttachment
from .presence import presence_mark, presence_of
from .views import detail_context, download

REPLY_FORM = "tickets/_reply_form.html"
SUCCESS = {
    "respond": "Resposta enviada ao cliente.",
    "ask_client": "Resposta enviada ao cliente; o chamado aguarda o cliente.",
    "conclude": "Resposta enviada ao cliente; chamado concluído.",
    NOTE: "Nota interna registrada (não vai para o cliente).",
}
RECORDED = {  # a client without an e-mail address: the return told by phone or chat (T6)
    "respond": "Retorno ao cliente registrado.",
    "ask_client": "Retorno ao cliente registrado; o chamado aguarda o cliente.",
    "conclude": "Retorno ao cliente registrado; chamado concluído.",
}


def _ticket(pk):
    return get_object_or_404(
        Ticket.objects.select_related("sla_policy", "assignee", "ficha", "suspected_reply_to"),
        pk=pk,
    )


@login_required
@require_POST
def reply(request, pk):
    """T1/T4/T6: "Responder ao cliente" (e-mailed, counts as a response), "Responder e
    aguardar o cliente", "Responder e concluir" or "Nota interna" (never e-mailed)."""
    require_roles(request.user, SUPPORT_ALL)
    ticket = _ticket(pk)
    form = ReplyForm(request.POST, request.FILES)
    refusal, status = None, 422
    if form.is_valid():
        data, send = form.cleaned_data, form.cleaned_data["enviar"]
        try:
            if send == NOTE:
                conversation.ticket_note(
                    ticket, actor=request.user, text=data["text"], files=data["files"]
                )
            else:
                # T1: e-mailed when the client has an address; else told another way (T6).
                conversation.ticket_reply(
                    ticket,
                    actor=request.user,
                    text=data["text"],
                    files=data["files"],
                    event=send,
                    answering=data["answering"],
                    email=bool(ticket.requester_email),
                )
        except TransitionRefused as refused:
            refusal, status = on_fields(form, refused), refused.status_code
        else:
            # HTMX reloads the page (a "#…" target on the same page would only scroll).
            target = reverse("tickets:detail", args=[ticket.pk])
            target += "" if request.htmx else "#conversa"
            done = SUCCESS[send] if ticket.requester_email or send == NOTE else RECORDED[send]
            return go(request, safe_next(request, target), done)
    if request.htmx:
        context = detail_context(request, ticket, form, refusal)
        return render(request, REPLY_FORM, context, status=status)
    context = detail_context(request, ticket, form, refusal)
    return render(request, "tickets/ticket_detail.html", context, status=status)


@login_required
@require_GET
def quote(request, pk):
    """The "Citar" link: the editor's text with the client's message quoted below it."""
    require_roles(request.user, SUPPORT_ALL)
    ticket = get_object_or_404(Ticket, pk=pk)
    typed = request.GET.get("text", "")[: conversation.MAX_TEXT]
    quoted, answering = conversation.quote(ticket, request.GET.get("citar", "")[:20])
    text = "\n\n".join(part for part in (typed.rstrip(), quoted) if part)
    context = {"ticket": ticket, "text": text, "answering": answering or "", "field": None}
    return render(request, "tickets/_conversation_reply_body.html", context)


@login_required
def presence(request, pk):
    """The collision warning: POST says "I am here" (and "replying" with ?respondendo=1);
    both answer who else is on the ticket now. Kept in the cache only."""
    require_roles(request.user, SUPPORT_ALL)
    ticket = get_object_or_404(Ticket.objects.only("pk"), pk=pk)
    if request.method == "POST":
        replying = request.GET.get("respondendo") == "1"
        presence_mark(ticket.pk, request.user, replying=replying)
    present = presence_of(ticket.pk, request.user)
    return render(request, "tickets/_presence.html", {"present": present})


@login_required
def reply_file(request, pk):
    """A file sent with a reply or kept with an internal note."""
    require_roles(request.user, SUPPORT_ALL)
    return download(get_object_or_404(TicketNoteAttachment, pk=pk))


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request, pk):
    """T4: the author edits an internal note (its earlier text kept and shown); a reply
    already e-mailed, or anyone else's note, is refused with why (422 / 403)."""
    require_roles(request.user, SUPPORT_ALL)
    note = get_object_or_404(TicketNote.objects.select_related("ticket"), pk=pk)
    back = reverse("tickets:detail", args=[note.ticket_id]) + f"#registro-{note.pk}"
    title = f"Editar nota interna · {note.ticket.tag}"
    refusal = conversation.note_edit_refusal(note, request.user)
    if refusal is not None:
        return refused_response(request, refusal, title=title, back_url=back)
    return act(
        request,
        NoteEditForm(posted(request), initial={"text": note.text}),
        perform=lambda data: conversation.ticket_note_edit(
            note, actor=request.user, text=data["text"]
        ),
        success="Nota interna editada; a versão anterior fica no histórico.",
        # Not `back`: the page is already at the ticket's URL, and a redirect that differs
        # only by its #fragment would scroll instead of showing the edited note.
        redirect_to=reverse("tickets:detail", args=[note.ticket_id]),
        title=title,
        submit="Salvar a nota",
        form_id="form-nota",
    )
