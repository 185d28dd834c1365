"""Indicadores, Suporte (issue 19, T6): support times in business hours against each SLA
policy, stamped when they happen with the SLA clock's own calculation, and the backlog at the
end of each day; figures computed by hand on a known set of tickets, and the XLSX export."""

import datetime as dt
import io
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from model_bakery import baker
from openpyxl import load_workbook

from tests.conftest import at
from tests.test_indicators import PAGE, SEVEN, table, tiles_of
from tests.tickets_support.helpers import new_ticket
from tickets import desk
from tickets.indicators_backlog import backlog_rows
from tickets.models import SlaPolicy, Ticket
from workflows import indicators as ind
from workflows.models import AuditEntry
from workflows.roles import SUPPORT

pytestmark = pytest.mark.django_db
DONE = Ticket.State.DONE
HOUR = 3600


@pytest.fixture
def p3(db):
    return SlaPolicy.objects.get(priority="P3")  # 240 first response / 2700 resolution


@pytest.fixture
def p1(db):
    return SlaPolicy.objects.get(priority="P1")  # 30 first response / 540 resolution


@pytest.fixture
def carla(make_user):
    return make_user(SUPPORT, username="carla", first_name="Carla", email="carla@example.com")


def test_T6_business_minutes_are_stamped_when_the_moments_happen(clock, carla, p3):
    clock.freeze(at(2027, 4, 20, 17))  # Tuesday; Wednesday 21/04 is Tiradentes
    ticket = new_ticket(carla, sla_policy=p3)
    assert ticket.response_business_minutes is None
    clock.freeze(at(2027, 4, 22, 10))
    ticket = desk.ticket_act(ticket, "respond", actor=carla, reason="Estamos verificando o envio.")
    assert Ticket.objects.get(pk=ticket.pk).response_business_minutes == 60 + 0 + 60
    clock.freeze(at(2027, 4, 22, 11, 30))
    ticket = desk.ticket_act(ticket, "conclude", actor=carla, reason="Envio normalizado.")
    saved = Ticket.objects.get(pk=ticket.pk)
    assert (saved.response_business_minutes, saved.resolution_business_minutes) == (120, 210)
    clock.freeze(at(2027, 4, 22, 15))
    ticket = desk.ticket_act(ticket, "reopen", actor=carla, reason="Voltou a falhar.")
    saved = Ticket.objects.get(pk=ticket.pk)
    assert (saved.resolved_at, saved.resolution_business_minutes) == (None, None)
    assert saved.response_business_minutes == 120  # the first response stays as it was
    clock.freeze(at(2027, 4, 23, 9, 15))
    desk.ticket_act(ticket, "conclude", actor=carla, reason="Corrigido de vez.")
    # 20/04 17–18 h, Tiradentes, 22/04 the whole 09–18 h, 23/04 09:00–09:15.
    assert Ticket.objects.get(pk=ticket.pk).resolution_business_minutes == 60 + 540 + 15


def test_T6_migration_fills_existing_rows_with_the_sla_clock(clock, p3):
    """The data step of 0021 (in chunks): a weekend and a holiday count nothing."""
    friday = baker.make(
        Ticket,
        sla_policy=p3,
        created_at=at(2027, 4, 16, 17, 30),
        first_response_at=at(2027, 4, 19, 9, 30),  # Monday
        resolved_at=at(2027, 4, 22, 9),  # over Tiradentes
        state=DONE,
    )
    open_one = baker.make(Ticket, sla_policy=p3, created_at=at(2027, 4, 16, 10))
    migration = import_module("tickets.migrations.0021_ticket_business_minutes")
    migration.stamp_existing(django_apps, None)
    friday.refresh_from_db()
    open_one.refresh_from_db()
    assert (friday.response_business_minutes, friday.resolution_business_minutes) == (
        30 + 30,
        30 + 540 + 540 + 0 + 0,  # Fri 17:30–18, Mon, Tue, Tiradentes, Thu until 09:00
    )
    assert (open_one.response_business_minutes, open_one.resolution_business_minutes) == (
        None,
        None,
    )


