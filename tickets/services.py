"""Support business logic: tickets (T2, T4), the SLA queue and its timers (T6).

Views call these functions; state changes go through `workflows.engine.transition` only.
"""

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, send_mail
from django.core.mail.message import make_msgid
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.utils import timezone

from workflows import clock, timers
from workflows.businessdays import add_business_days
from workflows.engine import TransitionRefused, require, transition
from workflows.models import AuditEntry, Timer
from workflows.roles import MANAGER, SUPPORT, SUPPORT_DEV

from . import sla
from .conf import get as from_conf
from .models import GithubDelivery, SlaPolicy, Ticket, TicketAlert, TicketNote, priority_for
from .statemachines import CLIENT_FACING

log = logging.getLogger(__name__)

SLA_TIMERS = {
    # key: (target, kind, handler)
    "sla_response_warning": ("response", "warning", "tickets.services.sla_response_warning"),
    "sla_response_breach": ("response", "breach", "tickets.services.sla_response_breach"),
    "sla_resolution_warning": ("resolution", "warning", "tickets.services.sla_resolution_warning"),
    "sla_resolution_breach": ("resolution", "breach", "tickets.services.sla_resolution_breach"),
}


def policy_for(urgency: int, impact: int) -> SlaPolicy:
    """T6: the policy of the priority (urgency × impact); any policy if none matches."""
    policy = SlaPolicy.objects.filter(priority=priority_for(urgency, impact)).first()
    policy = policy or SlaPolicy.objects.order_by("pk").first()
    if policy is None:
        raise TransitionRefused("Cadastre uma política de SLA antes de abrir chamados.", "T6")
    return policy


def create_ticket(*, actor, sla_policy=None, **fields) -> Ticket:
    """T2: open a ticket; the SLA clock starts now (first response and resolution)."""
    now = clock.now()
    policy = sla_policy or policy_for(
        fields.get("urgency", Ticket._meta.get_field("urgency").default),
        fields.get("impact", Ticket._meta.get_field("impact").default),
    )
    with transaction.atomic():
        ticket = Ticket(created_by=actor, created_at=now, sla_policy=policy, **fields)
        ticket.response_since = ticket.resolution_since = now
        ticket.response_due_at = sla.add_business_minutes(
            now, policy.first_response_minutes, policy
        )
        ticket.resolution_due_at = sla.add_business_minutes(now, policy.resolution_minutes, policy)
        ticket.full_clean()
        ticket.save()
        sync_sla_timers(ticket)
    return ticket


def act(ticket: Ticket, event: str, *, actor, reason: str = "", **data) -> Ticket:
    """T4: one audited ticket transition, then the SLA timers follow the new deadlines (T6)."""
    with transaction.atomic():
        ticket = transition(ticket, event, actor=actor, reason=(reason or "").strip(), **data)
        sync_sla_timers(ticket)
        _follow_github_retry(ticket)
        if event in CLIENT_FACING and actor is not None:
            email_client(ticket, reason.strip())
    return ticket


def email_client(ticket: Ticket, text: str) -> None:
    """T1: a ticket that came by e-mail is answered by e-mail (SMTP), with its [#id] tag and
    threaded on the client's last message; the Message-ID is kept to thread their answer."""
    if ticket.channel != Ticket.Channel.EMAIL or not ticket.requester_email:
        return
    last_in = ticket.emails.exclude(outcome="failed").order_by("-received_at", "-pk").first()
    headers = {"Message-ID": make_msgid(domain="balcao.suporte")}
    if last_in is not None:
        headers["In-Reply-To"] = last_in.message_id
        headers["References"] = last_in.message_id
    message = EmailMessage(
        subject=f"Re: {ticket.tag} {ticket.subject}",
        body=text,
        from_email=from_conf("SUPPORT_EMAIL_FROM") or None,
        to=[ticket.requester_email],
        headers=headers,
    )
    try:
        message.send()
    except Exception:  # the answer is recorded anyway; support sees it was not delivered
        log.exception("reply to ticket %s not sent", ticket.pk)
        add_note(ticket, kind=TicketNote.Kind.INTERNAL, text="Falha ao enviar o e-mail ao cliente.")
        return
    add_note(
        ticket,
        kind=TicketNote.Kind.EMAIL_OUT,
        text=f"Enviado para {ticket.requester_email}.",
        external_id=headers["Message-ID"],
    )


def _follow_github_retry(ticket: Ticket) -> None:
    """T7: a pending GitHub retry stays armed whatever state the ticket moves to."""
    if not ticket.github_pending or ticket.github_issue_number:
        return
    pending = Timer.for_object(ticket).filter(key="github_retry", fired_at__isnull=True)
    for timer in pending:
        timers.arm(ticket, timer.key, timer.due_at, timer.handler, armed_state=ticket.state)


