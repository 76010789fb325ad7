"""Several writes in one round trip: on PostgreSQL, as one statement of data-modifying CTEs
(``WITH a AS (INSERT …), b AS (UPDATE …) SELECT …``); elsewhere (SQLite, the embedded default),
one after the other in a transaction, the way the ORM would write them.

For the hot paths that write many rows of several tables at once (a probes chunk's results and
the incidents it opens): each query is a round trip to the database and a turn of the worker's
event loop. Values always go as parameters, arrays of them unnested in the database, never
formatted into the SQL.
"""

import re
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import AutoField, Case, Value, When
from django.db.models.functions import Cast


def postgresql() -> bool:
    return connection.vendor == "postgresql"


@dataclass
class Insert:
    """Rows of one model (their pk set or not), optionally skipping those that conflict with a
    unique constraint (``ON CONFLICT DO NOTHING``)."""

    objs: list
    ignore_conflicts: bool = False
    # PostgreSQL only: a condition on the CTEs before it, e.g. "EXISTS (SELECT 1 FROM notice)".
    only_if: str = ""
    returning: bool = False  # RETURNING the pk, for a later condition or the caller

    def run(self) -> None:
        if self.objs:
            type(self.objs[0]).objects.bulk_create(self.objs, ignore_conflicts=self.ignore_conflicts)

    def sql(self) -> tuple[str, list]:
        model = type(self.objs[0])
        fields = [
            f
            for f in model._meta.concrete_fields
            if not getattr(f, "generated", False)
            and not (isinstance(f, AutoField) and any(obj.pk is None for obj in self.objs))
        ]
        # The connection itself, not the proxy: each of the proxy's attributes is a look-up in a
        # thread-local, and a chunk's 500 rows of 9 columns read one per value.
        db = connections[DEFAULT_DB_ALIAS]
        quote = db.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        arrays = ", ".join(f"%s::{_array_type(f)}" for f in fields)
        params = [[f.get_db_prep_save(f.pre_save(obj, True), db) for obj in self.objs] for f in fields]
        table = quote(model._meta.db_table)  # identifiers from the model; the values are parameters
        sql = f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) AS r"  # noqa: S608
        if self.only_if:
            sql += f" WHERE {self.only_if}"
        if self.ignore_conflicts:
            sql += " ON CONFLICT DO NOTHING"
        if self.returning:
            sql += f" RETURNING {quote(model._meta.pk.column)}"
        return sql, params


def _array_type(field) -> str:
    # varchar rather than varchar(n): an explicit cast would cut a long text where the column's
    # own type refuses it, as an INSERT of VALUES does.
    return re.sub(r"^(varchar|character varying)\(\d+\)", r"\1", field.db_type(connection)) + "[]"


@dataclass
class Update:
    """Set ``fields`` of ``objs`` to their attributes' values, on the rows ``queryset`` still
    matches (QuerySet.bulk_update's CASE WHEN, in one statement)."""

    queryset: object
    objs: list
    fields: list[str] = field(default_factory=list)

    def _query(self):
        model = self.queryset.model
        values = {}
        for name in self.fields:
            model_field = model._meta.get_field(name)
            whens = []
            for obj in self.objs:
                value = Value(getattr(obj, model_field.attname), output_field=model_field)
                if connection.features.requires_casted_case_in_updates:
                    value = Cast(value, output_field=model_field)
                whens.append(When(pk=obj.pk, then=value))
            values[model_field.attname] = Case(*whens, output_field=model_field)
        return self.queryset.filter(pk__in=[obj.pk for obj in self.objs]), values

    def run(self) -> None:
        if self.objs:
            self.queryset.bulk_update(self.objs, self.fields, batch_size=len(self.objs))

    def sql(self) -> tuple[str, list]:
        from django.db.models.sql import UpdateQuery

        queryset, values = self._query()
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(values)
        return query.get_compiler(connection=connection).as_sql()


def write_together(writes: list, *, tail: str = "SELECT 1", tail_params=()) -> tuple | None:
    """Run the writes (Insert, Update, or (sql, params) pairs on PostgreSQL) in this order:
    one statement on PostgreSQL, whose ``tail`` (a SELECT over the CTEs, named w0, w1, …) gives
    the row returned; a transaction of ORM writes elsewhere (None returned)."""
    writes = [w for w in writes if isinstance(w, tuple) or w.objs]
    if not writes:
        return None
    if not postgresql():
        with transaction.atomic():
            for write in writes:
                write.run()
        return None
    if len(writes) == 1 and tail == "SELECT 1":
        sql, params = writes[0] if isinstance(writes[0], tuple) else writes[0].sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return None
    parts, params = [], []
    for index, write in enumerate(writes):
        sql, own = write if isinstance(write, tuple) else write.sql()
        parts.append(f"w{index} AS ({sql})")
        params.extend(own)
    with connection.cursor() as cursor:
        cursor.execute("WITH " + ",\n".join(parts) + "\n" + tail, [*params, *tail_params])
        return cursor.fetchone()
