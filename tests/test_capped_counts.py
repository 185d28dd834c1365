"""Capped counts (T6/T8): the lists' counts stop at the cap; the counts a page makes on every
request, written in SQL, count exactly the rows of the lists they stand for."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from model_bakery import baker

from tests.sales_fixtures import make_ficha
from tests.tickets_support.helpers import make_waiting_tickets
from tickets import routine, selectors, sla_queue
from tickets.models import Architect, InboundEmail, Romaneio, SlaPolicy, Ticket
from workflows.models import AuditEntry, Movimentacao
from workflows.roles import AGENT, SELLER, SUPPORT

pytestmark = pytest.mark.django_db


def test_T6_T8_capped_counts_count_each_queryset_up_to_the_cap(
    clock, monkeypatch, django_assert_num_queries
):
    make_waiting_tickets(9, SlaPolicy.objects.get(priority="P3"), clock)  # 5 past due
    monkeypatch.setattr(selectors, "COUNT_CAP", 6)
    counts = (
        ("all", lambda v: Ticket.objects.all()),
        ("breached", lambda v: Ticket.objects.filter(next_breach_at__lte=v.now)),
        ("none", lambda v: Ticket.objects.filter(subject="não existe")),
    )
    with django_assert_num_queries(3):
        n = selectors.capped_counts(counts, selectors.Now(clock.now()))
    assert n == {"all": 7, "breached": 5, "none": 0}
    clock.advance(dt.timedelta(days=30))
    assert selectors.capped_counts(counts, selectors.Now(clock.now()))["breached"] == 7
    assert [selectors.capped_label(v) for v in n.values()] == ["6+", "5", "0"]


def test_T6_T8_counts_in_sql_are_capped_in_one_query(clock, monkeypatch):
    make_waiting_tickets(9, SlaPolicy.objects.get(priority="P3"), clock)  # 5 past due
    monkeypatch.setattr(selectors, "COUNT_CAP", 6)
    with CaptureQueriesContext(connection) as captured:
        waiting, breached = sla_queue.waiting_counts()
    assert len(captured) == 1
    assert (waiting, breached) == (7, 5)
    clock.advance(dt.timedelta(days=30))
    assert sla_queue.waiting_counts() == (7, 7)


@pytest.fixture
def routine_rows(make_user, clock):
    """Rows on both sides of every condition the routine's counts look at."""
    now = clock.now()
    support, seller = make_user(SUPPORT, AGENT), make_user(SELLER, AGENT)
    policy = SlaPolicy.objects.get(priority="P3")
    ticket_type = ContentType.objects.get_for_model(Ticket)
    i = 0
    for state in Ticket.State.values:
        for channel in (Ticket.Channel.EMAIL, Ticket.Channel.PHONE):
            for age in (dt.timedelta(days=3), dt.timedelta(hours=1)):
                for touched in (False, True):
                    i += 1
                    ticket = baker.make(
                        Ticket,
                        ficha=make_ficha(),
                        sla_policy=policy,
                        state=state,
                        channel=channel,
                        created_at=now - age,
                        response_due_at=now + dt.timedelta(hours=i % 5 - 2),
                        resolution_due_at=now + dt.timedelta(days=2),
                        response_since=None if i % 7 == 0 else now - dt.timedelta(hours=5),
                        needs_development=i % 3 == 0,
                        github_pending=i % 4 == 1,
                        github_issue_number=7 if i % 5 == 0 else None,
                    )
                    if touched:  # a status change, after or before the last business day
                        baker.make(
                            AuditEntry,
                            content_type=ticket_type,
                            object_id=str(ticket.pk),
                            at=now - dt.timedelta(hours=2 if i % 2 else 30),
                        )
    M = Movimentacao
    for author in (support, seller):
        for when in (now - dt.timedelta(hours=30), now - dt.timedelta(hours=60)):
            for outcome in M.Outcome.values:
                for reason in (M.Reason.ERROR_RETURN, M.Reason.COMPLAINT, M.Reason.USAGE):
                    i += 1
                    attendance = baker.make(
                        M,
                        ficha=make_ficha(),
                        author=author,
                        at=when,
                        channel=M.Channel.PHONE,
                        outcome=outcome,
                        reason=reason,
                        text="Cliente ligou",
                    )
                    if i % 4 == 0:
                        baker.make(Ticket, ficha=attendance.ficha, source_movimentacao=attendance)
    for active in (True, False):
        for age in (200, 10):
            baker.make(Architect, active=active, updated_at=now - dt.timedelta(days=age))
    for state in Romaneio.State.values * 2:
        baker.make(Romaneio, state=state)
    for outcome in InboundEmail.Outcome.values * 2:
        baker.make(InboundEmail, outcome=outcome, dedupe_key=None)
    return routine.RoutineValues(
        now,
        now - dt.timedelta(days=routine.ARCHITECT_STALE_DAYS),
        now - dt.timedelta(hours=48),
        now - dt.timedelta(hours=24),
        now - dt.timedelta(hours=24),
    )


def test_T8_routine_counts_in_sql_count_the_rows_of_the_lists_they_stand_for(
    routine_rows, monkeypatch
):
    sql_counts, querysets = routine.ROUTINE_COUNTS_SQL, routine.ROUTINE_COUNTS
    assert [name for name, *_ in sql_counts] == [name for name, _ in querysets]
    listed = {name: rows_of(routine_rows).count() for name, rows_of in querysets}
    totals = {
        name: rows_of(routine_rows).model._default_manager.count() for name, rows_of in querysets
    }
    # the rows are on both sides of every count: each counts some, and leaves some out
    assert {n for n in listed if not 0 < listed[n] < totals[n]} == set(), (listed, totals)
    with CaptureQueriesContext(connection) as captured:
        counted = selectors.capped_sql_counts(sql_counts, routine_rows)
    assert len(captured) == 1
    assert counted == listed
    assert selectors.capped_counts(querysets, routine_rows) == listed
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    capped = {name: min(n, 3) for name, n in listed.items()}
    assert selectors.capped_sql_counts(sql_counts, routine_rows) == capped
    assert selectors.capped_counts(querysets, routine_rows) == capped
