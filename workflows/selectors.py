"""Reads of the sales domain: what the ficha page, the agent's home and the manager's console
show. Each function returns a queryset, or the rows of a read written in SQL where a page
makes it on every request (workflows/raw_reads.py); each reads an index of its model; lists
are bounded and read only the names of related rows (`with_names`, `raw_reads.names_sql`)."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection

from .availability import attach_availability, availability_join
from .models import (
    Agendamento,
    AgendamentoKind,
    AuditEntry,
    Boleto,
    Ficha,
    Movimentacao,
    Override,
    Product,
    Sale,
    Triage,
    WorkflowModel,
)
from .raw_reads import (
    RawList,
    attach_names,
    list_sql,
    names_sql,
    placeholders,
    sql_params,
    with_content_types,
)
from .roles import ATTENDANTS

# --- The ficha page ---------------------------------------------------------------------------


FICHA_SQL = list_sql(Ficha, ("inactivated_by",), "t.id = %s")


def ficha_for_page(pk) -> Ficha | None:
    """The ficha with the name of who inactivated it (the page says so), or None."""
    found = attach_names(Ficha.objects.raw(FICHA_SQL, [pk]), ("inactivated_by",))
    return found[0] if found else None


BOLETOS_SQL = f"SELECT * FROM {Boleto._meta.db_table} WHERE ficha_id = %s ORDER BY due_date, id"


def ficha_boletos(ficha: Ficha) -> list[Boleto]:
    return list(Boleto.objects.raw(BOLETOS_SQL, [ficha.pk]))


ACTIVE_PRODUCTS_SQL = f"SELECT * FROM {Product._meta.db_table} WHERE active = %s ORDER BY name"


def active_products() -> list[Product]:
    return list(Product.objects.raw(ACTIVE_PRODUCTS_SQL, [True]))


MOVIMENTACOES_SQL = list_sql(
    Movimentacao, ("author", "product"), "t.ficha_id = %s", "t.at DESC, t.id DESC LIMIT %s"
)


def ficha_movimentacoes(ficha: Ficha, *, limit: int) -> list[Movimentacao]:
    """The ficha's latest movimentações, newest first (index ficha, -at), with the authors'
    and products' names."""
    rows = Movimentacao.objects.raw(MOVIMENTACOES_SQL, [ficha.pk, limit])
    return attach_names(rows, ("author", "product"))


def _live_agendamentos_sql() -> str:
    columns, joins = names_sql(Agendamento, ("owner", "product"))
    profile_columns, profile_join = availability_join("p", "t.owner_id")
    return (
        f"SELECT {columns}, {profile_columns} FROM {Agendamento._meta.db_table} t{joins}"
        f"{profile_join} WHERE t.ficha_id = %s AND t.state IN ({placeholders(Agendamento.LIVE)})"
        " ORDER BY t.due_date, t.id"  # Agendamento.Meta.ordering
    )


LIVE_AGENDAMENTOS_SQL = _live_agendamentos_sql()


def live_agendamentos(ficha: Ficha) -> list[Agendamento]:
    """S2/S9: the ficha's live agendamentos, earliest deadline first, with what the ficha page
    and the S9 check read: the owner's name and availability, the product's name."""
    rows = Agendamento.objects.raw(LIVE_AGENDAMENTOS_SQL, [ficha.pk, *Agendamento.LIVE])
    live = attach_names(rows, ("owner", "product"))
    for ag in live:
        ag.ficha = ficha  # as the ficha's related manager would
        attach_availability(ag.owner, ag, "p")
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


LIVE_OWNED_SQL = list_sql(
    Agendamento,
    ("ficha", "product"),
    f"t.owner_id = %s AND t.state IN ({placeholders(Agendamento.LIVE)})",
    "t.due_date, t.id LIMIT %s",
)
EXPIRED_OWNED_SQL = list_sql(
    Agendamento,
    ("ficha", "product"),
    "t.owner_id = %s AND t.state = %s AND t.due_date >= %s",
    "t.due_date, t.id",
)


def _owned_by(user, sql, params) -> list[Agendamento]:
    rows = attach_names(Agendamento.objects.raw(sql, [user.pk, *params]), ("ficha", "product"))
    for ag in rows:
        ag.owner = user  # the user whose agendamentos these are
    return rows


def live_agendamentos_owned_by(user, *, limit: int) -> list[Agendamento]:
    """The agent's live agendamentos, earliest deadline first (index owner, state), with the
    fichas' and products' names (written in SQL, see above)."""
    return _owned_by(user, LIVE_OWNED_SQL, [*Agendamento.LIVE, limit])


def live_agendamentos_owned_by_count(user) -> int:
    return Agendamento.objects.filter(owner=user, state__in=Agendamento.LIVE).count()


def expired_agendamentos_owned_by(user, since: dt.date) -> list[Agendamento]:
    """The agent's agendamentos expired since `since`, with the fichas' and products' names."""
    return _owned_by(user, EXPIRED_OWNED_SQL, [Agendamento.State.EXPIRED, since])


# S8: clients waiting for any seller (offered to the whole team or passed to the comercial).
TEAM_QUEUE_STATES = (Triage.State.OFFERED_TO_TEAM, Triage.State.TO_COMERCIAL)
_TRIAGE_NAMES = ("ficha", "product", "started_by")


