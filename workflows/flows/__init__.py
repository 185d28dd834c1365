"""The sales flows' machine declarations, one module per flow (or pair of flows that share a
record): `ficha` (the client's status and the holder's data change), `agendamento` (deadlines),
`selling` (commission and receptive triage), `orcamento` (the quote). The shared declaration
machinery (Workflow, Action, guard) lives in workflows.engine; the models name each machine by
its path in workflows.statemachines, which re-exports them all."""
