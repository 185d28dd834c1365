"""T8: each support agent's checklist for today, with live counts; T2: review yesterday."""

import datetime as dt
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse

from workflows import clock
from workflows.businessdays import add_business_days
from workflows.models import Movimentacao, with_names
from workflows.raw_reads import sql_words
from workflows.refusals import INPUT, TransitionRefused
from workflows.roles import SUPPORT
from workflows.validators import MAX_TEXT, is_placeholder

from . import desk, selectors, sla_queue, textura
from .models import Architect, InboundEmail, Romaneio, RoutineCheck, RoutineItem, Ticket

ARCHITECT_STALE_DAYS = 180

# T2: what "looks unresolved" in an attendance of the day before.
UNRESOLVED = Q(
    outcome__in=[
        Movimentacao.Outcome.PENDING,
        Movimentacao.Outcome.NO_ANSWER,
        Movimentacao.Outcome.FORWARDED,
    ]
) | Q(
    outcome=Movimentacao.Outcome.TALKED,
    reason__in=[Movimentacao.Reason.ERROR_RETURN, Movimentacao.Reason.COMPLAINT],
)

CHANNEL_OF = {
    Movimentacao.Channel.PHONE: Ticket.Channel.PHONE,
    Movimentacao.Channel.CHAT: Ticket.Channel.CHAT,
    Movimentacao.Channel.EMAIL: Ticket.Channel.EMAIL,
    Movimentacao.Channel.WHATSAPP: Ticket.Channel.WHATSAPP,
}


def review_day(today: dt.date | None = None) -> dt.date:
    """T2: "o dia anterior" is the previous business day (Monday reviews Friday)."""
    return add_business_days(today or clock.today(), -1)


def yesterday_to_review(day: dt.date | None = None):
    """T2: support attendances of the review day (`day`, when the caller has it), unresolved
    and with no ticket."""
    rows = to_review_between(*clock.day_span(day or review_day()))
    # the pk orders attendances logged in the same minute
    return with_names(rows, "ficha", "author").order_by("at", "pk")


def to_review_between(start: dt.datetime, end: dt.datetime):
    """T2: support attendances in [start, end), unresolved and with no ticket (the routine
    counts them). One group named SUPPORT per author: no duplicate rows."""
    return (
        Movimentacao.objects.filter(at__gte=start, at__lt=end, author__groups__name=SUPPORT)
        .filter(UNRESOLVED)
        .exclude(tickets__isnull=False)
    )


def ticket_open_from_movimentacao(mov: Movimentacao, *, actor) -> Ticket:
    """T2: one click turns an unresolved attendance into a ticket (once)."""
    with transaction.atomic():
        mov = Movimentacao.objects.select_for_update().get(pk=mov.pk)
        if mov.tickets.exists():
            raise TransitionRefused("Este atendimento já tem chamado aberto.", "T2")
        return desk.ticket_create(
            actor=actor,
            ficha=mov.ficha,
            requester=mov.ficha.name,
            requester_email=mov.ficha.email,
            channel=CHANNEL_OF.get(mov.channel, Ticket.Channel.OTHER),
            subject=f"{mov.get_reason_display()}: {mov.ficha.name}"[:200],
            description=(
                f"Aberto na revisão do atendimento de {clock.localdate(mov.at):%d/%m/%Y} "
                f"({mov.get_outcome_display().lower()}, por {mov.author}):\n\n{mov.text}"
            ),
            source_movimentacao=mov,
        )


class RoutineValues(NamedTuple):
    """What the routine's counts look up (ROUTINE_COUNTS_SQL, selectors.capped_sql_counts)."""

    now: dt.datetime
    architects_before: dt.datetime
    review_start: dt.datetime
    review_end: dt.datetime
    stale_since: dt.datetime


# What each count of the routine counts: the rows of the list its item links to.
# ROUTINE_COUNTS_SQL counts the same rows, written in SQL (selectors.capped_sql_counts says
# why); tests/test_capped_counts.py holds each to its queryset here, row for row.
ROUTINE_COUNTS = (
    (
        "email_tickets",
        lambda v: Ticket.objects.filter(channel=Ticket.Channel.EMAIL, state=Ticket.State.OPEN),
    ),
    (
        "failed_emails",
        lambda v: InboundEmail.objects.filter(outcome=InboundEmail.Outcome.FAILED),
    ),
    ("yesterday", lambda v: to_review_between(v.review_start, v.review_end)),
    (
        "architects",
        lambda v: Architect.objects.filter(active=True, updated_at__lt=v.architects_before),
    ),
    ("stale", lambda v: desk.stale_tickets(v.stale_since)),
    ("romaneios", lambda v: textura.pending_romaneios()),
    ("github", lambda v: to_open_on_github()),
    *sla_queue.WAITING_COUNTS,
)


