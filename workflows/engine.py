"""The one way any flow changes state (`transition()`), and the one place that says what a user
may do on a record (`actions_for()`), both read from each machine's declaration:

- `actions`: per event, one `Action`: pt-BR label, roles, rule IDs, "reason required", and
  the guards (machine methods marked with `@guard`, each with its pt-BR refusal). The guards
  are wired as python-statemachine conditions, so the machine itself evaluates them when the
  event is sent, and `explain()` names the first one that fails.
- states come from the model's TextChoices (`States.from_enum`), declared once.
"""

import inspect
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import models, transaction
from django.db.models import F
from statemachine import StateMachine
from statemachine.exceptions import InvalidDefinition, TransitionNotAllowed
from statemachine.transition_list import TransitionList

from . import clock
from . import indicators_rollup as rollup
from .models import AuditEntry, WorkflowModel
from .refusals import INPUT, ROLE, RULE, Decision, TransitionRefused
from .roles import ATTENDANTS, has_role
from .validators import is_placeholder

# --- Declarations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    message: Any  # str, or a function of the machine
    rule_ids: tuple[str, ...]
    kind: str
    condition: str  # what the guard asks, in pt-BR (the Fluxos page)


def guard(message, *rule_ids: str, kind: str = RULE, condition: str = ""):
    """Mark a machine method as a guard: it returns True when the event may happen, and
    `message` (pt-BR, or a function of the machine giving it) says why not; `rule_ids` and
    `kind` go with the refusal. A refusal built from the record names its `condition`."""
    if callable(message) and not condition:
        raise InvalidDefinition("A guard built from the record needs its `condition`.")

    def mark(fn):
        fn.refusal = Refusal(message, tuple(rule_ids), kind, condition or message)
        return fn

    return mark


@dataclass(frozen=True)
class Action:
    """One event as users meet it. `roles` empty: only the system fires it (timers, webhooks,
    the holder's signed link). `slug` is the pt-BR URL segment of pages that post it."""

    label: str
    roles: frozenset[str] = frozenset()
    rules: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()
    reason: bool = False
    slug: str = ""


def _guard_view_of(cls) -> type:
    """A plain class holding the functions the project's machine classes define, so guards
    can run on a record without building its state machine."""
    functions = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__.split(".")[0] == "statemachine" or klass is object:
            continue
        functions.update({k: v for k, v in vars(klass).items() if inspect.isfunction(v)})
    return type(f"{cls.__name__}Guards", (), functions)


class WorkflowMeta(type(StateMachine)):
    """Wires each `Action`'s guards as the machine's conditions and checks the declaration
    against the machine's events when the class is created (a misspelt name fails at import)."""

    def __init__(cls, name, bases, attrs):
        actions = attrs.get("actions", {})
        for event, action in actions.items():
            transitions = attrs.get(event)
            if not isinstance(transitions, TransitionList):
                raise InvalidDefinition(f"{name}.actions declares {event!r}, not an event.")
            for guard_name in action.guards:
                method = attrs.get(guard_name) or next(
                    (getattr(b, guard_name) for b in bases if hasattr(b, guard_name)), None
                )
                if not hasattr(method, "refusal"):
                    raise InvalidDefinition(f"{name}.{guard_name} is not a @guard method.")
                transitions.cond(method)  # the documented decorator form, applied here
        super().__init__(name, bases, attrs)
        cls._guard_view = _guard_view_of(cls)
        if not cls.states:
            return
        events = {t.event for s in cls.states for t in s.transitions}
        undeclared = events - set(actions)
        if undeclared:
            raise InvalidDefinition(f"{name}: events without an Action: {sorted(undeclared)}.")


