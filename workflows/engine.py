"""The one way any flow changes state: `transition()`, plus the `Decision` rule checks return."""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import models, transaction
from django.db.models import F
from statemachine import StateMachine
from statemachine.exceptions import TransitionNotAllowed

from . import clock
from .models import AuditEntry, WorkflowModel
from .roles import has_role
from .validators import is_placeholder


@dataclass(frozen=True)
class Decision:
    """The outcome of a rule check, explainable on screen by its rule IDs."""

    allowed: bool
    reason: str
    rule_ids: tuple[str, ...] = ()
    route_to: Any = None
    details: dict = field(default_factory=dict, compare=False)

    def __bool__(self) -> bool:
        return self.allowed

    @classmethod
    def allow(cls, reason: str, *rule_ids: str, route_to=None, **details) -> "Decision":
        return cls(True, reason, tuple(rule_ids), route_to, details)

    @classmethod
    def refuse(cls, reason: str, *rule_ids: str, route_to=None, **details) -> "Decision":
        return cls(False, reason, tuple(rule_ids), route_to, details)

    @property
    def rules_label(self) -> str:
        return ", ".join(self.rule_ids)


class TransitionRefused(Exception):
    """A refused action, with a pt-BR message for the user and the rule IDs behind it."""

    def __init__(self, message: str, *rule_ids: str):
        super().__init__(message)
        self.message = message
        self.rule_ids = tuple(rule_ids)

    @classmethod
    def from_decision(cls, decision: Decision) -> "TransitionRefused":
        return cls(decision.reason, *decision.rule_ids)

    def __str__(self) -> str:
        return f"{self.message} ({', '.join(self.rule_ids)})" if self.rule_ids else self.message


class Workflow(StateMachine):
    """Base for every machine of the project.

    - `event_roles`: event id -> roles allowed to fire it (actor None means the system clock).
    - `event_rules`: event id -> rule IDs the event enforces (written to the audit row).
    - `reason_required`: events that need a written reason (e.g. manager overrides, M1).
    - `event_labels`: event id -> pt-BR label for messages.
    Validators raise `TransitionRefused` with rule IDs; a failed `cond` becomes one too.
    """

    _abstract = True
    event_roles: dict[str, frozenset[str]] = {}
    event_rules: dict[str, tuple[str, ...]] = {}
    reason_required: frozenset[str] = frozenset()
    event_labels: dict[str, str] = {}

    @classmethod
    def event_label(cls, event: str) -> str:
        return cls.event_labels.get(event, event)


def permitted(machine: Workflow, event: str, actor) -> bool:
    """Server-side role check for one event; the system (actor None) may fire any event."""
    if actor is None:
        return True
    return has_role(actor, *machine.event_roles.get(event, ()))


@lru_cache(maxsize=256)
def events_from(machine_cls: type[Workflow], state_value: str) -> tuple[str, ...]:
    """Events leaving a state, read from the class: building a machine costs ~1 ms a row."""
    state = next(s for s in machine_cls.states if s.value == state_value)
    return tuple(dict.fromkeys(t.event for t in state.transitions))


def available_events(obj: WorkflowModel, actor) -> list[str]:
    """Events the actor may try from the current state (guards are checked when fired)."""
    machine_cls = obj.machine_class()
    return [
        e for e in events_from(machine_cls, obj.state_value) if permitted(machine_cls, e, actor)
    ]


def transition(
    obj: WorkflowModel, event: str, *, actor, reason: str = "", rule_ids=(), **data
) -> WorkflowModel:
    """Fire `event` on `obj` atomically: lock, check role, run the machine, save, audit.

    Concurrent calls on one row serialize on the row lock (PostgreSQL) or the write lock
    (SQLite, IMMEDIATE transactions), so the second caller sees the first one's state; the
    version counts the transitions.
    `rule_ids` adds the rules a caller applied to the event's own (e.g. S9 on a commission).
    Returns the saved row; `obj` is refreshed to match.
    """
    model = type(obj)
    with transaction.atomic():
        row = model.objects.select_for_update().get(pk=obj.pk)
        changed, audit = _fire(row, event, actor, reason, rule_ids, data)
        row.save(update_fields=changed)
        audit.save()
    _copy_fields(row, obj)
    return row


def transition_many(objs, event: str, *, actor, reason: str = "") -> dict:
    """`transition` on many rows of one model at once, for the sweep's expiries: one locked
    read, one UPDATE per set of changed fields, one INSERT of audit rows.

    Only for events whose machine actions write nothing but the row itself, on models that
    keep no logic in `save()`. Returns the refusals by pk; the other rows moved.
    """
    if not objs:
        return {}
    model = type(objs[0])
    if model.save is not models.Model.save:
        raise ValueError(f"{model.__name__} has its own save(): use transition() per row")
    refused, by_values, audits = {}, defaultdict(list), []
    with transaction.atomic():
        rows = model.objects.select_for_update().filter(pk__in=[o.pk for o in objs])
        for row in rows.order_by("pk"):
            try:
                changed, audit = _fire(row, event, actor, reason, (), {})
            except TransitionRefused as refusal:
                refused[row.pk] = refusal
                continue
            audits.append(audit)
            values = tuple((name, getattr(row, name)) for name in changed if name != "version")
            try:
                by_values[values].append(row.pk)  # rows that end alike share one UPDATE
            except TypeError:  # a list or dict value: this row is saved on its own
                row.save(update_fields=changed)
        for values, pks in by_values.items():
            model.objects.filter(pk__in=pks).update(**dict(values), version=F("version") + 1)
        AuditEntry.objects.bulk_create(audits)
    return refused


def _fire(row: WorkflowModel, event: str, actor, reason: str, rule_ids, data):
    """Check the role and the reason, run the machine on the locked row; returns the fields
    it changed and the audit row to save."""
    machine = row.machine
    label = machine.event_label(event)
    if not permitted(machine, event, actor):
        raise TransitionRefused(
            f"Seu perfil não permite “{label}”. Peça a um gestor.",
            *machine.event_rules.get(event, ()),
        )
    if event in machine.reason_required and is_placeholder(reason):
        raise TransitionRefused(
            f"“{label}” exige uma justificativa escrita.",
            *machine.event_rules.get(event, ("M1",)),
        )
    from_state = row.state_value
    from_label = row.state_label
    before = _field_values(row)
    try:
        machine.send(event, actor=actor, reason=reason, **data)
    except TransitionNotAllowed:
        raise TransitionRefused(
            f"Não é possível “{label}” quando está “{from_label}”.",
            *machine.event_rules.get(event, ()),
        ) from None
    row.version += 1
    audit = AuditEntry(
        target=row,
        actor=actor,
        at=clock.now(),
        event=event,
        from_state=from_state,
        to_state=row.state_value,
        reason=reason,
        rule_ids=list(dict.fromkeys([*machine.event_rules.get(event, ()), *rule_ids])),
    )
    return _changed(before, _field_values(row)), audit


def _field_values(row: WorkflowModel) -> dict:
    return {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields}


def _changed(before: dict, after: dict) -> list[str]:
    """Fields the machine's actions changed; a list or dict may have changed in place."""
    return [
        name
        for name, value in after.items()
        if isinstance(value, (list, dict)) or before[name] != value
    ]


def _copy_fields(source: WorkflowModel, obj: WorkflowModel) -> None:
    """Bring `obj` up to date with the saved row without reading it again."""
    for f in type(obj)._meta.concrete_fields:
        setattr(obj, f.attname, getattr(source, f.attname))  # a changed FK drops its cache
    obj.__dict__.pop("machine", None)
    obj.__dict__.pop("_prefetched_objects_cache", None)