def add_note(ticket, *, kind, text, author=None, external_author="", external_id="", at=None):
    return TicketNote.objects.create(
        ticket=ticket,
        kind=kind,
        text=text,
        author=author,
        external_author=external_author,
        external_id=external_id,
        at=at or clock.now(),
    )


# -- T6: SLA timers ----------------------------------------------------------------------------


def _deadlines(ticket: Ticket):
    """(key, due_at) of the four SLA timers; due None means disarmed."""
    policy = ticket.sla_policy
    result = {}
    response_live = ticket.waits_for_us and ticket.response_due_at and ticket.response_since
    resolution_live = ticket.is_active and ticket.resolution_due_at and ticket.resolution_since
    result["sla_response_breach"] = ticket.response_due_at if response_live else None
    result["sla_response_warning"] = (
        sla.warning_point(ticket.response_since, ticket.response_due_at, policy)
        if response_live
        else None
    )
    result["sla_resolution_breach"] = ticket.resolution_due_at if resolution_live else None
    result["sla_resolution_warning"] = (
        sla.warning_point(ticket.resolution_since, ticket.resolution_due_at, policy)
        if resolution_live
        else None
    )
    return result


def sync_sla_timers(ticket: Ticket) -> None:
    """T6: arm (or move, or disarm) the 80 % warning and the breach timer of each deadline.

    Re-arming on every change keeps each timer bound to the ticket's current state; a timer
    that fires twice for the same deadline is harmless (alerts are unique per deadline).
    """
    for key, due in _deadlines(ticket).items():
        if due is None:
            timers.disarm(ticket, key)
        else:
            timers.arm(ticket, key, due, SLA_TIMERS[key][2], armed_state=ticket.state)


def _recipients(kind: str, ticket: Ticket) -> list:
    User = get_user_model()
    if kind == "warning" and ticket.assignee_id:
        return [ticket.assignee]
    role = SUPPORT if kind == "warning" else MANAGER
    return list(User.objects.filter(groups__name=role, is_active=True).distinct())


def _alert(ticket: Ticket, key: str) -> TicketAlert | None:
    target, kind, _ = SLA_TIMERS[key]
    live = _deadlines(ticket).get(key)
    if live is None or live > clock.now():
        return None  # the deadline moved (a response arrived) or is not live any more
    due = ticket.response_due_at if target == "response" else ticket.resolution_due_at
    if TicketAlert.objects.filter(ticket=ticket, kind=kind, target=target, due_at=due).exists():
        return None
    people = _recipients(kind, ticket)
    alert = TicketAlert.objects.create(
        ticket=ticket,
        kind=kind,
        target=target,
        due_at=due,
        recipients=", ".join(u.get_full_name() or u.username for u in people),
    )
    label = TicketAlert.Target(target).label
    when = f"{timezone.localtime(due):%d/%m/%Y %H:%M}"
    if kind == "warning":
        subject = f"{ticket.tag} SLA: prazo de {label} perto de vencer"
        body = (
            f"O chamado {ticket.tag} “{ticket.subject}” usou {ticket.sla_policy.warn_percent}% "
            f"do prazo de {label} ({ticket.sla_policy}). Vence em {when}. (T6)"
        )
    else:
        subject = f"{ticket.tag} SLA estourado: {label}"
        body = (
            f"O prazo de {label} do chamado {ticket.tag} “{ticket.subject}” venceu em {when}. "
            f"Responsável: {ticket.assignee or 'ninguém'}. Escalado ao gestor. (T6)"
        )
    emails = [u.email for u in people if u.email]
    if emails:
        send_mail(subject, body, None, emails)
    return alert


def sla_response_warning(ticket):
    _alert(ticket, "sla_response_warning")


def sla_response_breach(ticket):
    _alert(ticket, "sla_response_breach")


def sla_resolution_warning(ticket):
    _alert(ticket, "sla_resolution_warning")


def sla_resolution_breach(ticket):
    _alert(ticket, "sla_resolution_breach")


def stale_since(days: int = 1) -> dt.datetime:
    """T4/T8: a status untouched since this moment (`days` business days back) is stale."""
    limit_day = add_business_days(clock.today(), -days)
    return timezone.make_aware(dt.datetime.combine(limit_day + dt.timedelta(days=1), dt.time()))