def _routine_counts_sql():
    words = sql_words
    M = Movimentacao
    unresolved = (
        f"(m.outcome IN ({words([M.Outcome.PENDING, M.Outcome.NO_ANSWER, M.Outcome.FORWARDED])})"
        f" OR (m.outcome = '{M.Outcome.TALKED}'"
        f" AND m.reason IN ({words([M.Reason.ERROR_RETURN, M.Reason.COMPLAINT])})))"
    )
    active = words(Ticket.ACTIVE)
    return (
        (
            "email_tickets",
            "SELECT 1 FROM tickets_ticket"
            f" WHERE channel = '{Ticket.Channel.EMAIL}' AND state = '{Ticket.State.OPEN}'",
            lambda v: [],
        ),
        (
            "failed_emails",
            f"SELECT 1 FROM tickets_inboundemail WHERE outcome = '{InboundEmail.Outcome.FAILED}'",
            lambda v: [],
        ),
        (
            "yesterday",  # to_review_between
            "SELECT 1 FROM workflows_movimentacao m WHERE m.at >= %s AND m.at < %s"
            " AND EXISTS (SELECT 1 FROM auth_user_groups ug JOIN auth_group g"
            " ON g.id = ug.group_id WHERE ug.user_id = m.author_id AND g.name = %s)"
            f" AND {unresolved}"
            " AND NOT EXISTS (SELECT 1 FROM tickets_ticket t"
            " WHERE t.source_movimentacao_id = m.id)",
            lambda v: [v.review_start, v.review_end, SUPPORT],
        ),
        (
            "architects",
            "SELECT 1 FROM tickets_architect WHERE active = %s AND updated_at < %s",
            lambda v: [True, v.architects_before],
        ),
        (
            "stale",  # desk.stale_tickets
            f"SELECT 1 FROM tickets_ticket t WHERE t.state IN ({active}) AND t.created_at < %s"
            " AND NOT EXISTS (SELECT 1 FROM workflows_auditentry a"
            " WHERE a.content_type_id = %s AND a.object_id = CAST(t.id AS VARCHAR)"
            " AND a.at >= %s)",
            lambda v: [v.stale_since, ContentType.objects.get_for_model(Ticket).pk, v.stale_since],
        ),
        (
            "romaneios",  # textura.pending_romaneios
            f"SELECT 1 FROM tickets_romaneio WHERE state = '{Romaneio.State.PENDING}'",
            lambda v: [],
        ),
        (
            "github",  # to_open_on_github
            f"SELECT 1 FROM tickets_ticket WHERE state IN ({active})"
            # as the partial index ticket_to_open_on_github says it, so SQLite reads it
            " AND github_issue_number IS NULL AND (needs_development OR github_pending)",
            lambda v: [],
        ),
        *sla_queue.WAITING_COUNTS_SQL,
    )


ROUTINE_COUNTS_SQL = _routine_counts_sql()


