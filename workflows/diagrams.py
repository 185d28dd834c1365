"""Every flow drawn: python-statemachine's DOT export, with each transition labelled by its
pt-BR event, guards and rule IDs, rendered to SVG by Graphviz on the server."""

import importlib
from functools import lru_cache

import pydot
from django.apps import apps
from statemachine.contrib.diagram import DotGraphMachine, GraphvizError, run_graphviz

from .engine import Workflow


def project_machines() -> list[type[Workflow]]:
    """The machines of every project app's statemachines.py."""
    machines = []
    for app in ("workflows", "tickets", "onboarding"):
        if not apps.is_installed(app):
            continue
        try:
            module = importlib.import_module(f"{app}.statemachines")
        except ModuleNotFoundError:
            continue
        machines += [
            cls
            for cls in vars(module).values()
            if isinstance(cls, type)
            and issubclass(cls, Workflow)
            and cls.__module__ == module.__name__
        ]
    return machines


def transitions(machine: type[Workflow]) -> list[dict]:
    rows = []
    for state in machine.states:
        for t in state.transitions:
            rows.append(
                {
                    "event": t.event,
                    "label": machine.event_label(t.event),
                    "source": state.name,
                    "target": t.target.name,
                    "guards": [str(g) for g in (*t.cond, *t.validators)],
                    "roles": sorted(machine.event_roles.get(t.event, ())) or ["sistema"],
                    "rules": list(machine.event_rules.get(t.event, ())),
                }
            )
    return rows


def dot_source(machine: type[Workflow]) -> str:
    graph = DotGraphMachine(machine).get_graph()
    graph.set_label('""')  # the page titles each diagram
    for edge in graph.get_edges():
        if not edge.get_source().startswith("__initial"):
            graph.del_edge(edge.get_source(), edge.get_destination())
    for state in machine.states:
        for t in state.transitions:
            guards = [str(g) for g in (*t.cond, *t.validators)]
            label = machine.event_label(t.event)
            if guards:
                label += f"\\n[{', '.join(guards)}]"
            rules = machine.event_rules.get(t.event, ())
            if rules:
                label += f"\\n{', '.join(rules)}"
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
