"""Written-out SQL for the statements every exchanged package runs (dispatch, delivery, receipt).

Building a statement through the ORM costs several times what running it costs here (measured with
bench/exchange.py: 0.3 to 1 ms of CPU per statement, most of it compiling the SELECT list of wide
rows), and a package runs about twenty. Only the fixed hot statements are written out; everything
else stays on the ORM.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Model

_INSERTS: dict[tuple[str, type], tuple[str, list]] = {}


def insert(obj: Model) -> Model:
    """INSERT a new row as `obj.save()` would for a new object (field defaults and auto_now_add
    applied, pk set from RETURNING), with the statement built once per model. No save signals are
    sent: the exchange's models have no receivers."""
    model = type(obj)
    key = (connection.vendor, model)
    entry = _INSERTS.get(key)
    if entry is None:
        q = connection.ops.quote_name
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        sql = (
            f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {q(model._meta.pk.column)}"
        )
        entry = _INSERTS[key] = (sql, fields)
    sql, fields = entry
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


def fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params: list) -> int:
    """Run a written-out UPDATE or DELETE; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