def checklist(user, today: dt.date | None = None) -> list[dict]:
    """T8: the seven items with live counts and links; done marks for `user` today."""
    today = today or clock.today()
    day = review_day(today)
    done = {c.item: c for c in selectors.routine_checks(user, today)}
    tickets = reverse("tickets:list")
    now = clock.now()
    review_start, review_end = clock.day_span(day)
    # T4: desk.stale_since() is the end of the last business day, the review day's end: the
    # company calendar is read once for both (tests/test_routine_calendar.py)
    stale_since = review_end if today == clock.today() else desk.stale_since()
    counted = selectors.capped_sql_counts(
        ROUTINE_COUNTS_SQL,
        RoutineValues(
            now,
            now - dt.timedelta(days=ARCHITECT_STALE_DAYS),
            review_start,
            review_end,
            stale_since,
        ),
    )
    breached = counted["breached"]
    n = {
        RoutineItem.EMAIL: counted["email_tickets"] + counted["failed_emails"],
        RoutineItem.OPEN_TICKETS: counted["yesterday"],
        RoutineItem.ARCHITECTS: counted["architects"],
        RoutineItem.TICKET_STATUS: counted["stale"],
        RoutineItem.ROMANEIOS: counted["romaneios"],
        RoutineItem.WAITING_CLIENTS: counted["waiting"],
        RoutineItem.GITHUB: counted["github"],
    }

    def words(item, one, many):
        return one if n[item] == 1 else many

    counts = {
        RoutineItem.EMAIL: (
            words(RoutineItem.EMAIL, "e-mail a responder", "e-mails a responder")
            + " (chamados de e-mail abertos ou não importados)",
            reverse("tickets:inbox"),
        ),
        RoutineItem.OPEN_TICKETS: (
            words(RoutineItem.OPEN_TICKETS, "atendimento", "atendimentos")
            + f" de {day:%d/%m} sem chamado",
            reverse("tickets:review"),
        ),
        RoutineItem.ARCHITECTS: (
            words(RoutineItem.ARCHITECTS, "arquiteto", "arquitetos")
            + f" sem atualização há {ARCHITECT_STALE_DAYS} dias",
            reverse("tickets:architects"),
        ),
        RoutineItem.TICKET_STATUS: (
            words(RoutineItem.TICKET_STATUS, "chamado", "chamados")
            + " sem mudança de status desde o último dia útil",
            f"{tickets}?parados=1",
        ),
        RoutineItem.ROMANEIOS: (
            words(RoutineItem.ROMANEIOS, "romaneio pendente", "romaneios pendentes"),
            reverse("tickets:romaneios"),
        ),
        RoutineItem.WAITING_CLIENTS: (
            words(RoutineItem.WAITING_CLIENTS, "cliente aguardando", "clientes aguardando")
            + f" retorno ({selectors.capped_label(breached)} com SLA vencido)",
            reverse("tickets:queue"),
        ),
        RoutineItem.GITHUB: (
            words(RoutineItem.GITHUB, "chamado precisa", "chamados precisam")
            + " de issue no GitHub",
            reverse("tickets:github_board"),
        ),
    }
    return [
        {
            "item": item,
            "label": item.label,
            "count": n[item],
            "what": counts[item][0],
            "url": counts[item][1],
            "check": done.get(item.value),
        }
        for item in RoutineItem
    ]


def to_open_on_github():
    """T7/T8: active tickets flagged for development with no issue yet (or a failed attempt)."""
    return Ticket.objects.filter(state__in=Ticket.ACTIVE, github_issue_number__isnull=True).filter(
        Q(needs_development=True) | Q(github_pending=True)
    )


def routine_item_mark(
    user, item: int, *, done: bool = True, reason: str = ""
) -> RoutineCheck | None:
    """T8: mark (or unmark) one item of today's routine; the live count is kept with it. An
    item whose count is not zero is marked done only with a written reason (kept, shown to
    the managers)."""
    try:
        item = RoutineItem(int(item))
    except (TypeError, ValueError):
        raise TransitionRefused("Item da rotina desconhecido.", "T8") from None
    today = clock.today()
    if not done:
        RoutineCheck.objects.filter(user=user, day=today, item=item).delete()
        return None
    count = next(row["count"] for row in checklist(user, today) if row["item"] == item)
    reason = (reason or "").strip()
    if count and is_placeholder(reason):
        pending = f"{selectors.capped_label(count)} pendência{'s' if count > 1 else ''}"
        raise TransitionRefused(
            f"Este item ainda tem {pending}: escreva por que marcá-lo como feito assim mesmo.",
            "T8",
            kind=INPUT,
            field="reason",
        )
    if len(reason) > MAX_TEXT:
        raise TransitionRefused(
            f"Use no máximo {MAX_TEXT} caracteres.", "T8", kind=INPUT, field="reason"
        )
    try:
        with transaction.atomic():
            check, _ = RoutineCheck.objects.get_or_create(
                user=user,
                day=today,
                item=item,
                defaults={
                    "done_at": clock.now(),
                    "count_at_check": count,
                    "reason": reason if count else "",
                },
            )
    except IntegrityError:  # a double click raced us: the first one counts
        check = RoutineCheck.objects.get(user=user, day=today, item=item)
    return check


def team_report(day: dt.date):
    """T8: for the manager, who of the support team did which item on `day`."""
    people = list(
        get_user_model()
        .objects.filter(groups__name=SUPPORT, is_active=True)
        .distinct()
        .order_by("first_name", "username")
    )
    checks = {(c.user_id, c.item): c for c in RoutineCheck.objects.filter(day=day, user__in=people)}
    rows = []
    for person in people:
        cells = [checks.get((person.pk, item.value)) for item in RoutineItem]
        rows.append(
            {
                "user": person,
                "cells": cells,
                "done": sum(c is not None for c in cells),
                # T8: items marked done with pendências, and why
                "reasons": [c for c in cells if c is not None and c.reason],
            }
        )
    return rows
