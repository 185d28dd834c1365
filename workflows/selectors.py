"""Reads of the sales domain: what the ficha page, the agent's home and the manager's console
show. Each function returns a queryset (or its rows) over an index of the model it reads;
lists are bounded and read only the names of related rows (`with_names`)."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q

from .models import (
    Agendamento,
    AgendamentoKind,
    AgentProfile,
    AuditEntry,
    Boleto,
    Ficha,
    Movimentacao,
    Override,
    Product,
    Sale,
    Triage,
    WorkflowModel,
    with_names,
)
from .roles import ATTENDANTS

# --- The ficha page ---------------------------------------------------------------------------


def ficha_for_page(pk) -> Ficha | None:
    """The ficha with who inactivated it (the page says so), or None."""
    try:  # get(), not filter().first(): no ORDER BY to build for a primary-key read
        return Ficha.objects.select_related("inactivated_by").get(pk=pk)
    except Ficha.DoesNotExist:
        return None


def ficha_boletos(ficha: Ficha):
    return Boleto.objects.filter(ficha=ficha).order_by("due_date", "pk")


def active_products():
    return Product.objects.filter(active=True)


def ficha_movimentacoes(ficha: Ficha, *, limit: int):
    """The ficha's latest movimentações, newest first (index ficha, -at)."""
    rows = with_names(Movimentacao.objects.filter(ficha=ficha), "author", "product")
    return rows.order_by("-at", "-pk")[:limit]


# S2/S9: the ficha's live agendamentos are read by every sale decision (`may_sell`) and every
# ficha page. Written in SQL, as `sections_present` is: built through the ORM (a filter,
# select_related owner → availability and product, the model's ordering) this one read cost
# ~3,200 Python calls to build and compile, five times the rest of a decision's work; as a raw
# query, ~550. The owner, the owner's availability and the product come in the same query,
# with only what the pages and rules read of them (the other fields load if asked for).
_LIVE_OWNER = ("id", "username", "first_name", "last_name")
_LIVE_PROFILE = ("id", "user_id", "status", "vacation_from", "vacation_until")
_LIVE_PRODUCT = ("id", "code", "name")


def _live_agendamentos_sql() -> str:
    def columns(alias, names):
        return ", ".join(f"{alias}.{name} AS {alias}__{name}" for name in names)

    return (
        f"SELECT a.*, {columns('o', _LIVE_OWNER)}, {columns('p', _LIVE_PROFILE)}, "
        f"{columns('pr', _LIVE_PRODUCT)}"
        f" FROM {Agendamento._meta.db_table} a"
        f" JOIN {get_user_model()._meta.db_table} o ON o.id = a.owner_id"
        f" LEFT JOIN {AgentProfile._meta.db_table} p ON p.user_id = a.owner_id"
        f" JOIN {Product._meta.db_table} pr ON pr.id = a.product_id"
        f" WHERE a.ficha_id = %s AND a.state IN ({', '.join(['%s'] * len(Agendamento.LIVE))})"
        " ORDER BY a.due_date, a.id"  # Agendamento.Meta.ordering
    )


LIVE_AGENDAMENTOS_SQL = _live_agendamentos_sql()


def _related(model, row, alias: str, names):
    """The `model` instance in `row`'s columns `<alias>__<name>`, each value read by its field;
    the model's other fields are deferred."""
    values = [
        model._meta.get_field(name).to_python(getattr(row, f"{alias}__{name}")) for name in names
    ]
    return model.from_db(row._state.db, list(names), values)


def live_agendamentos(ficha: Ficha) -> list[Agendamento]:
    """The ficha's live agendamentos, earliest deadline first, with what the ficha page and the
    S9 check read: the owner's name and availability, the product's name."""
    rows = Agendamento.objects.raw(LIVE_AGENDAMENTOS_SQL, [ficha.pk, *Agendamento.LIVE])
    live = list(rows)
    for ag in live:
        ag.ficha = ficha  # as the ficha's related manager would
        ag.owner = _related(get_user_model(), ag, "o", _LIVE_OWNER)
        ag.product = _related(Product, ag, "pr", _LIVE_PRODUCT)
        if ag.p__id is None:
            # No availability saved: what `availability` reads for a missing one (available),
            # without asking the database again. Never saved from here.
            ag.owner.agent_profile = AgentProfile(user=ag.owner)
        else:
            ag.owner.agent_profile = _related(AgentProfile, ag, "p", _LIVE_PROFILE)
    return live


