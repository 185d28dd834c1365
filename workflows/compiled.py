"""Hot queries compiled once per connection and run again with new values.

Building and compiling a Django queryset costs 10–20 × running it on an index (~0.8 ms against
0.05 ms for a console list): on the pages people keep open all day that was a third to a half
of each request. A function decorated with `@compiled` builds a queryset from its arguments;
the first call builds it with sample values in their place and compiles it, and every call
runs that SQL with its own values in the samples' slots, then makes the rows the way Django's
ModelIterable (or values_list) does.

The contract, checked: every positional argument is an id, a key (text), a date or an aware
moment, used as a lookup value as given (never shifted or formatted inside the function);
keyword arguments are the query's shape (a limit, which list) and key the cache; everything
else the query depends on is a constant. With the setting CHECK_COMPILED_QUERIES (on in the
tests) every call also builds the query from its real arguments and fails if the SQL or its
values differ.
"""

import datetime as dt
import functools
import weakref

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.signals import post_migrate
from django.dispatch import receiver

# Stand for the arguments while a query (or a URL, `{% url %}` in balcao.py) is built once to
# be reused with real values; far from any real id or day, so nothing else equals one by chance.
SAMPLE_PK = 987_654_321_000
_SAMPLE_DAY = dt.date(1901, 1, 1)
_SAMPLE_MOMENT = dt.datetime(1901, 1, 1, 12, tzinfo=dt.UTC)


def kind(value) -> type:
    """An argument's kind: an aware moment, a date, an id or a key (text); nothing else has a
    sample."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise TypeError("compiled: a moment must be timezone-aware.")
        return dt.datetime
    if isinstance(value, dt.date):
        return dt.date
    if isinstance(value, int) and not isinstance(value, bool):
        return int
    if isinstance(value, str):
        return str
    raise TypeError(
        f"compiled: an argument must be an id, a key, a date or a moment, not {value!r}."
    )


def sample(value, i: int):
    """A stand-in for argument `i` of the same kind as `value`."""
    return {
        dt.datetime: _SAMPLE_MOMENT + dt.timedelta(minutes=i),
        dt.date: _SAMPLE_DAY + dt.timedelta(days=i),
        int: SAMPLE_PK + i,
        str: f"{SAMPLE_PK + i}-sample-key",
    }[kind(value)]


def db_value(value, connection):
    """`value` as Django's lookups hand it to the database driver (SQLite gets text)."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def slots_of(params, samples, connection) -> list[tuple[int, int]]:
    """(parameter position, argument index) of every sample in compiled `params`; each
    sample must be there, else its argument was not used as a lookup value as given."""
    wanted = {db_value(s, connection): i for i, s in enumerate(samples)}
    slots = [(pos, wanted[p]) for pos, p in enumerate(params) if _hashable(p) and p in wanted]
    missing = set(range(len(samples))) - {i for _, i in slots}
    if missing:
        raise ValueError(
            f"compiled: argument(s) {sorted(missing)} are not lookup values of the query."
        )
    return slots


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def with_values(params, slots, args, connection) -> list:
    params = list(params)
    for pos, i in slots:
        params[pos] = db_value(args[i], connection)
    return params


class _Plan:
    """One compiled queryset: its SQL, and what turns its rows into what the queryset gives
    (model instances, or `values_list` tuples or values)."""

    def __init__(self, queryset, samples, connection):
        self.connection, self.kinds = connection, tuple(kind(s) for s in samples)
        if isinstance(queryset, tuple):  # SQL composed by hand: its rows as they come
            self.sql, params = queryset
            self.params, self.trim, self.converters, self.make = tuple(params), None, [], tuple
            self.slots = slots_of(self.params, samples, connection)
            return
        shapes = {ModelIterable: self._instances, ValuesListIterable: tuple}
        shapes[FlatValuesListIterable] = lambda row: row[0]
        if queryset._iterable_class not in shapes or queryset._prefetch_related_lookups:
            raise TypeError("compiled: a model or values_list queryset, without prefetching.")
        if queryset.db != connection.alias:
            raise TypeError("compiled: the query must read the default database.")
        self.db = queryset.db
        compiler = queryset.query.get_compiler(using=queryset.db)
        self.sql, params = compiler.as_sql()
        self.params = tuple(params)
        self.slots = slots_of(self.params, samples, connection)
        select = compiler.select
        self.trim = compiler.col_count if compiler.has_extra_select else None
        self.compiler = compiler
        self.converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
        self.make = shapes[queryset._iterable_class]
        if self.make == self._instances:
            klass_info = compiler.klass_info
            self.model = klass_info["model"]
            fields = klass_info["select_fields"]
            self.start, self.end = fields[0], fields[-1] + 1
            self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
            self.populators = get_related_populators(klass_info, select, self.db)
            self.annotations = tuple(compiler.annotation_col_map.items())

    def rows(self, args) -> list:
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, with_values(self.params, self.slots, args, self.connection))
            rows = cursor.fetchall()
        if self.trim is not None:
            rows = [row[: self.trim] for row in rows]
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        return [self.make(row) for row in rows]

    def _instances(self, row):
        """A model instance from a row, as Django's ModelIterable makes it."""
        obj = self.model.from_db(self.db, self.init_list, row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, obj)
        for name, pos in self.annotations:
            setattr(obj, name, row[pos])
        return obj


# Per connection object: each thread has its own, and a plan keeps its compiler (converters).
_plans = weakref.WeakKeyDictionary()
MAX_PLANS = 500  # per connection


@receiver(post_migrate)
def forget_plans(**kwargs):
    """A migration or a flush (tests) may change the schema or the ids a query holds as
    constants (content types)."""
    _plans.clear()


def compiled(build):
    """Decorator: `build(*args, **shape)` returns a queryset (or composed `(sql, params)`); the
    decorated function returns its rows as a list, compiled once per connection and shape."""

    @functools.wraps(build)
    def rows(*args, **shape):
        connection = connections[DEFAULT_DB_ALIAS]
        plans = _plans.setdefault(connection, {})
        key = (build, *sorted(shape.items()))
        plan = plans.get(key)
        if plan is None:
            if len(plans) >= MAX_PLANS:  # shapes such as page offsets: keep the newest
                del plans[next(iter(plans))]
            samples = [sample(arg, i) for i, arg in enumerate(args)]
            plan = plans[key] = _Plan(build(*samples, **shape), samples, connection)
        elif tuple(kind(arg) for arg in args) != plan.kinds:
            raise TypeError(f"compiled {build.__qualname__}: called with other kinds of argument.")
        if getattr(settings, "CHECK_COMPILED_QUERIES", False):
            check(build(*args, **shape), plan, args)
        return plan.rows(args)

    return rows


def check(fresh, plan, args):
    """CHECK_COMPILED_QUERIES: the plan's SQL and values equal those of `fresh`, the queryset
    built from the real arguments."""
    fresh_sql, fresh_params = fresh if isinstance(fresh, tuple) else fresh.query.sql_with_params()
    ours = with_values(plan.params, plan.slots, args, plan.connection)
    if fresh_sql != plan.sql or list(fresh_params) != ours:
        raise AssertionError(
            "compiled: the query depends on more than its arguments "
            f"(or uses one other than as given).\nplan:  {plan.sql} {ours}\nfresh: {fresh_sql} "
            f"{list(fresh_params)}"
        )
