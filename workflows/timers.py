"""Deadlines on rows, fired by django-q2 and backed up by a sweep every minute.

`arm()` records a Timer row and a one-off django-q2 schedule at its due time; arming the same
(row, key) again replaces both. `fire()` is idempotent: it claims the timer with a
compare-and-set, re-reads the row and calls the handler only if the row is still in the state
that armed it. `sweep()` fires whatever is overdue, so a lost task or a stopped cluster only
delays a deadline, never loses it: timers live in the database and survive restarts.
"""

import datetime as dt
import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.module_loading import import_string
from django_q.models import Schedule
from django_q.tasks import schedule

from . import clock
from .engine import TransitionRefused
from .models import Timer

log = logging.getLogger(__name__)
SWEEP_SCHEDULE = "workflows.sweep"


def arm(obj, key: str, due_at, handler: str, armed_state: str | None = None) -> Timer:
    """Set (or move) the `key` deadline of `obj`; `handler(obj)` runs when it falls due."""
    if armed_state is None:
        armed_state = getattr(obj, "state_value", "")
    with transaction.atomic():
        timer, _ = Timer.objects.update_or_create(
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            key=key,
            defaults={
                "handler": handler,
                "due_at": due_at,
                "armed_state": armed_state,
                "fired_at": None,
                "outcome": "",
            },
        )
        Schedule.objects.filter(name=timer.schedule_name).delete()
        schedule(
            "workflows.timers.fire",
            timer.pk,
            due_at.isoformat(),
            name=timer.schedule_name,
            schedule_type=Schedule.ONCE,
            next_run=due_at,
        )
    return timer


def disarm(obj, key: str) -> None:
    timers = Timer.for_object(obj).filter(key=key, fired_at__isnull=True)
    for timer in timers:
        Schedule.objects.filter(name=timer.schedule_name).delete()
    timers.update(fired_at=clock.now(), outcome="cancelled")


def fire(timer_id: int, due_iso: str | None = None) -> str:
    """Run one timer if it is due and still armed; returns what happened (for the task log)."""
    now = clock.now()
    with transaction.atomic():
        timer = Timer.objects.filter(pk=timer_id).first()
        if timer is None or timer.fired_at is not None:
            return "already-done"
        if due_iso is not None and timer.due_at != dt.datetime.fromisoformat(due_iso):
            return "rearmed"  # a stale task from before the timer was moved
        if timer.due_at > now:
            return "not-due"
        claimed = Timer.objects.filter(pk=timer.pk, fired_at__isnull=True).update(
            fired_at=now, outcome="fired"
        )
        if not claimed:
            return "already-done"
        obj = timer.target
        if obj is None or getattr(obj, "state_value", "") != timer.armed_state:
            Timer.objects.filter(pk=timer.pk).update(outcome="stale")
            return "stale"
        try:
            with transaction.atomic():
                import_string(timer.handler)(obj)
        except TransitionRefused as refused:
            log.warning("timer %s refused: %s", timer.pk, refused)
            Timer.objects.filter(pk=timer.pk).update(outcome="refused")
            return "refused"
    return "fired"


def sweep() -> int:
    """Fire every overdue timer (the periodic safety net); returns how many fired."""
    due = Timer.objects.filter(fired_at__isnull=True, due_at__lte=clock.now())
    fired = 0
    for timer_id, due_at in due.values_list("pk", "due_at").order_by("due_at")[:1000]:
        try:
            fired += fire(timer_id, due_at.isoformat()) == "fired"
        except Exception:  # one bad row must not stop the sweep; it is retried next minute
            log.exception("timer %s failed", timer_id)
    return fired
