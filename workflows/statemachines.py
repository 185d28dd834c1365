"""The sales flows, as the models name them (`state_machine_name =
"workflows.statemachines.AgendamentoFlow"`) and python-statemachine discovers them: the ficha's
status (S5, S6, G7), agendamento deadlines (S2, G2, M1), commission settlement (S8, S9, M1), the
holder's data change (S1), the receptive triage (S8) and the orçamento (G8). Each machine is
declared in its own module under workflows.flows; each declares, per event, who may fire it,
the rules it enforces and its guards (see workflows.engine)."""

from .flows.agendamento import (
    MAX_DAYS_OUT,
    MAX_WITH_CONTACT_BUSINESS_DAYS,
    RENEWAL_BUSINESS_DAYS,
    AgendamentoFlow,
)
from .flows.ficha import DataChangeFlow, FichaFlow
from .flows.orcamento import OrcamentoFlow
from .flows.selling import CommissionFlow, TriageFlow

MACHINES = (FichaFlow, AgendamentoFlow, CommissionFlow, DataChangeFlow, TriageFlow, OrcamentoFlow)

__all__ = [
    "MACHINES",
    "MAX_DAYS_OUT",
    "MAX_WITH_CONTACT_BUSINESS_DAYS",
    "RENEWAL_BUSINESS_DAYS",
    "AgendamentoFlow",
    "CommissionFlow",
    "DataChangeFlow",
    "FichaFlow",
    "OrcamentoFlow",
    "TriageFlow",
]
