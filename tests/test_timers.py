"""Timers: django-q2 one-off tasks at deadlines, idempotent, backed up by a minute sweep."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django_q.models import Schedule

from tests.flowapp.models import Errand
from workflows import timers
from workflows.engine import transition
from workflows.models import AuditEntry, Timer

HANDLER = "tests.test_timers.expire_errand"
calls = []


def expire_errand(errand):
    calls.append(errand.pk)
    transition(errand, "expire", actor=None, reason="prazo vencido")


@pytest.fixture(autouse=True)
def _reset_calls():
    calls.clear()


@pytest.fixture
def armed(db, clock):
    errand = Errand.objects.create()
    timer = timers.arm(errand, "expiry", clock.now() + dt.timedelta(hours=2), HANDLER)
    return errand, timer


def test_arm_creates_one_django_q_schedule_at_the_deadline(armed, clock):
    errand, timer = armed
    sched = Schedule.objects.get(name=timer.schedule_name)
    assert sched.func == "workflows.timers.fire"
    assert sched.schedule_type == Schedule.ONCE
    assert sched.next_run == clock.now() + dt.timedelta(hours=2)
    assert timer.armed_state == "open"


def test_armed_task_does_nothing_before_due_and_fires_once_after(armed, clock):
    errand, timer = armed
    due = timer.due_at.isoformat()
    assert timers.fire(timer.pk, due) == "not-due"
    clock.advance(dt.timedelta(hours=2))
    assert timers.fire(timer.pk, due) == "fired"
    assert timers.fire(timer.pk, due) == "already-done"
    assert timers.sweep() == 0
    assert calls == [errand.pk]
    assert Errand.objects.get(pk=errand.pk).state == "expired"
    assert AuditEntry.for_object(errand).get().event == "expire"


def test_rearmed_timer_replaces_schedule_and_stale_task_does_not_fire(armed, clock):
    errand, first = armed
    stale_due = first.due_at.isoformat()
    second = timers.arm(errand, "expiry", clock.now() + dt.timedelta(days=1), HANDLER)
    assert second.pk == first.pk
    assert Schedule.objects.filter(name=second.schedule_name).count() == 1

    clock.advance(dt.timedelta(hours=3))
    assert timers.fire(first.pk, stale_due) == "rearmed"
    clock.advance(dt.timedelta(days=1))
    assert timers.fire(second.pk, second.due_at.isoformat()) == "fired"
    assert calls == [errand.pk]


def test_sweep_catches_a_missed_deadline(armed, clock):
    errand, timer = armed
    Schedule.objects.filter(name=timer.schedule_name).delete()  # the task was lost
    clock.advance(dt.timedelta(hours=1))
    assert timers.sweep() == 0
    clock.advance(dt.timedelta(hours=1, minutes=1))
    assert timers.sweep() == 1
    assert Errand.objects.get(pk=errand.pk).state == "expired"


def test_task_on_a_row_that_moved_on_does_nothing(armed, clock, make_user):
    errand, timer = armed
    transition(errand, "start", actor=make_user("agent"), size=1)
    clock.advance(dt.timedelta(hours=3))
    assert timers.fire(timer.pk, timer.due_at.isoformat()) == "stale"
    assert calls == []
    assert Errand.objects.get(pk=errand.pk).state == "started"
    assert Timer.objects.get(pk=timer.pk).outcome == "stale"


def test_disarm_cancels_timer_and_schedule(armed, clock):
    errand, timer = armed
    timers.disarm(errand, "expiry")
    assert not Schedule.objects.filter(name=timer.schedule_name).exists()
    clock.advance(dt.timedelta(days=2))
    assert timers.sweep() == 0
    assert Timer.objects.get(pk=timer.pk).outcome == "cancelled"


def test_sweep_is_scheduled_every_minute_after_migrate(db):
    sweep = Schedule.objects.get(name="workflows.sweep")
    assert (sweep.func, sweep.schedule_type, sweep.minutes) == (
        "workflows.timers.sweep",
        Schedule.MINUTES,
        1,
    )


def arm_overdue(errands, handler: str, clock, key="expiry"):
    """Arm `handler` (a function of this module) on each errand, then let it fall due."""
    for errand in errands:
        timers.arm(errand, key, clock.now() + dt.timedelta(hours=1), f"tests.test_timers.{handler}")
    clock.advance(dt.timedelta(hours=2))


def expire_unless_broken(errand):
    """A handler that fails on one row (size 99) and is refused on another (size 7)."""
    if errand.size == 99:
        raise RuntimeError("serviço fora do ar")
    if errand.size == 7:
        transition(errand, "finish", actor=None, reason="não se conclui o que não começou")
    expire_errand(errand)


def test_sweep_fires_a_backlog_and_a_failing_handler_undoes_only_its_own_row(db, clock):
    errands = [Errand.objects.create(size=size) for size in (1, 99, 7, 2)]
    arm_overdue(errands, "expire_unless_broken", clock)

    assert timers.sweep() == 2
    states = [Errand.objects.get(pk=e.pk).state for e in errands]
    assert states == ["expired", "open", "open", "expired"]
    outcomes = [Timer.for_object(e).get() for e in errands]
    assert [(t.outcome, t.fired_at is not None) for t in outcomes] == [
        ("fired", True),
        ("", False),  # the error left it armed: the next sweep tries again
        ("refused", True),
        ("fired", True),
    ]
    assert sorted(AuditEntry.objects.values_list("object_id", flat=True)) == sorted(
        [str(errands[0].pk), str(errands[3].pk)]
    )

    Errand.objects.filter(pk=errands[1].pk).update(size=3)  # the service is back
    assert timers.sweep() == 0  # backing off after its error
    clock.advance(timers.retry_delay(1))
    assert timers.sweep() == 1
    assert Errand.objects.get(pk=errands[1].pk).state == "expired"
    assert timers.sweep() == 0


expire_many = timers.event_handler("expire", "prazo vencido")
finish_many = timers.event_handler("finish", "não se conclui o que não começou")


def test_sweep_expires_a_batch_together_with_one_audit_row_each(
    db, clock, django_assert_max_num_queries
):
    errands = [Errand.objects.create() for _ in range(5)]
    transition(errands[4], "start", actor=None, size=3)  # expire works from started too
    arm_overdue(errands, "expire_many", clock)

    # listing, claim, targets, one lock, one update, one insert, outcomes: not one per row
    with django_assert_max_num_queries(14):
        assert timers.sweep() == 5
    expected = [("open", 1)] * 4 + [("started", 2)]
    for errand, (from_state, version) in zip(errands, expected, strict=True):
        row = Errand.objects.get(pk=errand.pk)
        entry = AuditEntry.for_object(errand).get(event="expire")
        assert (row.state, row.version, entry.from_state, entry.reason) == (
            "expired",
            version,
            from_state,
            "prazo vencido",
        )
    assert {t.outcome for t in Timer.objects.all()} == {"fired"}


def test_a_batch_refusal_touches_only_its_row(db, clock):
    waiting, started = Errand.objects.create(), Errand.objects.create()
    transition(started, "start", actor=None, size=1)
    arm_overdue((waiting, started), "finish_many", clock, key="finish")
    assert timers.sweep() == 1
    assert Errand.objects.get(pk=waiting.pk).state == "open"  # "finish" needs a started errand
    assert Errand.objects.get(pk=started.pk).state == "done"
    assert Timer.for_object(waiting).get().outcome == "refused"
    assert not AuditEntry.for_object(waiting).exists()


def test_transition_many_refuses_models_that_keep_logic_in_save():
    from tickets.models import Ticket
    from workflows.engine import transition_many

    with pytest.raises(ValueError, match="own save"):
        transition_many([Ticket()], "close", actor=None)


def expire_one_by_one(errand):
    expire_errand(errand)


def _broken_batch(errands):
    Errand.objects.filter(pk__in=[e.pk for e in errands]).update(size=42)  # undone below
    raise RuntimeError("lote falhou")


expire_one_by_one.many = _broken_batch


def test_a_failing_batch_is_undone_and_fired_one_by_one(db, clock):
    errands = [Errand.objects.create() for _ in range(3)]
    arm_overdue(errands, "expire_one_by_one", clock)
    assert timers.sweep() == 3
    assert sorted(calls) == sorted(e.pk for e in errands)
    assert [(e.state, e.size) for e in Errand.objects.order_by("pk")] == [("expired", 0)] * 3


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_racing_on_one_backlog_fire_each_deadline_once(clock):
    errands = [Errand.objects.create() for _ in range(30)]
    arm_overdue(errands, "expire_many", clock)
    barrier, fired = threading.Barrier(2), []

    def sweep():
        try:
            barrier.wait()
            fired.append(timers.sweep())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(fired) == 30
    assert Errand.objects.filter(state="expired").count() == 30
    assert AuditEntry.objects.filter(event="expire").count() == 30
    assert set(Timer.objects.values_list("outcome", flat=True)) == {"fired"}


def test_a_timer_whose_handler_is_gone_waits_and_the_others_fire(armed, clock):
    errand, timer = armed
    other = Errand.objects.create()
    lost = timers.arm(other, "expiry", timer.due_at, "tests.test_timers.renamed_handler")
    clock.advance(dt.timedelta(hours=3))
    assert timers.sweep() == 1
    assert Errand.objects.get(pk=errand.pk).state == "expired"
    lost.refresh_from_db()
    assert (lost.fired_at, Errand.objects.get(pk=other.pk).state) == (None, "open")