def ticket(policy, opened, response=None, resolved=None, minutes=(None, None), **fields):
    fields.setdefault("channel", Ticket.Channel.EMAIL)
    return baker.make(
        Ticket,
        sla_policy=policy,
        created_at=opened,
        first_response_at=response,
        resolved_at=resolved,
        state=DONE if resolved else Ticket.State.OPEN,
        response_business_minutes=minutes[0],
        resolution_business_minutes=minutes[1],
        subject="Erro no painel",
        **fields,
    )


@pytest.fixture
def support_times(clock, p1, p3):
    """Today is Mon 19/04/2027: the period is 13/04–19/04, the previous one 06/04–12/04."""
    return [
        # P3: answered in 2 and 4 business hours, concluded in 10 and 20.
        ticket(p3, at(2027, 4, 13, 0, 0), at(2027, 4, 13, 11), at(2027, 4, 14, 11), (120, 600)),
        ticket(p3, at(2027, 4, 16, 17), at(2027, 4, 19, 12), at(2027, 4, 19, 8), (240, 1200)),
        # P1: answered in 30 business minutes, concluded in 6 h.
        ticket(p1, at(2027, 4, 14, 9), at(2027, 4, 14, 9, 30), at(2027, 4, 14, 15), (30, 360)),
        # Previous period: 23:59 of the 12th is not in this one.
        ticket(p3, at(2027, 4, 12, 23, 59), at(2027, 4, 13, 9, 30), None, (30, None)),
    ]


def test_T6_mean_times_in_business_hours_overall_and_per_policy(client, gestor, support_times):
    client.force_login(gestor)
    response = client.get(PAGE, SEVEN)
    tiles = tiles_of(response)
    answered = tiles["chamados-resposta-media-util"]
    assert (answered.current, answered.previous) == ((120 + 240 + 30) * 60 / 3, 30 * 60)
    assert answered.text == "2 h 10 min"
    concluded = tiles["chamados-resolucao-media-util"]
    assert concluded.current == (600 + 1200 + 360) * 60 / 3 and concluded.previous is None
    assert table(response, "chamados-resposta-por-sla") == {
        "P3 · média (meta: 4 h úteis)": [2, 2, 180 * 60, 39 * HOUR],
        "P1 · crítica (meta: 30 min úteis)": [1, 1, 30 * 60, 30 * 60],
    }
    per_policy = table(response, "chamados-por-sla")
    assert per_policy["P3 · média (meta: 45 h úteis)"][:4] == [2, 2, 100.0, 900 * 60]
    assert per_policy["P1 · crítica (meta: 9 h úteis)"][:4] == [1, 1, 100.0, 360 * 60]


def test_T6_export_carries_the_business_hours(client, gestor, support_times):
    client.force_login(gestor)
    response = client.get(reverse("indicators:export"), SEVEN)
    book = load_workbook(io.BytesIO(response.content))
    summary = {
        (row[0].value, row[1].value): row[2].value for row in book["Resumo"].iter_rows(min_row=2)
    }
    first = summary[("Suporte", "Tempo médio até a primeira resposta (horas úteis)")]
    assert first == dt.timedelta(minutes=130)
    sheet = book["Primeira resposta por SLA"]
    names = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(names) == {"P3 · média (meta: 4 h úteis)", "P1 · crítica (meta: 30 min úteis)"}
    # Name, then (current, previous, change) per figure: opened, answered, business mean…
    assert names["P3 · média (meta: 4 h úteis)"][7].value == dt.timedelta(minutes=180)
    assert names["P1 · crítica (meta: 30 min úteis)"][7].value == dt.timedelta(minutes=30)


def reopened(policy, opened, spells):
    """A ticket with audited conclusions and reopenings: [(concluded, reopened or None)]."""
    last = spells[-1][0] if spells[-1][1] is None else None
    t = ticket(policy, opened, resolved=last)
    for concluded, again in spells:
        baker.make(
            AuditEntry,
            target=t,
            at=concluded,
            event="conclude",
            from_state="em_analise",
            to_state=DONE,
        )
        if again:
            baker.make(
                AuditEntry,
                target=t,
                at=again,
                event="reopen",
                from_state=DONE,
                to_state="em_analise",
            )
    return t


