"""Deadlines on rows, fired by django-q2 and backed up by a sweep every minute.

`arm()` records a Timer row and a one-off django-q2 schedule at its due time; arming the same
(row, key) again replaces both. Firing is idempotent: `fire_due()` claims timers under a
row lock, re-reads their rows and calls each handler only if its row is still in the state
that armed it. `sweep()` fires whatever is overdue, so a lost task or a stopped cluster only
delays a deadline, never loses it: timers live in the database and survive restarts.

A handler that raises is retried by the sweep, backing off (1, 2, 4… minutes, at most an hour);
after MAX_ATTEMPTS errors the timer ends as "falhou" (`failed()`, the manager console), where a
manager retries it (`timer_retry`). The sweep takes the timers with fewer errors first, so a
failing one never holds back the healthy ones. A side effect of a handler that cannot be
undone (an e-mail) goes through `once(step, ...)`: the step is recorded on the timer even when
a later step fails, and a retry skips it.
"""

import datetime as dt
import logging
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils.module_loading import import_string
from django_q.models import Schedule
from django_q.tasks import schedule

from . import clock
from .engine import transition, transition_many
from .models import Timer
from .raw_reads import RawList, with_content_types
from .refusals import ROLE, TransitionRefused
from .roles import is_manager

log = logging.getLogger(__name__)
SWEEP_SCHEDULE = "workflows.sweep"
SWEEP_LIMIT = 1000  # timers per sweep; a larger backlog drains over the next minutes
SWEEP_BATCH = 100  # timers per transaction: writers wait at most one batch
MAX_ATTEMPTS = 8  # errors before a timer ends as "falhou" (about two hours of retries)
RETRY_BASE = dt.timedelta(minutes=1)
RETRY_CAP = dt.timedelta(hours=1)
ERROR_CHARS = 300  # Timer.last_error

Outcome = Timer.Outcome


