"""Indicadores' daily rollup (issue 19): kept days give the same figures as the records, a live
day is never kept, what changes a kept day forgets it, the schedule and the fill command."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django_q.models import Schedule

from tests.conftest import at
from tests.sales_fixtures import make_ficha
from tests.test_indicators import PAGE, SEVEN, _numbers, build_data, tiles_of
from tests.test_indicators import ana as ana  # noqa: F401  (the fixture)
from tests.test_indicators_support import p3 as p3  # noqa: F401  (the fixture)
from tests.test_indicators_support import reopened, ticket
from tickets import desk
from tickets.indicators import TICKETS_DONE, TICKETS_OPENED
from tickets.indicators_backlog import BACKLOG
from tickets.merge import ticket_merge
from tickets.models import Ticket
from web.indicators_sections import ROLLUP_SCHEDULE, SECTIONS, roll_recent
from workflows import indicators as ind
from workflows import indicators_rollup as rollup
from workflows import indicators_rollup_read as rollup_read
from workflows.indicators_sales import AGENDAMENTOS
from workflows.models import Agendamento, IndicatorDay, IndicatorGroup
from workflows.roles import MANAGER, SUPPORT
from workflows.statemachines import AgendamentoFlow

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def data(clock, ana, bruno, gestor, products):  # noqa: F811
    return build_data(clock, ana, bruno, gestor, products)


def figures(scope, team=True) -> dict:
    return _numbers(ind.compute(SECTIONS, scope, team=team))


def backlog(scope) -> list:
    return [row["count"] for row in ind.series_rows(BACKLOG, scope)]


def kept_days(source) -> set:
    return set(IndicatorDay.objects.filter(source=source).values_list("day", flat=True))


def test_settled_states_are_the_machines_final_states():
    """An agendamento no longer changes once final (AgendamentoFlow): only those days keep."""
    final = {state.value for state in AgendamentoFlow.states if state.final}
    assert set(AGENDAMENTOS.settled_states) == final
    assert set(TICKETS_OPENED.settled_states) == {Ticket.State.DONE, Ticket.State.MERGED}
    assert rollup.SOURCES[Agendamento] == [AGENDAMENTOS]
    assert rollup.SOURCES[Ticket] == [TICKETS_OPENED, TICKETS_DONE]


@pytest.mark.parametrize("who", ["team", "agent", "product", "channel"])
def test_kept_days_give_the_figures_the_records_give(clock, ana, products, data, who, p3):  # noqa: F811
    ticket(p3, at(2027, 4, 14, 10), resolved=at(2027, 4, 15, 10), assignee=ana)
    ticket(p3, at(2027, 4, 8, 10), resolved=at(2027, 4, 9, 10), channel=Ticket.Channel.PHONE)
    period = ind.resolve_period(SEVEN, clock.today())
    scope = {
        "team": ind.Scope(period),
        "agent": ind.Scope(period, member=ana),
        "product": ind.Scope(period, product=products["intimacao"]),
        "channel": ind.Scope(period, channel=Ticket.Channel.PHONE),
    }[who]
    live, live_backlog = figures(scope, team=who != "agent"), backlog(scope)
    counts = rollup.roll(SECTIONS, D(2027, 4, 1), D(2027, 4, 18))
    # The live agendamento of the 19th is today's; every other day is settled.
    assert counts["sources"]["agendamentos"] == {
        "kept": 18,
        "live": 0,
        "before": 0,
        "months": 0,  # April is not over
    }
    assert counts["sources"]["chamados-abertos"]["kept"] == 18
    assert figures(scope, team=who != "agent") == live
    assert backlog(scope) == live_backlog


def agendamento_plan():
    return next(p for p in rollup.plans(SECTIONS) if p.source.slug == "agendamentos")


def test_kept_days_are_read_instead_of_the_records(clock, data):
    """With every past day kept, only today is left to count from the agendamentos."""
    rollup.roll(SECTIONS, D(2027, 4, 1), D(2027, 4, 18))
    period = ind.resolve_period(SEVEN, clock.today())
    found, days = rollup_read.read(AGENDAMENTOS, agendamento_plan().figures, (), ind.Scope(period))
    assert days == {D(2027, 4, 6) + dt.timedelta(days=n) for n in range(13)}
    assert found[()]["raw"]["agendamentos__cur"] == 3  # the 19th's live one is not kept
    assert found[()]["raw"]["agendamentos__prev"] == 1
    assert rollup_read.runs(period.previous().start, period.end, days) == [
        (D(2027, 4, 19), D(2027, 4, 19))
    ]


def test_a_day_with_a_live_agendamento_is_kept_only_once_it_ends(clock, data, gestor):
    live = data["live"]
    Agendamento.objects.filter(pk=live.pk).update(created_at=at(2027, 4, 17, 10))
    rollup.roll(SECTIONS, D(2027, 4, 17), D(2027, 4, 18))
    assert kept_days("agendamentos") == {D(2027, 4, 18)}
    period = ind.resolve_period(SEVEN, clock.today())
    open_before = figures(ind.Scope(period))["agendamentos-em-aberto"]
    assert open_before == (1, 0)  # counted live from the records
    Agendamento.objects.filter(pk=live.pk).update(state=Agendamento.State.EXPIRED)
    roll_recent()
    assert D(2027, 4, 17) in kept_days("agendamentos")
    after = figures(ind.Scope(period))
    assert after["agendamentos-em-aberto"] == (0, 0)
    assert after["agendamentos-expirados"] == (2, 0)


def test_reopening_a_concluded_ticket_forgets_its_kept_days(clock, make_user, p3):  # noqa: F811
    support = make_user(SUPPORT)
    done = ticket(p3, at(2027, 4, 14, 10), resolved=at(2027, 4, 15, 10), assignee=support)
    rollup.roll(SECTIONS, D(2027, 4, 10), D(2027, 4, 18))
    assert D(2027, 4, 14) in kept_days("chamados-abertos")
    assert D(2027, 4, 15) in kept_days("chamados-concluidos")
    period = ind.resolve_period(SEVEN, clock.today())
    assert figures(ind.Scope(period))["chamados-concluidos"] == (1, 0)
    desk.ticket_act(done, "reopen", actor=support, reason="voltou a falhar hoje")
    assert D(2027, 4, 14) not in kept_days("chamados-abertos")
    assert D(2027, 4, 15) not in kept_days("chamados-concluidos")
    assert figures(ind.Scope(period))["chamados-concluidos"] == (0, 0)
    # While it is open again its opening day stays live.
    roll_recent()
    assert D(2027, 4, 14) not in kept_days("chamados-abertos")


def test_a_changed_figure_is_not_read_from_days_kept_before(clock, data):
    rollup.roll(SECTIONS, D(2027, 4, 1), D(2027, 4, 18))
    for day in IndicatorDay.objects.filter(source="agendamentos"):
        day.figures[0][1] = "antigo"  # the digest of the first figure, as an older definition
        day.save()
    period = ind.resolve_period(SEVEN, clock.today())
    plan = agendamento_plan()
    assert rollup_read.read(AGENDAMENTOS, plan.figures, (), ind.Scope(period)) == ({}, set())
    assert figures(ind.Scope(period))["agendamentos"] == (4, 1)  # from the records
    counts = rollup.roll(SECTIONS, D(2027, 4, 1), D(2027, 4, 18))
    assert counts["sources"]["agendamentos"]["kept"] == 18  # rolled again


def test_today_is_never_kept(clock, data):
    counts = rollup.roll(SECTIONS, D(2027, 4, 18), D(2027, 4, 30))
    assert counts["days"] == 1
    assert max(kept_days("agendamentos")) == D(2027, 4, 18)
    assert max(kept_days(rollup.series_key(BACKLOG))) == D(2027, 4, 18)


def test_backlog_days_are_kept_and_a_merge_forgets_them(clock, make_user, p3):  # noqa: F811
    support = make_user(SUPPORT, MANAGER)
    client = make_ficha(name="Cliente do painel")
    kept = ticket(p3, at(2027, 4, 12, 10), ficha=client)
    other = ticket(p3, at(2027, 4, 15, 10), ficha=client)
    reopened(p3, at(2027, 4, 13, 9), [(at(2027, 4, 14, 10), at(2027, 4, 16, 11))])
    period = ind.resolve_period(SEVEN, clock.today())
    assert backlog(ind.Scope(period)) == [2, 1, 2, 3, 3, 3, 3]
    rollup.roll(SECTIONS, D(2027, 4, 1), D(2027, 4, 18))
    assert kept_days(rollup.series_key(BACKLOG)) >= set(period.dates()[:-1])
    IndicatorGroup.objects.filter(
        day__source=rollup.series_key(BACKLOG), day__day=D(2027, 4, 13)
    ).update(v0=99)
    assert backlog(ind.Scope(period))[0] == 99  # read from the rollup, not counted again
    ticket_merge(other, kept, actor=support, reason="mesmo problema do painel")
    assert min(kept_days(rollup.series_key(BACKLOG))) == D(2027, 4, 1)
    assert D(2027, 4, 15) not in kept_days(rollup.series_key(BACKLOG))
    assert backlog(ind.Scope(period)) == [99, 1, 1, 2, 2, 2, 2]


def test_backlog_live_days_carry_on_from_the_kept_day_before(clock, p3):  # noqa: F811
    """Today counts from yesterday's kept figure, exactly, a ticket concluded yesterday and
    reopened today included; the history before the period is not counted again."""
    ticket(p3, at(2027, 4, 12, 10))
    reopened(p3, at(2027, 4, 13, 9), [(at(2027, 4, 18, 10), at(2027, 4, 19, 8))])
    ticket(p3, at(2027, 4, 19, 8, 30))
    period = ind.resolve_period(SEVEN, clock.today())
    counted = backlog(ind.Scope(period))
    assert counted == [2, 2, 2, 2, 2, 1, 3]
    rollup.roll(SECTIONS, D(2027, 4, 1), D(2027, 4, 18))
    assert backlog(ind.Scope(period)) == counted
    IndicatorGroup.objects.filter(
        day__source=rollup.series_key(BACKLOG), day__day=D(2027, 4, 18)
    ).update(v0=11)
    assert backlog(ind.Scope(period))[-2:] == [11, 13]  # today went on from the kept day


def numbers_of(response) -> dict:
    return {key: (v.current, v.previous) for key, v in tiles_of(response).items()}


def test_the_page_reads_kept_days(client, gestor, clock, data):
    client.force_login(gestor)
    before = client.get(PAGE, SEVEN)
    rollup.roll(SECTIONS, D(2027, 4, 1), D(2027, 4, 18))
    after = client.get(PAGE, SEVEN)
    assert numbers_of(after) == numbers_of(before)
    assert IndicatorDay.objects.filter(source="agendamentos").count() == 18


def test_kept_days_read_once_are_not_read_again_until_they_change(client, gestor, clock, data):
    """Under the same stamp the page gives the kept answer again without reading the days;
    a day kept or forgotten since changes the stamp and is read."""
    client.force_login(gestor)
    rollup.roll(SECTIONS, D(2027, 4, 1), D(2027, 4, 17))
    live = numbers_of(client.get(PAGE, SEVEN))
    with CaptureQueriesContext(connection) as first:
        assert numbers_of(client.get(PAGE, SEVEN)) == live
    headers = '"workflows_indicatorday"."figures"'  # what `read` asks of the kept days
    assert not any(headers in q["sql"] for q in first.captured_queries)
    rollup.roll(SECTIONS, D(2027, 4, 18), D(2027, 4, 18))  # one more day kept: a new stamp
    with CaptureQueriesContext(connection) as second:
        assert numbers_of(client.get(PAGE, SEVEN)) == live
    assert any(headers in q["sql"] for q in second.captured_queries)
    assert len(second.captured_queries) > len(first.captured_queries)
    rollup.forget([("agendamentos", D(2027, 4, 18))])
    stamp = rollup_read.stamp()
    assert numbers_of(client.get(PAGE, SEVEN)) == live  # counted from the records again
    assert rollup_read.stamp() == stamp


def test_the_nightly_schedule_exists():
    schedule = Schedule.objects.get(name=ROLLUP_SCHEDULE)
    assert schedule.func == "web.indicators_sections.roll_recent"
    assert schedule.schedule_type == Schedule.DAILY


def test_fill_command_fills_from_the_oldest_record_with_a_progress_bar(clock, data, capsys):
    out = io.StringIO()
    call_command("fill_indicators", stdout=out)
    assert "Consolidando: 100%" in capsys.readouterr().err  # the bar, on the terminal
    assert "de 08/04/2027 a 18/04/2027" in out.getvalue()
    assert min(kept_days("agendamentos")) == D(2027, 4, 8)
    call_command("fill_indicators", stdout=(again := io.StringIO()), stderr=io.StringIO())
    assert "0 consolidados, 11 já estavam" in again.getvalue()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--desde", "31/02/2027"], "Data inicial inválida"),
        (["--ate", "19/04/2027"], "Só dias passados se consolidam: escolha até 18/04/2027."),
        (["--desde", "10/04/2027", "--ate", "09/04/2027"], "A data inicial deve ser anterior"),
    ],
)
def test_fill_command_refuses_bad_dates_in_portuguese(clock, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("fill_indicators", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not IndicatorDay.objects.exists()


def test_fill_command_with_nothing_to_fill(clock):
    out = io.StringIO()
    call_command("fill_indicators", stdout=out, stderr=io.StringIO())
    assert "Nada a consolidar" in out.getvalue()
    assert not IndicatorDay.objects.exists()


def test_a_whole_kept_month_is_read_as_one_sum(clock, data):
    """Once every day of April is kept, "mês anterior" reads April's month rows, with the same
    figures; a month only partly in a period is read by its days; forgetting a day of the
    month forgets the month."""
    Agendamento.objects.filter(pk=data["live"].pk).update(state=Agendamento.State.EXPIRED)
    for created in (at(2027, 3, 1, 10), at(2027, 3, 15, 10)):  # the 1st is before "anterior"
        old = data["old"]
        old.pk = None
        old.ficha = make_ficha(name=f"Ficha de {created:%d/%m}")
        old.created_at = created
        old.save()
    clock.freeze(at(2027, 5, 10, 9, 0))
    last_month = ind.Scope(ind.resolve_period({"periodo": "mes-anterior"}, clock.today()))
    partial = ind.Scope(
        ind.resolve_period(
            {"periodo": "personalizado", "de": "2027-04-10", "ate": "2027-04-30"}, clock.today()
        )
    )
    live = figures(last_month), figures(partial)
    counts = rollup.roll(SECTIONS, D(2027, 3, 1), D(2027, 5, 9))
    assert counts["sources"]["agendamentos"]["months"] == 2  # March and April; May is not over
    assert kept_days(rollup.month_key("agendamentos")) == {D(2027, 3, 1), D(2027, 4, 1)}
    assert (figures(last_month), figures(partial)) == live
    assert live[0]["agendamentos"] == (5, 1)  # against 02/03–31/03: the 1st is not in it
    # March stands for 02/03–31/03 (its 1st subtracted); April for itself.
    plan = agendamento_plan()
    found, days = rollup_read.read(AGENDAMENTOS, plan.figures, (), last_month)
    assert days == set(last_month.previous.dates()) | set(last_month.period.dates())
    assert found[()]["raw"]["agendamentos__prev"] == 1
    march = IndicatorGroup.objects.filter(
        day__source=rollup.month_key("agendamentos"), day__day=D(2027, 3, 1)
    )
    march.update(v0=F("v0") + 10)
    rollup_read.forget_reads()  # kept rows never change in place: this test changes them
    assert figures(last_month)["agendamentos"] == (5, 11)  # March read from its month
    march.update(v0=F("v0") - 10)
    rollup_read.forget_reads()
    month_rows = IndicatorGroup.objects.filter(
        day__source=rollup.month_key("agendamentos"), day__day=D(2027, 4, 1)
    )
    assert month_rows.count() == 2  # ana's and bruno's agendamentos (one kind, one product)
    month_rows.filter(g0=f"{data['done'].owner_id}").update(v0=10)
    rollup_read.forget_reads()
    assert figures(last_month)["agendamentos"] == (14, 1)  # read from the month
    assert figures(partial)["agendamentos"] == live[1]["agendamentos"]  # from its days
    rollup.forget([("agendamentos", D(2027, 4, 14))])
    assert kept_days(rollup.month_key("agendamentos")) == {D(2027, 3, 1)}
    assert figures(last_month) == live[0]
    rollup.roll(SECTIONS, D(2027, 4, 1), D(2027, 4, 30))
    assert kept_days(rollup.month_key("agendamentos")) == {D(2027, 3, 1), D(2027, 4, 1)}


def test_a_renamed_agent_is_one_row_with_the_current_name(clock, data, ana):  # noqa: F811
    """Names are read current, after the groups: an agent renamed after her days were kept is
    one row (kept days and today's together), not one per name."""
    period = ind.resolve_period(SEVEN, clock.today())
    before = {
        k: v
        for k, v in figures(ind.Scope(period)).items()
        if k[0] == "agendamentos-por-responsavel"
    }
    rollup.roll(SECTIONS, D(2027, 4, 1), D(2027, 4, 18))
    ana.first_name = "Ana Paula"
    ana.save(update_fields=["first_name"])
    after = {
        k: v
        for k, v in figures(ind.Scope(period)).items()
        if k[0] == "agendamentos-por-responsavel"
    }
    renamed = {
        (slug, key, label.replace("Ana", "Ana Paula", 1) if key == ana.pk else label): v
        for (slug, key, label), v in before.items()
    }
    assert after == renamed
    assert sum(1 for _, key, _ in after if key == ana.pk) == 1
