"""Deadlines on rows, fired by django-q2 and backed up by a sweep every minute.

`arm()` records a Timer row and a one-off django-q2 schedule at its due time; arming the same
(row, key) again replaces both. Firing is idempotent: `fire_due()` claims timers under a
row lock, re-reads their rows and calls each handler only if its row is still in the state
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
from .engine import transition, transition_many
from .models import Timer
from .refusals import TransitionRefused

log = logging.getLogger(__name__)
SWEEP_SCHEDULE = "workflows.sweep"
SWEEP_LIMIT = 1000  # timers per sweep; a larger backlog drains over the next minutes
SWEEP_BATCH = 100  # timers per transaction: writers wait at most one batch


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
    """The django-q2 task for one timer; returns what happened (for the task log)."""
    now = clock.now()
    timer = Timer.objects.filter(pk=timer_id).only("fired_at", "due_at").first()
    if timer is None or timer.fired_at is not None:
        return "already-done"
    if due_iso is not None and timer.due_at != dt.datetime.fromisoformat(due_iso):
        return "rearmed"  # a stale task from before the timer was moved
    if timer.due_at > now:
        return "not-due"
    return fire_due([timer_id], now).get(timer_id, "already-done")


def sweep() -> int:
    """Fire overdue timers, oldest first (the periodic safety net); returns how many fired."""
    now = clock.now()
    due = list(
        Timer.objects.filter(fired_at__isnull=True, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    fired = 0
    for start in range(0, len(due), SWEEP_BATCH):
        outcomes = fire_due(due[start : start + SWEEP_BATCH], now)
        fired += sum(outcome == "fired" for outcome in outcomes.values())
    return fired


def fire_due(timer_ids, now) -> dict[int, str]:
    """Claim the due, unfired timers among `timer_ids` and run their handlers: one transaction.

    The claim is a locked read plus one update, so a concurrent task or sweep skips what this
    one took. Each handler runs in its own savepoint (a handler with `many` takes its rows
    together): a refusal or an error undoes that handler only, and an error leaves its timer
    unclaimed for the next sweep. A crash undoes the whole batch, so every deadline still
    fires exactly once.
    """
    outcomes: dict[int, str] = {}
    with transaction.atomic():
        claimed = list(
            Timer.objects.select_for_update()
            .filter(pk__in=timer_ids, fired_at__isnull=True, due_at__lte=now)
            .order_by("due_at", "pk")  # one lock order for every claimer: no deadlock
        )
        if not claimed:
            return outcomes
        Timer.objects.filter(pk__in=[t.pk for t in claimed]).update(fired_at=now, outcome="fired")
        targets = _targets(claimed)
        by_handler: dict[str, list] = {}
        for timer in claimed:
            target = targets.get((timer.content_type_id, timer.object_id))
            if target is None or getattr(target, "state_value", "") != timer.armed_state:
                outcomes[timer.pk] = "stale"  # the row moved on since the timer was armed
            else:
                by_handler.setdefault(timer.handler, []).append((timer, target))
        for path, ready in by_handler.items():
            outcomes.update(_run(path, ready))
        for outcome in ("stale", "refused"):
            ids = [pk for pk, got in outcomes.items() if got == outcome]
            Timer.objects.filter(pk__in=ids).update(outcome=outcome)
        errors = [pk for pk, got in outcomes.items() if got == "error"]
        Timer.objects.filter(pk__in=errors).update(fired_at=None, outcome="")
    return outcomes


def _targets(claimed) -> dict[tuple[int, str], object]:
    """The rows the timers point at, read fresh: one query per kind of row."""
    by_type: dict[int, list[str]] = {}
    for timer in claimed:
        by_type.setdefault(timer.content_type_id, []).append(timer.object_id)
    found = {}
    for type_id, object_ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:  # a model that no longer exists: its timers are stale
            continue
        for pk, obj in model._base_manager.in_bulk(object_ids).items():
            found[(type_id, str(pk))] = obj
    return found


def _run(path: str, ready) -> dict[int, str]:
    """Call the handler on each (timer, row); all rows at once when it has `many`."""
    try:
        handler = import_string(path)
    except ImportError:  # a handler renamed under armed timers: they wait, loudly
        log.exception("timer handler %s not found", path)
        return {timer.pk: "error" for timer, _ in ready}
    many = getattr(handler, "many", None)
    if many is not None and len({target.pk for _, target in ready}) == len(ready) > 1:
        try:
            with transaction.atomic():
                refused = many([target for _, target in ready])
        except Exception:  # fall back to one by one, so only the bad row waits
            log.exception("batch of %s failed; firing one by one", path)
        else:
            for timer, target in ready:
                if target.pk in refused:
                    log.warning("timer %s refused: %s", timer.pk, refused[target.pk])
            return {t.pk: "refused" if o.pk in refused else "fired" for t, o in ready}
    return {timer.pk: _run_one(handler, timer, target) for timer, target in ready}


def _run_one(handler, timer: Timer, target) -> str:
    try:
        with transaction.atomic():
            handler(target)
    except TransitionRefused as refused:
        log.warning("timer %s refused: %s", timer.pk, refused)
        return "refused"
    except Exception:  # one bad row must not stop the others; it is retried next minute
        log.exception("timer %s failed", timer.pk)
        return "error"
    return "fired"


def event_handler(event: str, reason: str):
    """A timer handler that only fires `event` on its row (an expiry), as the system: the
    sweep fires a batch of them with one `transition_many`."""

    def handler(obj) -> None:
        transition(obj, event, actor=None, reason=reason)

    handler.many = lambda objs: transition_many(objs, event, actor=None, reason=reason)
    return handler
