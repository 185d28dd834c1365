"""Every flow drawn for the Fluxos page: states with their pt-BR labels, each transition with
its action, who may fire it, its conditions and rule IDs, all read from the machines'
declarations; rendered to SVG by Graphviz on the server."""

from functools import lru_cache

import pydot
from django.apps import apps
from statemachine.contrib.diagram import GraphvizError, run_graphviz

from .engine import Workflow
from .models import WorkflowModel
from .roles import LABELS

PROJECT_APPS = ("workflows", "tickets", "onboarding")


def flow_models(app_labels=PROJECT_APPS) -> list[type[WorkflowModel]]:
    """Every model driven by a machine, in app order."""
    return [
        m
        for m in apps.get_models()
        if issubclass(m, WorkflowModel) and m._meta.app_label in app_labels
    ]


def condition_text(machine: type[Workflow], guard_name: str) -> str:
    """A guard in the users' words (its `condition`, by default its refusal)."""
    return getattr(machine, guard_name).refusal.condition


def transitions(machine: type[Workflow]) -> list[dict]:
    rows = []
    for state in machine.states:
        for t in state.transitions:
            action = machine.actions[t.event]
            rows.append(
                {
                    "event": t.event,
                    "label": action.label,
                    "source": machine.state_label(state.value),
                    "target": machine.state_label(t.target.value),
                    "guards": [condition_text(machine, g) for g in action.guards],
                    "roles": sorted(LABELS[r] for r in action.roles) or ["Sistema (automático)"],
                    "rules": list(action.rules),
                    "reason": action.reason,
                }
            )
    return rows


def dot_source(machine: type[Workflow]) -> str:
    graph = pydot.Dot(graph_type="digraph", rankdir="LR", fontname="sans-serif")
    graph.set_node_defaults(shape="box", style="rounded", fontname="sans-serif", fontsize="11")
    graph.set_edge_defaults(fontname="sans-serif", fontsize="9")
    graph.add_node(pydot.Node("start", shape="point", label='""'))
    for state in machine.states:
        label = machine.state_label(state.value).replace('"', "'")
        shape = "doubleoctagon" if state.final else "box"
        graph.add_node(pydot.Node(state.id, label=f'"{label}"', shape=shape))
        if state.initial:
            graph.add_edge(pydot.Edge("start", state.id))
    for state in machine.states:
        for t in state.transitions:
            action = machine.actions[t.event]
            label = action.label
            if action.rules:
                label += f"\\n{', '.join(action.rules)}"
            label = label.replace('"', "'")
            graph.add_edge(pydot.Edge(state.id, t.target.id, label=f'"{label}"'))
    return graph.to_string()


@lru_cache(maxsize=32)
def machine_svg(machine: type[Workflow]) -> str:
    """SVG of one machine; empty if Graphviz is not installed (the page says so)."""
    try:
        svg = run_graphviz(dot_source(machine), "svg").decode()
    except (GraphvizError, OSError):
        return ""
    # Graphviz numbers ids from 0 in every drawing: namespace them, one page shows them all.
    return svg.replace(' id="', f' id="{machine.__name__}-')
