"""Row-level helpers for the services: the one way to lock a row and change it (`locked`), and
two statements for the webhook's hot path with their SQL built once per process instead of per
call (`row_by`, `update_where`).

Why the two exist. The ORM compiles every query anew. For a lookup by one column that costs
several times the CPU the database needs to answer it (about 1 ms against 0.3 ms on the 2-core
machine the benchmarks run on). The webhook for a monthly charge, which arrives thousands of
times on the first of the month, makes two such statements besides its INSERT, and that
compile is most of what it costs beyond the irreducible work: without them the site's CPU per
webhook is about 1.6 times the reference's (docs/benchmarks.md, R4), with them about 1.25,
within the target of 1.3.

What they lean on. `row_by` compiles its SELECT with the ORM's own compiler and keeps it:
`Query.get_compiler`, `SQLCompiler.as_sql`, `.select`, `.get_converters` and
`.apply_converters`, and `Model.from_db`; `update_where` builds its UPDATE from the models'
metadata. These are Django's internals, not its public API: `tests/test_db.py` holds both to
the ORM's own results, and fails by name the day a Django upgrade changes what they lean on
(it pins the version they were checked against).
"""

import contextlib
import threading
from collections.abc import Iterator

from django.db import connections, models, router, transaction

_prepared = threading.local()  # per thread: a compiler holds its thread's connection


def _select(model: type[models.Model], field_name: str, using: str):
    """(sql, field, compiler, converters, attnames) for `SELECT <all columns> WHERE field = %s`."""
    cache = _prepared.__dict__.setdefault("select", {})
    key = (model, field_name, using)
    if key not in cache:
        field = model._meta.get_field(field_name)
        query = model._base_manager.using(using).filter(**{field_name: _sample(field)}).order_by()
        compiler = query.query.get_compiler(using)
        sql, params = compiler.as_sql()
        if len(params) != 1:  # a default manager or field that adds conditions of its own
            raise ValueError(f"{model.__name__}.{field_name} does not compile to one condition")
        columns = [column for column, _, _ in compiler.select]
        attnames = [column.target.attname for column in columns]
        cache[key] = (sql, field, compiler, compiler.get_converters(columns), attnames)
    return cache[key]


def _sample(field: models.Field):
    """A value of the field's type, only to compile the statement (its parameter is replaced)."""
    return 0 if isinstance(field, models.IntegerField | models.AutoField) else "-"


def row_by(model: type[models.Model], field_name: str, value) -> models.Model | None:
    """`model._base_manager.filter(<field_name>=value).first()` for a unique field, without
    compiling the query on every call: the instance, or None."""
    using = router.db_for_read(model)
    sql, field, compiler, converters, attnames = _select(model, field_name, using)
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, [field.get_db_prep_value(value, connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = next(iter(compiler.apply_converters([row], converters)))
    return model.from_db(using, attnames, row)


def update_where(model: type[models.Model], pk, expected: dict, new: dict) -> int:
    """`model._base_manager.filter(pk=pk, **expected).update(**new)`: the number of rows
    changed (0 or 1). For plain values the SQL is built once per set of field names; a new value
    that is an expression (F(), Case()) goes through the ORM.

    An `expected` value of None is refused: SQL's `= NULL` matches nothing.
    """
    if any(value is None for value in expected.values()):
        raise ValueError("update_where cannot expect NULL")
    if any(hasattr(value, "resolve_expression") for value in new.values()):
        return model._base_manager.filter(pk=pk, **expected).update(**new)
    using = router.db_for_write(model)
    connection = connections[using]
    sql = _update_sql(model, tuple(new), tuple(expected), connection)
    meta = model._meta
    params = [
        meta.get_field(name).get_db_prep_save(value, connection) for name, value in new.items()
    ]
    params.append(meta.pk.get_db_prep_value(pk, connection))
    params += [
        meta.get_field(name).get_db_prep_value(v, connection) for name, v in expected.items()
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _update_sql(model, new: tuple[str, ...], expected: tuple[str, ...], connection) -> str:
    cache = _prepared.__dict__.setdefault("update", {})
    key = (model, new, expected, connection.alias)
    if key not in cache:
        quote = connection.ops.quote_name
        meta = model._meta

        def column(name: str) -> str:
            field = meta.get_field(name)
            if field.is_relation or not field.concrete:
                raise ValueError(f"{model.__name__}.{name} is not a plain column")
            return quote(field.column)

        assignments = ", ".join(f"{column(name)} = %s" for name in new)
        conditions = " AND ".join(
            [f"{quote(meta.pk.column)} = %s", *(f"{column(name)} = %s" for name in expected)]
        )
        # Only quoted names from the model's metadata go into the text; values are parameters.
        table = quote(meta.db_table)
        cache[key] = f"UPDATE {table} SET {assignments} WHERE {conditions}"  # noqa: S608
    return cache[key]


@contextlib.contextmanager
def locked(model: type[models.Model], pk) -> Iterator[models.Model]:
    """The row `pk` of `model`, locked (SELECT ... FOR UPDATE) until the block ends, in a
    transaction of its own or the caller's. The one way the services lock a row they know by
    its key to read and change it; keep the block short (never call Mollie inside). A row that
    is found by another lookup (a payment by its Mollie id, a login code by its supporter) is
    locked with `select_for_update` in the query that finds it."""
    with transaction.atomic():
        yield model._base_manager.select_for_update().get(pk=pk)
