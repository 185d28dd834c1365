"""Reads written in SQL, run through `Model.objects.raw` (public, documented API).

The hottest reads (every sale decision, every page's signed-in user, the agent's home, the
ficha page, the support routine's counts) are written in SQL: building and compiling a
queryset with select_related costs ~1,500-3,000 Python calls, more than the rest of a
decision's work (`selectors.live_agendamentos` built through the ORM: 3,230 calls a decision;
raw: ~600). Related rows come in the same query with only what the pages and rules read of
them (`names_sql`, `attach_names`: the names `with_names` reads); their other fields load if
asked for. Each such read has a test that holds it to the queryset it stands for
(tests/test_query_counts.py, tests/test_capped_counts.py)."""

import datetime as dt
import functools

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import DateField, DateTimeField

from .models import LIST_NAME_FIELDS


def columns_as(alias: str, names) -> str:
    """The columns `names` of the table `alias`, named `<alias>__<name>` (`related_from`)."""
    return ", ".join(f"{alias}.{name} AS {alias}__{name}" for name in names)


def related_from(model, row, alias: str, names):
    """The `model` instance in the columns `columns_as(alias, names)` of a raw query's `row`,
    each value read by its field; the model's other fields are deferred."""
    fields = _in_model_order(model, tuple(names))
    values = [field.to_python(getattr(row, f"{alias}__{field.attname}")) for field in fields]
    return model.from_db(row._state.db, [field.attname for field in fields], values)


@functools.cache
def _in_model_order(model, names: tuple) -> list:
    """The fields `names` of `model` in the order of its columns, as `from_db` takes values."""
    return [f for f in model._meta.get_fields() if f.concrete and f.attname in names]


def names_sql(model, relations, alias: str = "t") -> tuple[str, str]:
    """`with_names` for a query written in SQL over `model` (as `alias`): the columns that read
    the related rows' names (`_read_of`) and their LEFT JOINs; `attach_names` puts the
    related rows where the ORM would."""
    columns, joins = [f"{alias}.*"], []
    for relation in relations:
        field = model._meta.get_field(relation)
        related = field.related_model._meta
        table = f"{alias}_{relation}"
        columns.append(columns_as(table, _read_of(field.related_model)))
        joins.append(
            f" LEFT JOIN {related.db_table} {table}"
            f" ON {table}.{related.pk.column} = {alias}.{field.column}"
        )
    return ", ".join(columns), "".join(joins)


@functools.cache
def _read_of(related) -> tuple:
    """The columns read of a related row: its pk and names (LIST_NAME_FIELDS), or the whole row
    for a model without listed names (a ticket's SLA policy: the SLA arithmetic reads it all)."""
    meta = related._meta
    if meta.label in LIST_NAME_FIELDS:
        return (meta.pk.column, *LIST_NAME_FIELDS[meta.label])
    return tuple(f.column for f in meta.get_fields() if f.concrete)


def list_sql(model, relations, where: str, order: str = "") -> str:
    """`model` rows (as `t`) with their related rows' names (`names_sql`): `where` (empty for
    all rows) and `order` are SQL over `t`."""
    columns, joins = names_sql(model, relations)
    where = f" WHERE {where}" if where else ""
    order = f" ORDER BY {order}" if order else ""
    return f"SELECT {columns} FROM {model._meta.db_table} t{joins}{where}{order}"


def attach_names(rows, relations, alias: str = "t") -> list:
    """The rows of a raw query built with `names_sql`, each with its related rows' names."""
    rows = list(rows)
    if not rows:
        return rows
    meta = type(rows[0])._meta
    wanted = []
    for relation in relations:
        related = meta.get_field(relation).related_model
        pk = related._meta.pk.column
        wanted.append((relation, related, f"{alias}_{relation}", pk, _read_of(related)))
    for row in rows:
        for relation, related, table, pk, names in wanted:
            if getattr(row, f"{table}__{pk}") is not None:
                setattr(row, relation, related_from(related, row, table, names))
    return rows


def with_content_types(rows) -> list:
    """Rows that point at any record (`content_type`, `object_id`), each with its content type
    (from Django's per-process cache of them: no query once read)."""
    rows = list(rows)
    for row in rows:
        row.content_type = ContentType.objects.get_for_id(row.content_type_id)
    return rows


def sql_words(values) -> str:
    """State names as a SQL list, for queries written in SQL (code constants, plain words:
    nothing to quote)."""
    if not all(value.isidentifier() and value.islower() for value in values):
        raise ValueError(f"Not plain state names: {values}")
    return ", ".join(f"'{value}'" for value in values)


def sql_params(params) -> list:
    """Parameters for a query written in SQL run on a cursor, dates and datetimes as the ORM
    stores them (SQLite keeps text, datetimes in UTC; PostgreSQL takes them as they are).
    `raw()` adapts its parameters itself."""
    return [_prepared(value) for value in params]


def _prepared(value):
    if isinstance(value, dt.datetime):
        return _MOMENT.get_db_prep_value(value, connection)
    if isinstance(value, dt.date):
        return _DAY.get_db_prep_value(value, connection)
    return value


_MOMENT, _DAY = DateTimeField(), DateField()


class RawList:
    """Rows written in SQL that slice and page like a queryset (`[:n]`, Paginator): `sql`
    selects them in order, with `%s` where `params` go; the rows read come with the names of
    their `relations` (`list_sql`, `attach_names`), then `finish(rows)` if given."""

    def __init__(self, model, sql: str, params=(), relations=(), finish=None):
        self.model, self.sql, self.params = model, sql, list(params)
        self.relations, self.finish = relations, finish

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({self.sql}) listed", sql_params(self.params))
            return cursor.fetchone()[0]

    def __getitem__(self, key: slice) -> list:
        if not isinstance(key, slice) or key.step is not None or key.stop is None:
            raise TypeError("A RawList is read in slices [start:stop].")
        start = key.start or 0
        sql = f"{self.sql} LIMIT %s OFFSET %s"
        return self._read(sql, [*self.params, max(0, key.stop - start), start])

    def __iter__(self):
        return iter(self._read(self.sql, self.params))

    def _read(self, sql, params) -> list:
        rows = attach_names(self.model.objects.raw(sql, params), self.relations)
        return self.finish(rows) if self.finish else rows


def placeholders(values) -> str:
    """As many `%s` as `values`, for an IN list."""
    return ", ".join(["%s"] * len(values))