class Workflow(StateMachine, metaclass=WorkflowMeta):
    """Base for every machine of the project: see the module docstring."""

    _abstract = True
    actions: dict[str, Action] = {}
    choices: type[models.TextChoices] | None = None
    # Who may see a record of this flow and its history (the pages of its app say the same).
    viewers: frozenset[str] = ATTENDANTS

    @classmethod
    def event_label(cls, event: str) -> str:
        return cls.actions[event].label if event in cls.actions else event

    @classmethod
    def state_label(cls, value: str) -> str:
        if cls.choices is None or value not in cls.choices.values:
            return value
        return cls.choices(value).label

    def explain(self, event: str, *, actor, listing: bool = False, skip=(), **data) -> Decision:
        """`decide` for this machine's record (the transition path asks it on the locked row)."""
        return type(self).decide(self.model, event, actor=actor, listing=listing, skip=skip, **data)

    @classmethod
    def decide(cls, obj, event: str, *, actor, listing: bool = False, skip=(), **data) -> Decision:
        """May `actor` fire `event` on `obj` from its current state, and if not, why: the role,
        the state, then each guard in declared order. `listing` skips the guards on typed
        input, `skip` the named guards (what the caller is about to make true). Pages ask this
        for every row they list, so no machine is built (~1 ms each): the guards run on
        `guards(obj)`, the same methods bound to the record."""
        action = cls.actions[event]
        if actor is not None and not has_role(actor, *action.roles):
            return Decision.refuse(
                f"Seu perfil não permite “{action.label}”.", *action.rules, kind=ROLE
            )
        if event not in events_from(cls, obj.state_value):
            return Decision.refuse(
                f"Não é possível “{action.label}” quando está “{obj.state_label}”.",
                *action.rules,
            )
        view = cls.guards(obj)
        kwargs = {"actor": actor, **data}
        for guard_name in action.guards:
            if guard_name in skip:
                continue
            method = getattr(view, guard_name)
            refusal = method.refusal
            if listing and refusal.kind == INPUT:
                continue
            if not _call(method, kwargs):
                return Decision.refuse(
                    _message(refusal, view), *refusal.rule_ids, kind=refusal.kind
                )
        return Decision.allow(action.label, *action.rules)

    @classmethod
    def guards(cls, obj):
        """The machine's own methods (guards and their helpers) bound to `obj` as `model`."""
        view = cls._guard_view()
        view.model = obj
        return view


def _message(refusal: "Refusal", view) -> str:
    """A refusal's text; one built from the record is asked of it."""
    return refusal.message(view) if callable(refusal.message) else refusal.message


def _call(method, kwargs: dict):
    """Call a guard with the keyword arguments it names (as python-statemachine does)."""
    names = _parameter_names(getattr(method, "__func__", method))
    if names is None:
        return method(**kwargs)
    return method(**{k: v for k, v in kwargs.items() if k in names})


@lru_cache(maxsize=512)
def _parameter_names(function) -> frozenset[str] | None:
    """A guard's parameter names (None when it takes **kwargs); read once per function."""
    params = inspect.signature(function).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return None
    return frozenset(params)


@lru_cache(maxsize=256)
def events_from(machine_cls: type[Workflow], state_value: str) -> tuple[str, ...]:
    """Events leaving a state, read from the class: building a machine costs ~1 ms a row."""
    state = next(s for s in machine_cls.states if s.value == state_value)
    return tuple(dict.fromkeys(t.event for t in state.transitions))


# --- Asking: what may this user do here? -------------------------------------------------------


@dataclass(frozen=True)
class ActionState:
    """One button: the event, its label and slug, and the machine's answer for this user."""

    event: str
    label: str
    slug: str
    decision: Decision
    reason_required: bool

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


class Actions(dict):
    """`actions_for`'s answer: event -> ActionState; `.allowed` in declared order."""

    @property
    def allowed(self) -> list[ActionState]:
        return [a for a in self.values() if a.allowed]

    def may(self, event: str) -> bool:
        state = self.get(event)
        return state is not None and state.allowed


def actions_for(obj: WorkflowModel, user, **data) -> Actions:
    """Per event a user may ever fire from the record's state (their roles allow it): label,
    allowed or not, and the refusal. Every page draws its buttons and forms from this."""
    machine_cls = obj.machine_class()
    answer = Actions()
    for event in machine_cls.actions:
        if event not in events_from(machine_cls, obj.state_value):
            continue
        action = machine_cls.actions[event]
        if not action.roles or not has_role(user, *action.roles):
            continue
        decision = machine_cls.decide(obj, event, actor=user, listing=True, **data)
        answer[event] = ActionState(event, action.label, action.slug, decision, action.reason)
    return answer


