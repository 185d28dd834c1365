"""The one clock of the project: every rule reads time here, so tests can freeze it."""

import contextlib
import datetime as dt

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    return _frozen if _frozen is not None else timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


def localdate(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def day_span(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local day as [start, end) instants: a range an index can answer, unlike `__date`."""
    start, end = (dt.datetime.combine(d, dt.time.min) for d in (day, day + dt.timedelta(days=1)))
    return timezone.make_aware(start), timezone.make_aware(end)


def freeze(at: dt.datetime | None) -> None:
    """Stop the clock at an aware datetime (None lets it run again)."""
    global _frozen
    if at is not None and timezone.is_naive(at):
        at = timezone.make_aware(at)
    _frozen = at


def advance(delta: dt.timedelta) -> dt.datetime:
    freeze(now() + delta)
    return _frozen


@contextlib.contextmanager
def frozen(at: dt.datetime):
    previous = _frozen
    freeze(at)
    try:
        yield
    finally:
        freeze(previous)