def retry_delay(attempts: int) -> dt.timedelta:
    """How long after its `attempts`-th error a timer is tried again: doubling, capped."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


@dataclass
class _Firing:
    """The side effects of the timer being fired: already done, and done by this firing."""

    done: set = field(default_factory=set)
    new: list = field(default_factory=list)


_firing: ContextVar[_Firing | None] = ContextVar("timer_firing", default=None)


def once(step: str, do):
    """Run the side effect `do()` (an e-mail) at most once for the timer being fired.

    Outside a timer it just runs. Inside one, a step an earlier attempt did is skipped, and a
    step done now is recorded on the timer even if a later step of the handler fails (the
    handler's own writes are undone then, not this record), so a retry does not repeat it."""
    firing = _firing.get()
    if firing is None:
        return do()
    if step in firing.done:
        log.info("timer step %s already done: skipped", step)
        return None
    result = do()
    firing.done.add(step)
    firing.new.append(step)
    return result


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
                "attempts": 0,
                "last_error": "",
                "retry_at": None,
                "effects": [],
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
    """Cancel the `key` deadline of `obj` (a failed one too: it leaves the manager's list)."""
    timers = Timer.for_object(obj).filter(
        Q(fired_at__isnull=True) | Q(outcome=Outcome.FAILED), key=key
    )
    for timer in timers:
        Schedule.objects.filter(name=timer.schedule_name).delete()
    timers.update(fired_at=clock.now(), outcome=Outcome.CANCELLED, retry_at=None)


def _ready(now):
    """Unfired, due, and not backing off after an error."""
    return Q(fired_at__isnull=True, due_at__lte=now) & (
        Q(retry_at__isnull=True) | Q(retry_at__lte=now)
    )


def fire(timer_id: int, due_iso: str | None = None) -> str:
    """The django-q2 task for one timer; returns what happened (for the task log)."""
    now = clock.now()
    timer = Timer.objects.filter(pk=timer_id).only("fired_at", "due_at", "retry_at").first()
    if timer is None or timer.fired_at is not None:
        return "already-done"
    if due_iso is not None and timer.due_at != dt.datetime.fromisoformat(due_iso):
        return "rearmed"  # a stale task from before the timer was moved
    if timer.due_at > now:
        return "not-due"
    if timer.retry_at is not None and timer.retry_at > now:
        return "backing-off"  # after an error: the sweep tries it again at retry_at
    return fire_due([timer_id], now).get(timer_id, "already-done")


def sweep() -> int:
    """Fire overdue timers (the periodic safety net); returns how many fired. Those that
    failed fewer times go first, then the oldest: failing timers wait out their back-off and
    never take the places of the healthy ones."""
    now = clock.now()
    due = list(
        Timer.objects.filter(_ready(now))
        .order_by("attempts", "due_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    fired = 0
    for start in range(0, len(due), SWEEP_BATCH):
        outcomes = fire_due(due[start : start + SWEEP_BATCH], now)
        fired += sum(outcome == "fired" for outcome in outcomes.values())
    return fired


def fire_due(timer_ids, now, *, give_up: bool = False) -> dict[int, str]:
    """Claim the due, unfired timers among `timer_ids` and run their handlers: one transaction.

    The claim is a locked read plus one update, so a concurrent task or sweep skips what this
    one took. Each handler runs in its own savepoint (a handler with `many` takes its rows
    together): a refusal or an error undoes that handler only (not the steps it did through
    `once`), and an error puts its timer back to be retried after `retry_delay`, or ends it
    as failed after MAX_ATTEMPTS errors (at the first error with `give_up`). A crash undoes
    the whole batch, so every deadline still fires exactly once.
    """
    outcomes: dict[int, str] = {}
    errors: dict[int, str] = {}
    with transaction.atomic():
        claimed = list(
            Timer.objects.select_for_update()
            .filter(_ready(now), pk__in=timer_ids)
            .order_by("due_at", "pk")  # one lock order for every claimer: no deadlock
        )
        if not claimed:
            return outcomes
        Timer.objects.filter(pk__in=[t.pk for t in claimed]).update(
            fired_at=now, outcome=Outcome.FIRED, retry_at=None
        )
        targets = _targets(claimed)
        by_handler: dict[str, list] = {}
        for timer in claimed:
            target = targets.get((timer.content_type_id, timer.object_id))
            if target is None or getattr(target, "state_value", "") != timer.armed_state:
                outcomes[timer.pk] = "stale"  # the row moved on since the timer was armed
            else:
                by_handler.setdefault(timer.handler, []).append((timer, target))
        for path, ready in by_handler.items():
            outcomes.update(_run(path, ready, errors))
        for outcome in ("stale", "refused"):
            ids = [pk for pk, got in outcomes.items() if got == outcome]
            Timer.objects.filter(pk__in=ids).update(outcome=outcome)
        _record_errors([t for t in claimed if t.pk in errors], errors, now, give_up)
    return outcomes


def _record_errors(timers, errors: dict[int, str], now, give_up: bool) -> None:
    """An error counts an attempt: retried after `retry_delay`, or failed at the last one."""
    for timer in timers:
        attempts = timer.attempts + 1
        failed = give_up or attempts >= MAX_ATTEMPTS
        Timer.objects.filter(pk=timer.pk).update(
            attempts=attempts,
            last_error=errors[timer.pk][:ERROR_CHARS],
            fired_at=now if failed else None,
            outcome=Outcome.FAILED if failed else Outcome.PENDING,
            retry_at=None if failed else now + retry_delay(attempts),
        )
        if failed:
            log.error("timer %s failed after %s attempts", timer.pk, attempts)


# the partial index timer_failed reads them newest first
FAILED_SQL = (
    f"SELECT * FROM {Timer._meta.db_table} WHERE outcome = %s ORDER BY fired_at DESC, id DESC"
)


def failed() -> RawList:
    """The timers that ended as "falhou", newest first: the manager console's list (written
    in SQL, workflows/raw_reads.py)."""
    return RawList(Timer, FAILED_SQL, [Outcome.FAILED], finish=with_content_types)


def timer_retry(timer_id: int, *, actor) -> Timer:
    """A manager tries a failed timer again, now; one more error leaves it failed."""
    if not is_manager(actor):
        raise TransitionRefused("Só o gestor tenta de novo um prazo que falhou.", kind=ROLE)
    now = clock.now()
    with transaction.atomic():
        timer = Timer.objects.select_for_update().filter(pk=timer_id).first()
        if timer is None or timer.outcome != Outcome.FAILED:
            raise TransitionRefused(
                "Este prazo não está mais entre os que falharam: nada a tentar de novo."
            )
        Timer.objects.filter(pk=timer.pk).update(fired_at=None, outcome="", retry_at=None)
        fire_due([timer.pk], now, give_up=True)
    timer.refresh_from_db()
    log.warning("timer %s retried by %s: %s", timer.pk, actor.pk, timer.outcome)
    return timer


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


def _run(path: str, ready, errors: dict[int, str]) -> dict[int, str]:
    """Call the handler on each (timer, row); all rows at once when it has `many`. What went
    wrong with a timer goes into `errors`."""
    try:
        handler = import_string(path)
    except ImportError:  # a handler renamed under armed timers: they wait, loudly
        log.exception("timer handler %s not found", path)
        errors.update({timer.pk: f"Rotina {path} não encontrada." for timer, _ in ready})
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
    return {timer.pk: _run_one(handler, timer, target, errors) for timer, target in ready}


def _run_one(handler, timer: Timer, target, errors: dict[int, str]) -> str:
    firing = _Firing(done=set(timer.effects or ()))
    token = _firing.set(firing)
    try:
        with transaction.atomic():
            handler(target)
    except TransitionRefused as refused:
        log.warning("timer %s refused: %s", timer.pk, refused)
        return "refused"
    except Exception as error:  # one bad row must not stop the others; it is retried later
        log.exception("timer %s failed", timer.pk)
        errors[timer.pk] = f"{type(error).__name__}: {error}"
        return "error"
    else:
        return "fired"
    finally:
        _firing.reset(token)
        if firing.new:  # outside the handler's savepoint: kept even when it was undone
            Timer.objects.filter(pk=timer.pk).update(effects=sorted(firing.done))


def event_handler(event: str, reason: str):
    """A timer handler that only fires `event` on its row (an expiry), as the system: the
    sweep fires a batch of them with one `transition_many`."""

    def handler(obj) -> None:
        transition(obj, event, actor=None, reason=reason)

    handler.many = lambda objs: transition_many(objs, event, actor=None, reason=reason)
    return handler
