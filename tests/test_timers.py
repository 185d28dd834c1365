"""Timers: django-q2 one-off tasks at deadlines, idempotent, backed up by a minute sweep."""

import datetime as dt

import pytest
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


def expire_unless_broken(errand):
    """A handler that fails on one row (size 99) and is refused on another (size 7)."""
    if errand.size == 99:
        raise RuntimeError("serviço fora do ar")
    if errand.size == 7:
        transition(errand, "finish", actor=None, reason="não se conclui o que não começou")
    expire_errand(errand)


def test_sweep_fires_a_backlog_and_a_failing_handler_undoes_only_its_own_row(db, clock):
    errands = [Errand.objects.create(size=size) for size in (1, 99, 7, 2)]
    for errand in errands:
        timers.arm(
            errand,
            "expiry",
            clock.now() + dt.timedelta(hours=1),
            "tests.test_timers.expire_unless_broken",
        )
    clock.advance(dt.timedelta(hours=2))

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
    assert timers.sweep() == 1
    assert Errand.objects.get(pk=errands[1].pk).state == "expired"
    assert timers.sweep() == 0