def sections_present(sections: dict[str, str], pk) -> set[str]:
    """The names of the `sections` that have rows for the object `pk`, in one query.

    `sections` maps each name to a SQL query of its rows with `%s` where the pk goes (as often
    as it needs). Written in SQL, as a page's hot query may be: the same test built through the
    ORM (a UNION of each section's queryset) cost a third of the ficha page's Python work, for
    a query that runs in ~0.1 ms on the foreign keys' indexes."""
    names = list(sections)
    sql = " UNION ALL ".join(
        f"SELECT {i} WHERE EXISTS ({sections[name]})" for i, name in enumerate(names)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk] * sql.count("%s"))
        return {names[i] for (i,) in cursor.fetchall()}


# --- The agent's home -------------------------------------------------------------------------


def live_agendamentos_owned_by(user, *, limit: int):
    """The agent's live agendamentos, earliest deadline first (index owner, state)."""
    live = Agendamento.objects.filter(owner=user, state__in=Agendamento.LIVE)
    return with_names(live, "ficha", "product", "owner").order_by("due_date", "pk")[:limit]


def live_agendamentos_owned_by_count(user) -> int:
    return Agendamento.objects.filter(owner=user, state__in=Agendamento.LIVE).count()


def expired_agendamentos_owned_by(user, since: dt.date):
    expired = Agendamento.objects.filter(
        owner=user, state=Agendamento.State.EXPIRED, due_date__gte=since
    )
    return with_names(expired, "ficha", "product")


# S8: clients waiting for any seller (offered to the whole team or passed to the comercial).
TEAM_QUEUE_STATES = (Triage.State.OFFERED_TO_TEAM, Triage.State.TO_COMERCIAL)


def offers_for(user, *, team: bool) -> tuple[list[Triage], list[Triage]]:
    """S8: the clients offered to `user` as the agendamento's owner and, with `team`, the team
    queue (waiting_for_seller), read in one query; each list the longest wait first."""
    wanted = Q(state=Triage.State.OFFERED_TO_OWNER, offered_to=user)
    if team:
        wanted |= Q(state__in=TEAM_QUEUE_STATES)
    rows = with_names(Triage.objects.filter(wanted), "ficha", "product", "started_by")
    mine, queue = [], []
    for triage in rows.order_by("started_at", "pk"):
        (mine if triage.state == Triage.State.OFFERED_TO_OWNER else queue).append(triage)
    return mine, queue


def waiting_for_seller():
    """S8: the team queue, the longest wait first (the manager's console lists it)."""
    return with_names(
        Triage.objects.filter(state__in=TEAM_QUEUE_STATES), "ficha", "product", "started_by"
    ).order_by("started_at", "pk")


def recent_audit(*, limit: int = 10):
    return AuditEntry.objects.select_related("actor", "content_type").order_by("-at", "-pk")[:limit]


# --- The manager's console --------------------------------------------------------------------


def commissions_to_settle():
    return with_names(Sale.objects.filter(state=Sale.State.TO_SETTLE), "ficha", "product", "seller")


def expired_since(day: dt.date):
    """Agendamentos that expired since `day`, latest first (index state, due_date, id)."""
    return with_names(
        Agendamento.objects.filter(state=Agendamento.State.EXPIRED, due_date__gte=day),
        "ficha",
        "product",
        "owner",
    ).order_by("-due_date", "-pk")


def recent_overrides():
    return (
        with_names(Override.objects.all(), "manager")
        .select_related("content_type")
        .order_by("-at", "-pk")
    )


def awaiting_validation(*, limit: int):
    """S2: live agendamentos set too far out, for the manager to validate (the partial index
    agendamento_to_validate); the caller leaves out the ones that already reserve a sale."""
    return with_names(
        Agendamento.objects.filter(
            state__in=Agendamento.LIVE,
            kind=AgendamentoKind.SALE_WITH_CONTACT,
            awaiting_validation=True,
        ),
        "ficha",
        "product",
        "owner",
    )[:limit]


def attendants():
    """The attendants, each with their S9 profile."""
    return (
        get_user_model()
        .objects.filter(groups__name__in=ATTENDANTS)
        .distinct()
        .select_related("agent_profile")
        .order_by("first_name", "username")
    )


# --- History -----------------------------------------------------------------------------


def describe(entry: AuditEntry, machine_cls=None) -> dict:
    """One transition in the users' words: "Inativar manualmente: Ativo → Inativado
    manualmente", who (a person, or the system), when, rules and reason."""
    if machine_cls is None:
        machine_cls = entry.content_type.model_class().machine_class()
    return {
        "at": entry.at,
        "who": entry.actor,
        "audit": entry,
        "label": machine_cls.event_label(entry.event),
        "from_label": machine_cls.state_label(entry.from_state),
        "to_label": machine_cls.state_label(entry.to_state),
    }


def audit_rows(obj: WorkflowModel) -> list[dict]:
    """The record's transitions, oldest first, described (`describe`)."""
    machine_cls = obj.machine_class()
    entries = AuditEntry.for_object(obj).select_related("actor")
    return [describe(entry, machine_cls) for entry in entries]