def require(obj: WorkflowModel, event: str, *, actor, skip=()) -> None:
    """Refuse, before a service's side effects, what the machine would refuse when the event
    is fired (role, state, guards other than typed input)."""
    decision = obj.machine_class().decide(obj, event, actor=actor, listing=True, skip=skip)
    if not decision:
        raise TransitionRefused.from_decision(decision)


def passes(obj: WorkflowModel, guard_name: str, **kwargs) -> bool:
    """Does one guard of the record's machine pass (for a page asking about a write that is
    not an event, e.g. whether an orçamento's items are editable by this user)?"""
    return bool(_call(getattr(obj.machine_class().guards(obj), guard_name), kwargs))


def require_guard(obj: WorkflowModel, guard_name: str, **kwargs) -> None:
    """One guard of the record's machine, for a write that is not an event (e.g. editing an
    orçamento's items is for its author): refused with that guard's message and rules."""
    view = obj.machine_class().guards(obj)
    method = getattr(view, guard_name)
    if not _call(method, kwargs):
        refusal = method.refusal
        raise TransitionRefused(_message(refusal, view), *refusal.rule_ids, kind=refusal.kind)


# --- Doing: the one transition path -----------------------------------------------------------


def transition(
    obj: WorkflowModel, event: str, *, actor, reason: str = "", rule_ids=(), **data
) -> WorkflowModel:
    """Fire `event` on `obj` atomically: lock, ask the machine (role, state, guards), check the
    reason, run it, save, audit.

    Concurrent calls on one row serialize on the row lock (PostgreSQL) or the write lock
    (SQLite, IMMEDIATE transactions), so the second caller sees the first one's state; the
    version counts the transitions.
    `rule_ids` adds the rules a caller applied to the event's own (e.g. S9 on a commission).
    Returns the saved row; `obj` is refreshed to match.
    """
    model = type(obj)
    with transaction.atomic():
        row = model.objects.select_for_update().get(pk=obj.pk)
        kept_days = rollup.forget_settled(row)  # the medição days it leaves, if settled
        changed, audit = _fire(row, event, actor, reason, rule_ids, data)
        row.save(update_fields=changed)
        audit.save()
        rollup.forget(kept_days)
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
        kept_days = []
        for row in rows.order_by("pk"):
            settled = rollup.forget_settled(row)
            try:
                changed, audit = _fire(row, event, actor, reason, (), {})
            except TransitionRefused as refusal:
                refused[row.pk] = refusal
                continue
            kept_days += settled
            audits.append(audit)
            values = tuple((name, getattr(row, name)) for name in changed if name != "version")
            try:
                by_values[values].append(row.pk)  # rows that end alike share one UPDATE
            except TypeError:  # a list or dict value: this row is saved on its own
                row.save(update_fields=changed)
        for values, pks in by_values.items():
            model.objects.filter(pk__in=pks).update(**dict(values), version=F("version") + 1)
        AuditEntry.objects.bulk_create(audits)
        rollup.forget(kept_days)
    return refused


def _fire(row: WorkflowModel, event: str, actor, reason: str, rule_ids, data):
    """Ask the machine on the locked row, check the reason, run it; returns the fields it
    changed and the audit row to save."""
    machine = row.machine
    action = machine.actions.get(event)
    if action is None:
        raise TransitionRefused("Ação desconhecida.")
    decision = machine.explain(event, actor=actor, **data)
    if not decision:
        raise TransitionRefused.from_decision(decision)
    if action.reason and is_placeholder(reason):
        raise TransitionRefused(
            f"“{action.label}” exige uma justificativa escrita.", *(action.rules or ("M1",))
        )
    from_state = row.state_value
    before = _field_values(row)
    try:
        machine.send(event, actor=actor, reason=reason, **data)
    except TransitionNotAllowed:  # a guard changed its mind between explain and send
        raise TransitionRefused(f"Não é possível “{action.label}” agora.", *action.rules) from None
    row.version += 1
    audit = AuditEntry(
        target=row,
        actor=actor,
        at=clock.now(),
        event=event,
        from_state=from_state,
        to_state=row.state_value,
        reason=reason,
        rule_ids=list(dict.fromkeys([*action.rules, *rule_ids])),
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