def stale_tickets(since: dt.datetime | None = None):
    """T4/T8: active tickets whose status nobody touched since `since` (stale_since()) (a
    queryset: one NOT EXISTS per ticket on the audit's (content type, object) index)."""
    since = since or stale_since()
    touched = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket),
        object_id=Cast(OuterRef("pk"), CharField()),
        at__gte=since,
    )
    return Ticket.objects.filter(state__in=Ticket.ACTIVE, created_at__lt=since).exclude(
        Exists(touched)
    )


def support_people():
    User = get_user_model()
    return (
        User.objects.filter(groups__name__in=[SUPPORT, SUPPORT_DEV, MANAGER], is_active=True)
        .distinct()
        .order_by("first_name", "username")
    )


# -- T7: GitHub --------------------------------------------------------------------------------

GITHUB_RETRY_KEY = "github_retry"
GITHUB_RETRY_HANDLER = "tickets.services.github_retry"


class GithubQueued(Exception):
    """GitHub is unavailable: the ticket is unchanged and a timer will retry."""

    def __init__(self, ticket, error, retry_at):
        super().__init__(str(error))
        self.ticket, self.error, self.retry_at = ticket, error, retry_at


def _issue_text(ticket: Ticket) -> tuple[str, str]:
    client = ticket.ficha.name if ticket.ficha_id else ticket.requester
    title = f"{ticket.tag} {ticket.subject}"
    body = (
        f"Chamado do G3stor {ticket.tag} (prioridade {ticket.priority}).\n\n"
        f"Cliente: {client or '—'}\nCanal: {ticket.get_channel_display()}\n\n"
        f"{ticket.description}\n\n{_issue_marker(ticket)}"
    )
    return title, body


def _issue_marker(ticket: Ticket) -> str:
    """Hidden in the issue's body (an HTML comment): a retry looks for it first."""
    return f"<!-- balcao-chamado-{ticket.pk} -->"


def _retry_delay_minutes(attempts: int) -> int:
    return min(2 ** max(attempts - 1, 0), 60)


def open_on_github(ticket: Ticket, *, actor, reason: str = "") -> Ticket:
    """T7: create the issue, keep its link and move the ticket to em desenvolvimento.

    GitHub down or rate-limited: the ticket keeps its state, is flagged pending and a
    django-q2 timer retries (exponential backoff up to an hour); raises `GithubQueued`.
    A refusal (bad token, unknown repository) raises `TransitionRefused`; nothing is written.
    """
    require(ticket, "develop", actor=actor, skip=("has_issue",))  # the issue is made here
    if ticket.github_issue_number:
        raise TransitionRefused("Este chamado já tem issue no GitHub.", "T7")
    # Claim the creation first (compare-and-set): a double click never opens two issues.
    claimed = Ticket.objects.filter(
        pk=ticket.pk, github_issue_number__isnull=True, github_pending=False
    ).update(github_pending=True)
    if not claimed:
        raise TransitionRefused("A issue deste chamado já está sendo criada no GitHub.", "T7")
    ticket.refresh_from_db()
    return _create_issue(ticket, actor=actor, reason=reason)


def _create_issue(ticket: Ticket, *, actor, reason: str) -> Ticket:
    from . import github

    title, body = _issue_text(ticket)
    reason = (reason or "").strip() or "Precisa de desenvolvimento: aberto no GitHub."
    try:
        # A retry may follow a lost response: GitHub may have created the issue then.
        found = github.find_issue(_issue_marker(ticket)) if ticket.github_attempts else None
        issue = found or github.create_issue(title, body)
    except github.GitHubUnavailable as error:
        attempts = ticket.github_attempts + 1
        retry_at = clock.now() + dt.timedelta(minutes=_retry_delay_minutes(attempts))
        with transaction.atomic():
            Ticket.objects.filter(pk=ticket.pk).update(
                github_pending=True,
                github_error=str(error)[:300],
                github_attempts=attempts,
            )
            ticket.refresh_from_db()
            timers.arm(ticket, GITHUB_RETRY_KEY, retry_at, GITHUB_RETRY_HANDLER)
            if attempts == 1:
                add_note(
                    ticket,
                    kind=TicketNote.Kind.GITHUB,
                    author=actor,
                    text=f"GitHub indisponível ({error}); nova tentativa automática. {reason}",
                )
        log.warning("GitHub unavailable for ticket %s: %s", ticket.pk, error)
        raise GithubQueued(ticket, error, retry_at) from None
    except github.GitHubError as error:
        # Retrying will not help: release the claim so support can fix and click again.
        Ticket.objects.filter(pk=ticket.pk).update(github_pending=False)
        if ticket.github_attempts:  # a timer retry: say why on the ticket
            Ticket.objects.filter(pk=ticket.pk).update(github_error=str(error)[:300])
            add_note(
                ticket, kind=TicketNote.Kind.GITHUB, text=f"O GitHub recusou a issue: {error}."
            )
        raise TransitionRefused(f"O GitHub recusou a issue: {error}.", "T7") from None
    with transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(
            github_issue_number=issue["number"],
            github_issue_url=issue["html_url"],
            github_issue_state=issue["state"],
            github_pending=False,
            github_error="",
        )
        ticket.refresh_from_db()
        timers.disarm(ticket, GITHUB_RETRY_KEY)
    # The link is kept even if the ticket moved meanwhile (e.g. waiting for the client).
    try:
        ticket = act(ticket, "develop", actor=actor, reason=reason)
    except TransitionRefused as refused:
        add_note(
            ticket,
            kind=TicketNote.Kind.GITHUB,
            author=actor,
            text=f"Issue #{issue['number']} criada no GitHub; o chamado não mudou: {refused}",
        )
    return ticket