def test_T6_backlog_at_the_end_of_each_day_with_reopenings(clock, p3):
    clock.freeze(at(2027, 4, 19, 9))
    ticket(p3, at(2027, 4, 10, 10))  # open the whole period
    ticket(p3, at(2027, 4, 12, 23, 59), resolved=at(2027, 4, 13, 0, 0))  # gone on the 13th
    ticket(p3, at(2027, 4, 13, 0, 0), resolved=at(2027, 4, 15, 23, 59, 59))  # 13th, 14th
    # Concluded on the 15th, reopened on Saturday the 17th, concluded again on the 18th.
    reopened(
        p3,
        at(2027, 4, 14, 10),
        [(at(2027, 4, 15, 10), at(2027, 4, 17, 11)), (at(2027, 4, 18, 12), None)],
    )
    ticket(p3, at(2027, 4, 16, 9), resolved=at(2027, 4, 16, 17))  # in and out the same day
    ticket(p3, at(2027, 4, 19, 8))  # opened today
    period = ind.resolve_period(SEVEN, clock.today())
    rows = backlog_rows(ind.Scope(period, None, None, ""))
    assert [(r["day"].day, r["count"]) for r in rows] == [
        (13, 2),
        (14, 3),
        (15, 1),
        (16, 1),
        (17, 2),
        (18, 1),
        (19, 2),
    ]


def test_T6_backlog_follows_the_scope_and_development_after_conclusion(clock, p3, carla, gestor):
    clock.freeze(at(2027, 4, 19, 9))
    ticket(p3, at(2027, 4, 12, 10), assignee=carla)
    ticket(p3, at(2027, 4, 12, 11), assignee=gestor, channel=Ticket.Channel.PHONE)
    # Concluded on the 14th, sent back to development on the 16th: it keeps its old
    # resolved_at but is open again from then on.
    back = ticket(p3, at(2027, 4, 13, 10), resolved=at(2027, 4, 14, 10), assignee=carla)
    Ticket.objects.filter(pk=back.pk).update(state=Ticket.State.DEVELOPMENT)
    for when, source, target in (
        (at(2027, 4, 14, 10), "em_analise", DONE),
        (at(2027, 4, 16, 10), DONE, "em_desenvolvimento"),
    ):
        baker.make(AuditEntry, target=back, at=when, event="x", from_state=source, to_state=target)
    period = ind.resolve_period(SEVEN, clock.today())
    counts = [r["count"] for r in backlog_rows(ind.Scope(period, None, None, ""))]
    assert counts == [3, 2, 2, 3, 3, 3, 3]
    mine = [r["count"] for r in backlog_rows(ind.Scope(period, carla, None, ""))]
    assert mine == [2, 1, 1, 2, 2, 2, 2]
    by_phone = [r["count"] for r in backlog_rows(ind.Scope(period, None, None, "phone"))]
    assert by_phone == [1] * 7


def test_T6_backlog_leaves_out_merged_tickets(clock, p3):
    clock.freeze(at(2027, 4, 19, 9))
    kept = ticket(p3, at(2027, 4, 12, 10))
    merged = ticket(p3, at(2027, 4, 12, 11), merged_into=kept)
    Ticket.objects.filter(pk=merged.pk).update(state=Ticket.State.MERGED)
    period = ind.resolve_period(SEVEN, clock.today())
    assert [r["count"] for r in backlog_rows(ind.Scope(period, None, None, ""))] == [1] * 7


def test_T6_backlog_chart_on_the_page_and_in_the_export(client, gestor, clock, p3):
    clock.freeze(at(2027, 4, 19, 9))
    ticket(p3, at(2027, 4, 10, 10))  # open the whole period
    ticket(p3, at(2027, 4, 14, 10), resolved=at(2027, 4, 16, 10))  # 14th and 15th
    client.force_login(gestor)
    response = client.get(PAGE, SEVEN)
    html = response.content.decode()
    chart = html.split('id="grafico-chamados-em-aberto-por-dia"', 1)[1].split("</details>", 1)[0]
    assert chart.count("<rect x=") == 7
    assert "15/04/2027: 2 chamados" in chart and "16/04/2027: 1 chamado<" in chart
    assert "R$" not in chart  # a count, not a value
    export = client.get(
        reverse("indicators:export"), {**SEVEN, "tabela": "chamados-em-aberto-por-dia"}
    )
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Dia", "Em aberto")
    assert [r[1] for r in rows[1:]] == [1, 2, 2, 1, 1, 1, 1]
