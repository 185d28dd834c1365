"""The CP's shared models: the workflow machinery (audit, overrides, timers), fichas, agendamentos,
movimentações, sales, triage and orçamentos. Import models from here (`workflows.models`)."""

from .agendamentos import Agendamento, AgendamentoKind
from .availability import AgentProfile
from .base import AuditEntry, CompanyHoliday, ObjectRef, Override, Timer, WorkflowModel
from .fichas import LIST_NAME_FIELDS, Boleto, Ficha, Product, with_names
from .movimentacoes import Movimentacao
from .orcamento import Orcamento, OrcamentoItem
from .rollup import IndicatorDay, IndicatorGroup
from .sales import Sale
from .third_party import DataChangeRequest
from .triage import Triage

__all__ = [
    "LIST_NAME_FIELDS",
    "AgendamentoKind",
    "Agendamento",
    "AgentProfile",
    "AuditEntry",
    "Boleto",
    "CompanyHoliday",
    "DataChangeRequest",
    "Ficha",
    "IndicatorDay",
    "IndicatorGroup",
    "Movimentacao",
    "ObjectRef",
    "Orcamento",
    "OrcamentoItem",
    "Override",
    "Product",
    "Sale",
    "Timer",
    "Triage",
    "WorkflowModel",
    "with_names",
]
