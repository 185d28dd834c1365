"""Medição of the support desk (issue 19, T1, T6, T7, T8): tickets opened and concluded,
first response and resolution times, SLA compliance per policy, breaches, reopenings, the
tickets sent to GitHub and the daily routine.

Reading (the issue is silent):
- Tickets are counted by the moment they were opened (opened, first response) or concluded
  (concluded, resolution, compliance, GitHub), as each figure says.
- Times are shown twice: in business hours (horas úteis), the SLA clock's own minutes stamped
  on the ticket when the first response and the conclusion happened (tickets.business_time),
  overall and per SLA policy beside its targets; and elapsed (tempo corrido). Both run from
  the opening. Compliance is read from the breaches the SLA clock recorded (T6): a concluded
  ticket complied when it never breached.
- A reopening is a concluded ticket opened again (event `reopen` or development reopened
  after conclusion) in the period.
- The routine (T8) counts the items ticked per person and day.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Exists,
    OuterRef,
    Q,
)
from django.urls import reverse

from workflows import indicators as ind
from workflows.indicators_sales import name_of, person, user_group
from workflows.models import AuditEntry
from workflows.roles import SUPPORT_ALL

from .indicators_backlog import BACKLOG
from .models import RoutineCheck, RoutineItem, Ticket, TicketAlert

DONE = Ticket.State.DONE
MERGED = Ticket.State.MERGED


def ticket_url(ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])


def _tickets():
    breaches = TicketAlert.objects.filter(ticket=OuterRef("pk"), kind=TicketAlert.Kind.BREACH)
    return Ticket.objects.annotate(
        breached=Exists(breaches),
        to_response=ind.elapsed_seconds("created_at", "first_response_at"),
        to_resolution=ind.elapsed_seconds("created_at", "resolved_at"),
    )


def business_hours(minutes: int) -> str:
    """A target in business time: "2 h úteis", "1 h 30 min úteis", "45 min úteis"."""
    hours, mins = divmod(int(minutes), 60)
    if not hours:
        return f"{mins} min úteis"
    return f"{hours} h úteis" if not mins else f"{hours} h {mins:02d} min úteis"


TICKET_COLUMNS = (
    ind.Column("Chamado", lambda t: t.tag),
    ind.Column("Assunto", lambda t: t.subject),
    ind.Column("Canal", lambda t: t.get_channel_display()),
    ind.Column("SLA", lambda t: t.sla_policy.name),
    ind.Column("Aberto em", lambda t: t.created_at, "datetime"),
    ind.Column("Primeira resposta em", lambda t: t.first_response_at, "datetime"),
    ind.Column("Responsável", lambda t: name_of(t.assignee)),
    ind.Column("Situação", lambda t: t.get_state_display()),
    ind.Column("Concluído em", lambda t: t.resolved_at, "datetime"),
    ind.Column("Estourou o SLA", lambda t: "sim" if t.breached else "não"),
    ind.Column("Issue no GitHub", lambda t: t.github_issue_url),
)
RELATED = ("assignee", "sla_policy")

TICKETS_OPENED = ind.Source(
    "chamados-abertos",
    # A merged ticket was the same problem as the one kept (T4): only the kept one counts.
    lambda: _tickets().exclude(state=MERGED),
    "created_at",
    "assignee",
    TICKET_COLUMNS,
    link=ticket_url,
    list_related=RELATED,
    channel="channel",
    settled_states=(DONE, MERGED),  # a reopened ticket's days are forgotten (the engine)
)
TICKETS_DONE = ind.Source(
    "chamados-concluidos",
    lambda: _tickets().filter(state=DONE),
    "resolved_at",
    "assignee",
    TICKET_COLUMNS,
    link=ticket_url,
    list_related=RELATED,
    channel="channel",
    settled_states=(DONE,),
)
BREACHES = ind.Source(
    "estouros-sla",
    TicketAlert.objects.filter(kind=TicketAlert.Kind.BREACH).all,
    "at",
    "ticket__assignee",
    (
        ind.Column("Quando", lambda a: a.at, "datetime"),
        ind.Column("Chamado", lambda a: a.ticket.tag),
        ind.Column("Assunto", lambda a: a.ticket.subject),
        ind.Column("Prazo estourado", lambda a: a.get_target_display()),
        ind.Column("Responsável", lambda a: name_of(a.ticket.assignee)),
    ),
    link=lambda a: reverse("tickets:detail", args=[a.ticket_id]),
    list_related=("ticket", "ticket__assignee"),
    channel="ticket__channel",
)


REOPENINGS = ind.Source(
    "chamados-reabertos",
    lambda: AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket), from_state=DONE
    ).exclude(to_state=DONE),
    "at",
    "actor",
    (
        ind.Column("Quando", lambda e: e.at, "datetime"),
        ind.Column("Chamado", lambda e: f"#{e.object_id}"),
        ind.Column("Quem reabriu", lambda e: name_of(e.actor) if e.actor_id else "sistema"),
        ind.Column("Motivo", lambda e: e.reason),
    ),
    link=lambda e: reverse("tickets:detail", args=[int(e.object_id)]),
    list_related=("actor",),
)
ROUTINE = ind.Source(
    "rotina",
    RoutineCheck.objects.all,
    "day",
    "user",
    (
        ind.Column("Dia", lambda c: c.day, "date"),
        ind.Column("Pessoa", lambda c: name_of(c.user)),
        ind.Column("Item", lambda c: c.get_item_display()),
        ind.Column("Feito às", lambda c: c.done_at, "datetime"),
        ind.Column("Pendências na hora", lambda c: c.count_at_check, "int"),
    ),
    link=lambda c: reverse("tickets:routine"),
    list_related=("user",),
    dated=True,
)

T_OPENED = ind.Figure("chamados", "Chamados abertos", TICKETS_OPENED, better=0)
T_ANSWERED = ind.Figure(
    "chamados-respondidos",
    "Com primeira resposta",
    TICKETS_OPENED,
    Q(first_response_at__isnull=False),
)
T_RESPONSE_TIME = ind.Figure(
    "chamados-tempo-resposta",
    "Tempo até a primeira resposta (soma)",
    TICKETS_OPENED,
    Q(first_response_at__isnull=False),
    total="to_response",
    unit=ind.SECOND,
    better=-1,
    drill=False,
)
T_ANSWERED_BUSINESS = ind.Figure(
    "chamados-respondidos-util",
    "Com primeira resposta medida em horas úteis",
    TICKETS_OPENED,
    Q(response_business_minutes__isnull=False),
)
T_RESPONSE_BUSINESS = ind.Figure(
    "chamados-tempo-resposta-util",
    "Tempo útil até a primeira resposta (soma)",
    TICKETS_OPENED,
    Q(response_business_minutes__isnull=False),
    total="response_business_minutes",
    unit=ind.MINUTE,
    better=-1,
    drill=False,
)
T_DONE = ind.Figure("chamados-concluidos", "Chamados concluídos", TICKETS_DONE)
T_DONE_BUSINESS = ind.Figure(
    "chamados-concluidos-util",
    "Concluídos com a conclusão medida em horas úteis",
    TICKETS_DONE,
    Q(resolution_business_minutes__isnull=False),
)
T_RESOLUTION_BUSINESS = ind.Figure(
    "chamados-tempo-resolucao-util",
    "Tempo útil até a conclusão (soma)",
    TICKETS_DONE,
    Q(resolution_business_minutes__isnull=False),
    total="resolution_business_minutes",
    unit=ind.MINUTE,
    better=-1,
    drill=False,
)
T_COMPLIED = ind.Figure(
    "chamados-no-prazo", "Concluídos sem estourar o SLA", TICKETS_DONE, Q(breached=False)
)
T_RESOLUTION_TIME = ind.Figure(
    "chamados-tempo-resolucao",
    "Tempo até a conclusão (soma)",
    TICKETS_DONE,
    total="to_resolution",
    unit=ind.SECOND,
    better=-1,
    drill=False,
)
T_GITHUB = ind.Figure(
    "chamados-github",
    "Concluídos que foram ao GitHub (T7)",
    TICKETS_DONE,
    Q(github_issue_number__isnull=False),
    better=0,
)
T_GITHUB_TIME = ind.Figure(
    "chamados-github-tempo",
    "Tempo dos chamados do GitHub (soma)",
    TICKETS_DONE,
    Q(github_issue_number__isnull=False),
    total="to_resolution",
    unit=ind.SECOND,
    better=-1,
    drill=False,
)
T_BREACHES = ind.Figure("estouros-sla", "Estouros de SLA", BREACHES, better=-1)
T_BREACH_RESPONSE = ind.Figure(
    "estouros-sla-retorno",
    "Estouros do retorno ao cliente",
    BREACHES,
    Q(target=TicketAlert.Target.RESPONSE),
    better=-1,
)
T_BREACH_RESOLUTION = ind.Figure(
    "estouros-sla-resolucao",
    "Estouros da resolução",
    BREACHES,
    Q(target=TicketAlert.Target.RESOLUTION),
    better=-1,
)
T_REOPENED = ind.Figure("chamados-reabertos", "Reabertos", REOPENINGS, better=-1)
ROUTINE_DONE = ind.Figure("rotina", "Itens da rotina feitos (T8)", ROUTINE, better=0)

COMPLIANCE = ind.Ratio("chamados-cumprimento-sla", "Cumprimento do SLA", T_COMPLIED.key, T_DONE.key)
# T6: the means in business hours, the clock the SLA targets are set in.
MEAN_RESPONSE_BUSINESS = ind.Ratio(
    "chamados-resposta-media-util",
    "Tempo médio até a primeira resposta (horas úteis)",
    T_RESPONSE_BUSINESS.key,
    T_ANSWERED_BUSINESS.key,
    better=-1,
    mean=True,
)
MEAN_RESOLUTION_BUSINESS = ind.Ratio(
    "chamados-resolucao-media-util",
    "Tempo médio até a conclusão (horas úteis)",
    T_RESOLUTION_BUSINESS.key,
    T_DONE_BUSINESS.key,
    better=-1,
    mean=True,
)
MEAN_RESPONSE = ind.Ratio(
    "chamados-resposta-media",
    "Tempo médio até a primeira resposta (tempo corrido)",
    T_RESPONSE_TIME.key,
    T_ANSWERED.key,
    better=-1,
    mean=True,
)
MEAN_RESOLUTION = ind.Ratio(
    "chamados-resolucao-media",
    "Tempo médio até a conclusão (tempo corrido)",
    T_RESOLUTION_TIME.key,
    T_DONE.key,
    better=-1,
    mean=True,
)
MEAN_GITHUB = ind.Ratio(
    "chamados-github-media",
    "Tempo médio dos chamados do GitHub",
    T_GITHUB_TIME.key,
    T_GITHUB.key,
    better=-1,
    mean=True,
)
REOPEN_RATE = ind.Ratio(
    "chamados-reabertura", "Reabertos / concluídos", T_REOPENED.key, T_DONE.key, better=-1
)

ITEMS = dict(RoutineItem.choices)

SUPPORT_SECTION = ind.Section(
    slug="suporte",
    title="Suporte",
    roles=SUPPORT_ALL,
    series=BACKLOG,
    note=(
        "Chamados abertos e concluídos no período; tempos desde a abertura, em horas úteis "
        "(o relógio do SLA: expediente da política e calendário da empresa) e em tempo "
        "corrido; o cumprimento do SLA vem dos estouros que o relógio do SLA registrou. "
        "Chamados não têm produto: o filtro de produto não se aplica a eles."
    ),
    tiles=(
        T_OPENED,
        T_DONE,
        MEAN_RESPONSE_BUSINESS,
        MEAN_RESOLUTION_BUSINESS,
        MEAN_RESPONSE,
        MEAN_RESOLUTION,
        COMPLIANCE,
        T_BREACHES,
        T_BREACH_RESPONSE,
        T_BREACH_RESOLUTION,
        T_REOPENED,
        REOPEN_RATE,
        T_GITHUB,
        MEAN_GITHUB,
        ROUTINE_DONE,
    ),
    figures=(
        T_ANSWERED,
        T_RESPONSE_TIME,
        T_COMPLIED,
        T_RESOLUTION_TIME,
        T_GITHUB_TIME,
        T_ANSWERED_BUSINESS,
        T_RESPONSE_BUSINESS,
        T_DONE_BUSINESS,
        T_RESOLUTION_BUSINESS,
    ),
    breakdowns=(
        ind.Breakdown(
            "chamados-resposta-por-sla",
            "Primeira resposta por SLA",
            ("sla_policy", "sla_policy__name", "sla_policy__first_response_minutes"),
            lambda v: (
                f"{v['sla_policy__name']} (meta: "
                f"{business_hours(v['sla_policy__first_response_minutes'])})"
            ),
            (T_OPENED, T_ANSWERED, MEAN_RESPONSE_BUSINESS, MEAN_RESPONSE),
        ),
        ind.Breakdown(
            "chamados-por-sla",
            "Concluídos por SLA",
            ("sla_policy", "sla_policy__name", "sla_policy__resolution_minutes"),
            lambda v: (
                f"{v['sla_policy__name']} (meta: "
                f"{business_hours(v['sla_policy__resolution_minutes'])})"
            ),
            (T_DONE, T_COMPLIED, COMPLIANCE, MEAN_RESOLUTION_BUSINESS, MEAN_RESOLUTION),
        ),
        ind.Breakdown(
            "chamados-por-responsavel",
            "Chamados concluídos por responsável",
            user_group("assignee"),
            lambda v: person(v, "assignee"),
            (T_DONE, COMPLIANCE, MEAN_RESOLUTION),
            link="membro",
            team_only=True,
        ),
        ind.Breakdown(
            "rotina-por-item",
            "Rotina por item",
            ("item",),
            lambda v: ITEMS.get(v["item"], str(v["item"])),
            (ROUTINE_DONE,),
        ),
        ind.Breakdown(
            "rotina-por-pessoa",
            "Rotina por pessoa",
            user_group("user"),
            lambda v: person(v, "user"),
            (ROUTINE_DONE,),
            link="membro",
            team_only=True,
        ),
    ),
)
