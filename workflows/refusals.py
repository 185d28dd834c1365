"""What a rule check answers: a `Decision` (allowed or not, the pt-BR reason, the rule IDs)
and, when an action is refused, a `TransitionRefused`. The kind of a refusal decides the HTTP
answer: 403 for a role or ownership refusal, 422 for a rule's."""

from dataclasses import dataclass, field
from typing import Any

# Why something was refused: the HTTP answer follows from it (403 for ROLE and OWNER, 422 else).
ROLE = "role"  # the user's roles do not include the event's
OWNER = "owner"  # the record is someone else's (the triage, agendamento, orçamento...)
RULE = "rule"  # a rule of the rulebook refuses it here and now
INPUT = "input"  # what was typed does not satisfy a rule (checked when fired, not listed)
FORBIDDEN = frozenset({ROLE, OWNER})


@dataclass(frozen=True)
class Decision:
    """The outcome of a rule check, explainable on screen by its rule IDs."""

    allowed: bool
    reason: str
    rule_ids: tuple[str, ...] = ()
    route_to: Any = None
    details: dict = field(default_factory=dict, compare=False)
    kind: str = RULE

    def __bool__(self) -> bool:
        return self.allowed

    @classmethod
    def allow(cls, reason: str, *rule_ids: str, route_to=None, **details) -> "Decision":
        return cls(True, reason, tuple(rule_ids), route_to, details)

    @classmethod
    def refuse(
        cls, reason: str, *rule_ids: str, route_to=None, kind: str = RULE, **details
    ) -> "Decision":
        return cls(False, reason, tuple(rule_ids), route_to, details, kind)

    @property
    def rules_label(self) -> str:
        return ", ".join(self.rule_ids)

    @property
    def forbidden(self) -> bool:
        """A role or ownership refusal (HTTP 403), not a rule's (422)."""
        return not self.allowed and self.kind in FORBIDDEN


class TransitionRefused(Exception):
    """A refused action, with a pt-BR message for the user and the rule IDs behind it.
    `field` names the form field the refusal is about; `problems` holds every refusal of one
    submit (`combine`), so a form shows them all at once, each on its field."""

    def __init__(self, message: str, *rule_ids: str, kind: str = RULE, field: str = ""):
        super().__init__(message)
        self.message = message
        self.rule_ids = tuple(rule_ids)
        self.kind = kind
        self.field = field
        self.problems: tuple[TransitionRefused, ...] = (self,)

    @classmethod
    def from_decision(cls, decision: Decision) -> "TransitionRefused":
        return cls(decision.reason, *decision.rule_ids, kind=decision.kind)

    def on(self, field: str) -> "TransitionRefused":
        """The same refusal, about one form field."""
        return TransitionRefused(self.message, *self.rule_ids, kind=self.kind, field=field)

    @classmethod
    def combine(cls, problems) -> "TransitionRefused":
        """One refusal carrying every problem found (raise it when there is any)."""
        first = problems[0]
        rules = tuple(dict.fromkeys(r for p in problems for r in p.rule_ids))
        combined = cls(first.message, *rules, kind=first.kind, field=first.field)
        combined.problems = tuple(problems)
        return combined

    @property
    def forbidden(self) -> bool:
        return self.kind in FORBIDDEN

    @property
    def status_code(self) -> int:
        return 403 if self.forbidden else 422

    def __str__(self) -> str:
        return f"{self.message} ({', '.join(self.rule_ids)})" if self.rule_ids else self.message


def refuse_all(problems) -> None:
    """Raise every refusal found by a service's checks at once, or nothing."""
    if problems:
        raise TransitionRefused.combine(problems)
