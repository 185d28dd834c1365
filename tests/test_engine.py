"""The workflow engine: one transition service for every flow."""

import contextlib
import importlib
import threading

import pytest
from django.db import connection

from tests.flowapp.models import Errand
from workflows.engine import Workflow, actions_for, transition
from workflows.models import AuditEntry
from workflows.refusals import Decision, TransitionRefused
from workflows.roles import AGENT, MANAGER


@pytest.fixture
def errand(db):
    return Errand.objects.create()


def test_transition_moves_state_saves_and_writes_audit_row(errand, make_user, clock):
    agent = make_user(AGENT)
    transition(errand, "start", actor=agent, reason="cliente pediu", size=3)

    errand.refresh_from_db()
    assert (errand.state, errand.size, errand.version) == ("started", 3, 1)
    entry = AuditEntry.for_object(errand).get()
    assert (entry.actor, entry.event, entry.from_state, entry.to_state) == (
        agent,
        "start",
        "open",
        "started",
    )
    assert entry.reason == "cliente pediu"
    assert entry.rule_ids == ["S2"]
    assert entry.at == clock.now()


def test_refused_validator_changes_nothing_and_names_its_rule(errand, make_user):
    with pytest.raises(TransitionRefused) as refused:
        transition(errand, "start", actor=make_user(AGENT), size=9)

    assert refused.value.rule_ids == ("S2",)
    assert "Tamanho acima" in refused.value.message
    errand.refresh_from_db()
    assert (errand.state, errand.size, errand.version) == ("open", 0, 0)
    assert not AuditEntry.for_object(errand).exists()


def test_failed_condition_becomes_pt_br_refusal_with_rule(errand, make_user):
    Errand.objects.filter(pk=errand.pk).update(ready=False)
    with pytest.raises(TransitionRefused) as refused:
        transition(errand, "start", actor=make_user(AGENT), size=1)
    assert refused.value.rule_ids == ("S2",)
    assert refused.value.message == "A tarefa não está pronta."  # the guard's own refusal
    assert Errand.objects.get(pk=errand.pk).state == "open"


def test_event_not_available_in_current_state_is_refused(errand, make_user):
    with pytest.raises(TransitionRefused, match="“Concluir” quando está “Aberta”"):
        transition(errand, "finish", actor=make_user(MANAGER), reason="encerrando a tarefa")


def test_wrong_role_is_refused_on_the_server(errand, make_user):
    seller_only = make_user("seller")
    with pytest.raises(TransitionRefused, match="Seu perfil não permite"):
        transition(errand, "start", actor=seller_only, size=1)
    assert Errand.objects.get(pk=errand.pk).state == "open"


def test_event_without_declared_roles_is_system_only(errand, make_user):
    with pytest.raises(TransitionRefused):
        transition(errand, "expire", actor=make_user(MANAGER))
    transition(errand, "expire", actor=None)
    assert Errand.objects.get(pk=errand.pk).state == "expired"
    assert AuditEntry.for_object(errand).get().actor is None


def test_M1_reason_required_event_refuses_placeholder(errand, make_user):
    transition(errand, "start", actor=make_user(AGENT), size=1)
    manager = make_user(MANAGER)
    for placeholder in ["", "   ", "...", "[...]", "…"]:
        with pytest.raises(TransitionRefused) as refused:
            transition(errand, "finish", actor=manager, reason=placeholder)
        assert refused.value.rule_ids == ("M1",)
    assert Errand.objects.get(pk=errand.pk).state == "started"
    transition(errand, "finish", actor=manager, reason="cliente confirmou por telefone")
    assert Errand.objects.get(pk=errand.pk).state == "done"


def test_actions_for_respect_state_role_and_guards(errand, make_user):
    agent = make_user(AGENT)
    actions = actions_for(errand, agent)
    assert list(actions) == ["start"] and actions.may("start")
    assert actions_for(errand, make_user(MANAGER)) == {}  # finish is not from "open"
    Errand.objects.filter(pk=errand.pk).update(ready=False)
    errand.refresh_from_db()
    refused = actions_for(errand, agent)["start"]
    assert not refused.allowed
    assert (refused.decision.reason, refused.decision.rule_ids) == (
        "A tarefa não está pronta.",
        ("S2",),
    )