def github_retry(ticket: Ticket) -> None:
    """T7 timer: retry a pending issue creation (system actor); re-queues itself if still down."""
    if ticket.github_issue_number or not ticket.github_pending or not ticket.is_active:
        return
    try:
        _create_issue(ticket, actor=None, reason="Issue criada no GitHub (nova tentativa).")
    except GithubQueued:
        pass  # still down: _create_issue armed the next retry
    except TransitionRefused as refused:  # kept (not raised) so the release is committed
        log.warning("GitHub refused the issue of ticket %s: %s", ticket.pk, refused)


def handle_github_event(delivery_id: str, event: str, payload: dict) -> str:
    """T7: apply one verified webhook delivery once; returns what happened (for the log).

    `issues` closed/reopened moves the ticket (system events); `issue_comment` created adds
    the comment to the ticket's history. Replays (same delivery id) do nothing.
    """
    action = str(payload.get("action", ""))[:40]
    with transaction.atomic():
        delivery, created = GithubDelivery.objects.get_or_create(
            delivery_id=delivery_id[:100], defaults={"event": event[:40], "action": action}
        )
        if not created:
            return "replay"
        outcome, ticket = _apply_github_event(event, action, payload)
        delivery.outcome, delivery.ticket = outcome[:200], ticket
        delivery.save(update_fields=["outcome", "ticket"])
    return outcome


def _apply_github_event(event, action, payload):
    repo = (payload.get("repository") or {}).get("full_name", "")
    issue = payload.get("issue") or {}
    if event not in ("issues", "issue_comment"):
        return f"ignored event {event}", None
    if repo.lower() != from_conf("GITHUB_REPOSITORY").lower():
        return f"ignored repository {repo}", None
    ticket = Ticket.objects.filter(github_issue_number=issue.get("number")).first()
    if ticket is None:
        return "no ticket for this issue", None
    who = (payload.get("sender") or {}).get("login", "github")
    if event == "issue_comment":
        if action != "created":
            return f"ignored comment {action}", ticket
        comment = payload.get("comment") or {}
        add_note(
            ticket,
            kind=TicketNote.Kind.GITHUB_COMMENT,
            text=str(comment.get("body", ""))[:10000],
            external_author=f"@{(comment.get('user') or {}).get('login', who)}",
            external_id=str(comment.get("id", "")),
        )
        return "comment added", ticket
    if action not in ("closed", "reopened"):
        return f"ignored issue {action}", ticket
    Ticket.objects.filter(pk=ticket.pk).update(github_issue_state=issue.get("state", action))
    ticket.refresh_from_db()
    event_name = "dev_finished" if action == "closed" else "dev_reopened"
    verb = "fechada" if action == "closed" else "reaberta"
    reason = f"Issue #{ticket.github_issue_number} {verb} no GitHub por @{who}."
    try:
        act(ticket, event_name, actor=None, reason=reason)
    except TransitionRefused:
        add_note(
            ticket,
            kind=TicketNote.Kind.GITHUB,
            text=f"{reason} O chamado estava “{ticket.state_label}” e não mudou.",
        )
        return f"issue {action}; ticket kept {ticket.state}", ticket
    return f"issue {action}; ticket moved", ticket


def github_board():
    """T7: tickets linked to GitHub (or waiting for their issue), newest activity first."""
    return (
        Ticket.objects.filter(Q(github_issue_number__isnull=False) | Q(github_pending=True))
        .select_related("assignee", "ficha")
        .order_by("github_issue_state", "-created_at", "-pk")
    )