_TEAM_QUEUE = f"t.state IN ({placeholders(TEAM_QUEUE_STATES)})"
_OFFERED = "(t.state = %s AND t.offered_to_id = %s)"
_BY_WAIT = "t.started_at, t.id"
# the clients offered to a seller, without and with the team queue
OFFERS_SQL = {
    False: list_sql(Triage, _TRIAGE_NAMES, _OFFERED, _BY_WAIT),
    True: list_sql(Triage, _TRIAGE_NAMES, f"{_OFFERED} OR {_TEAM_QUEUE}", _BY_WAIT),
}
TEAM_QUEUE_SQL = list_sql(Triage, _TRIAGE_NAMES, _TEAM_QUEUE, _BY_WAIT)


def offers_for(user, *, team: bool) -> tuple[list[Triage], list[Triage]]:
    """S8: the clients offered to `user` as the agendamento's owner and, with `team`, the team
    queue (waiting_for_seller), read in one query (written in SQL, see above); each list the
    longest wait first."""
    params = [Triage.State.OFFERED_TO_OWNER, user.pk, *(TEAM_QUEUE_STATES if team else ())]
    rows = attach_names(Triage.objects.raw(OFFERS_SQL[team], params), _TRIAGE_NAMES)
    mine, queue = [], []
    for triage in rows:
        (mine if triage.state == Triage.State.OFFERED_TO_OWNER else queue).append(triage)
    return mine, queue


def waiting_for_seller() -> RawList:
    """S8: the team queue, the longest wait first (the manager's console lists it)."""
    return RawList(Triage, TEAM_QUEUE_SQL, TEAM_QUEUE_STATES, _TRIAGE_NAMES)


def recent_audit(*, limit: int = 10):
    return AuditEntry.objects.select_related("actor", "content_type").order_by("-at", "-pk")[:limit]


# --- The manager's console --------------------------------------------------------------------


# The console's lists are written in SQL (workflows/raw_reads.py), each a RawList: the
# console shows its first rows, "ver todos" pages through it.
_SALE_NAMES = ("ficha", "product", "seller")
_AGENDAMENTO_NAMES = ("ficha", "product", "owner")


TO_SETTLE_SQL = list_sql(Sale, _SALE_NAMES, "t.state = %s", "t.at DESC, t.id DESC")
EXPIRED_SINCE_SQL = list_sql(
    Agendamento,
    _AGENDAMENTO_NAMES,
    "t.state = %s AND t.due_date >= %s",
    "t.due_date DESC, t.id DESC",
)
AWAITING_VALIDATION_SQL = list_sql(
    Agendamento,
    _AGENDAMENTO_NAMES,
    # as the partial index agendamento_to_validate says it, so SQLite reads it
    f"t.awaiting_validation AND t.state IN ({placeholders(Agendamento.LIVE)}) AND t.kind = %s",
    "t.due_date, t.id",
)
OVERRIDES_SQL = list_sql(Override, ("manager",), "", "t.at DESC, t.id DESC")


def commissions_to_settle() -> RawList:
    return RawList(Sale, TO_SETTLE_SQL, [Sale.State.TO_SETTLE], _SALE_NAMES)


def expired_since(day: dt.date) -> RawList:
    """Agendamentos that expired since `day`, latest first (index state, due_date, id)."""
    return RawList(
        Agendamento,
        EXPIRED_SINCE_SQL,
        [Agendamento.State.EXPIRED, day],
        _AGENDAMENTO_NAMES,
    )


def recent_overrides() -> RawList:
    return RawList(Override, OVERRIDES_SQL, (), ("manager",), finish=with_content_types)


def awaiting_validation(*, limit: int) -> list[Agendamento]:
    """S2: live agendamentos set too far out, for the manager to validate (the partial index
    agendamento_to_validate); the caller leaves out the ones that already reserve a sale."""
    params = [*Agendamento.LIVE, AgendamentoKind.SALE_WITH_CONTACT]
    return RawList(Agendamento, AWAITING_VALIDATION_SQL, params, _AGENDAMENTO_NAMES)[:limit]


def _team_sql() -> str:
    user = get_user_model()._meta.db_table
    profile_columns, profile_join = availability_join("p", "t.id")
    return (
        f"SELECT t.*, {profile_columns} FROM {user} t{profile_join}"
        " WHERE EXISTS (SELECT 1 FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id"
        f" WHERE ug.user_id = t.id AND g.name IN ({placeholders(ATTENDANTS)}))"
        " ORDER BY t.first_name, t.username"
    )


TEAM_SQL = _team_sql()


def team_with_availability() -> list:
    """S9: the attendants (`attendants`), each with their availability, for the console (in
    SQL, see raw_reads)."""
    team = list(get_user_model()._default_manager.raw(TEAM_SQL, list(ATTENDANTS)))
    for member in team:
        attach_availability(member, member, "p")
    return team


SALES_TOTAL_SQL = f"SELECT SUM(total) FROM {Sale._meta.db_table} WHERE at >= %s AND at < %s"


def sales_total_between(start: dt.datetime, end: dt.datetime) -> Decimal | None:
    """The sum of the sales made in [start, end), None without any (in SQL, see raw_reads)."""
    with connection.cursor() as cursor:
        cursor.execute(SALES_TOTAL_SQL, sql_params([start, end]))
        (total,) = cursor.fetchone()
    if total is None:
        return None
    return Sale._meta.get_field("total").to_python(total).quantize(Decimal("0.01"))


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