def test_decision_explains_itself():
    decision = Decision.refuse("Cliente reservado por outro vendedor.", "S2", "S8")
    assert not decision
    assert decision.rules_label == "S2, S8"
    assert bool(Decision.allow("Livre para vender.", "S3"))
    assert TransitionRefused.from_decision(decision).rule_ids == ("S2", "S8")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_transitions_on_one_row_exactly_one_wins(make_user):
    errand = Errand.objects.create()
    agents = [make_user(AGENT), make_user(AGENT)]
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(agent):
        try:
            barrier.wait()
            transition(Errand.objects.get(pk=errand.pk), "start", actor=agent, size=2)
            outcomes.append("won")
        except TransitionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["refused", "won"]
    errand.refresh_from_db()
    assert (errand.state, errand.version) == ("started", 1)
    assert AuditEntry.for_object(errand).count() == 1


def all_machines():
    import workflows.statemachines as sales

    modules = [sales]
    for name in ("tickets.statemachines", "onboarding.statemachines"):
        with contextlib.suppress(ImportError):  # apps without flows yet
            modules.append(importlib.import_module(name))
    return [
        cls
        for module in modules
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, Workflow)
        # declared there, or one of the machines it gathers from its flow modules
        and (cls.__module__ == module.__name__ or cls in getattr(module, "MACHINES", ()))
    ]


@pytest.mark.parametrize("machine", all_machines(), ids=lambda m: m.__name__)
def test_every_machine_event_is_labelled_in_pt_br_and_clashes_with_no_engine_method(machine):
    from statemachine import StateMachine

    api = set(dir(StateMachine))
    events = [e.id for e in machine.events]
    assert [e for e in events if e in api] == []
    assert [e for e in events if e not in machine.actions] == []
    for action in machine.actions.values():
        assert action.label[0].isupper()  # a pt-BR label, as the button shows it


def test_a_misspelt_event_or_guard_fails_when_the_class_is_created():
    from statemachine.exceptions import InvalidDefinition
    from statemachine.states import States

    from workflows.engine import Action, guard

    with pytest.raises(InvalidDefinition, match="'strat'"):

        class Misspelt(Workflow):
            s = States.from_enum(Errand.State, initial=Errand.State.OPEN, use_enum_instance=False)
            start = s.OPEN.to(s.STARTED)
            actions = {"strat": Action("Iniciar")}

    with pytest.raises(InvalidDefinition, match="is_redy"):

        class WrongGuard(Workflow):
            s = States.from_enum(Errand.State, initial=Errand.State.OPEN, use_enum_instance=False)
            start = s.OPEN.to(s.STARTED)
            actions = {"start": Action("Iniciar", guards=("is_redy",))}

            @guard("Não está pronta.", "S2")
            def is_ready(self):
                return True

    with pytest.raises(InvalidDefinition, match="without an Action"):

        class Undeclared(Workflow):
            s = States.from_enum(
                Errand.State,
                initial=Errand.State.OPEN,
                final=[Errand.State.DONE, Errand.State.EXPIRED],
                use_enum_instance=False,
            )
            start = s.OPEN.to(s.STARTED)
            finish = s.STARTED.to(s.DONE)
            expire = s.OPEN.to(s.EXPIRED)
            actions = {"start": Action("Iniciar"), "finish": Action("Concluir")}


def test_every_models_state_choices_are_its_machines_states():
    from workflows.diagrams import flow_models

    models = flow_models(("workflows", "tickets", "onboarding", "flowapp"))
    assert len(models) >= 12
    for model in models:
        field = model._meta.get_field(model.state_field_name)
        machine = model.machine_class()
        assert {v for v, _ in field.choices} == {s.value for s in machine.states}, model
        assert field.default == next(s.value for s in machine.states if s.initial), model


def test_asking_what_a_user_may_do_builds_no_state_machine(errand, make_user):
    """Pages ask for every row they list; a machine costs ~1 ms to build, a guard microseconds."""
    actions_for(errand, make_user(AGENT))
    assert "machine" not in errand.__dict__  # the model's cached machine was never built
