"""Dialect-neutral upserts: "insert, or skip / update the row that has these keys".

PostgreSQL and SQLite get ``INSERT … ON CONFLICT (keys) DO NOTHING | DO UPDATE``; SQL Server gets
``MERGE … WITH (HOLDLOCK)`` (:class:`Merge`, compiled for the ``mssql`` dialect only). Callers say
what to do on a conflict once, as a function of the incoming row's columns (``new``), and never
build a dialect's statement themselves::

    upsert(session, Delivery, [row], ["idempotency_key"],
           set_=lambda new: {"status": new.status, "attempts": Delivery.attempts + new.attempts},
           where=Delivery.status != "delivered")

:func:`insert_ignore_statement` and :func:`upsert_statement` build the statement for a dialect name,
so a test compiles every upsert for ``mssql`` without a server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, column, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlalchemy.sql.expression import Executable

SetClause = Callable[[Any], Mapping[str, Any]]  # incoming row's columns → {column: value}
DIALECTS = ("postgresql", "sqlite", "mssql")


class Merge(Executable, ClauseElement):
    """SQL Server's ``MERGE`` for one incoming row (executed with one or many parameter sets)::

    MERGE INTO <table> WITH (HOLDLOCK)
    USING (VALUES (:a, :b, …)) AS src (a, b, …)
    ON <table>.k = src.k [AND …]
    [WHEN MATCHED [AND <where>] THEN UPDATE SET …]
    WHEN NOT MATCHED THEN INSERT (a, b, …) VALUES (src.a, src.b, …)
    [OUTPUT inserted.k …];
    """

    inherit_cache = False

    def __init__(
        self,
        target: Table,
        columns: Sequence[str],
        keys: Sequence[str],
        *,
        set_: SetClause | None = None,
        where: ColumnElement[bool] | None = None,
        output_keys: bool = False,
    ) -> None:
        missing = [k for k in keys if k not in columns]
        if missing:
            raise ValueError(f"the key columns {missing} are not among the inserted columns")
        self.target = target
        self.columns = list(columns)
        self.keys = list(keys)
        self.source = table("src", *(column(c) for c in self.columns))
        self.assignments = dict(set_(self.source.c)) if set_ is not None else {}
        self.where = where
        self.output_keys = output_keys


@compiles(Merge, "mssql")
def _compile_merge(element: Merge, compiler: SQLCompiler, **kw: Any) -> str:
    quote = compiler.preparer.quote
    target = compiler.preparer.format_table(element.target)
    cols = ", ".join(quote(c) for c in element.columns)
    values = ", ".join(
        compiler.process(bindparam(c, type_=element.target.c[c].type), **kw) for c in element.columns
    )
    on = " AND ".join(f"{target}.{quote(k)} = src.{quote(k)}" for k in element.keys)
    sql = f"MERGE INTO {target} WITH (HOLDLOCK) USING (VALUES ({values})) AS src ({cols}) ON {on}"
    if element.assignments:
        sets = ", ".join(
            f"{quote(name)} = {compiler.process(value, **kw)}" for name, value in element.assignments.items()
        )
        condition = f" AND {compiler.process(element.where, **kw)}" if element.where is not None else ""
        sql += f" WHEN MATCHED{condition} THEN UPDATE SET {sets}"
    incoming = ", ".join(f"src.{quote(c)}" for c in element.columns)
    sql += f" WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({incoming})"
    if element.output_keys:
        sql += " OUTPUT " + ", ".join(f"inserted.{quote(k)}" for k in element.keys)
    return sql + ";"


def _on_conflict_insert(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    raise NotImplementedError(f"no upsert for the {dialect!r} dialect; supported: {', '.join(DIALECTS)}")


def insert_ignore_statement(
    dialect: str, target: Table, columns: Sequence[str], keys: Sequence[str], *, returning: bool = False
) -> Any:
    """Insert rows, skipping those whose ``keys`` exist; ``returning``: the inserted rows' keys."""
    if dialect == "mssql":
        return Merge(target, columns, keys, output_keys=returning)
    stmt = _on_conflict_insert(dialect)(target).on_conflict_do_nothing(index_elements=list(keys))
    return stmt.returning(*(target.c[k] for k in keys)) if returning else stmt


def upsert_statement(
    dialect: str,
    target: Table,
    columns: Sequence[str],
    keys: Sequence[str],
    *,
    set_: SetClause,
    where: ColumnElement[bool] | None = None,
) -> Any:
    """Insert rows; a row whose ``keys`` exist gets ``set_(new)`` instead, when ``where`` holds."""
    if dialect == "mssql":
        return Merge(target, columns, keys, set_=set_, where=where)
    stmt = _on_conflict_insert(dialect)(target)
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=dict(set_(stmt.excluded)), where=where)


def _table(model: Any) -> Table:
    found = getattr(model, "__table__", model)
    if not isinstance(found, Table):
        raise TypeError(f"{model!r} is neither a mapped class nor a Table")
    return found


def insert_ignore(
    session: Session, model: Any, rows: list[dict[str, Any]], keys: list[str], *, count: bool = True
) -> int:
    """Insert the rows whose ``keys`` do not exist yet; returns the number of rows inserted.

    ``count=False`` skips RETURNING (and returns -1): a plain DB-API ``executemany``, several times
    faster for large batches whose caller does not need to know which rows were new.
    """
    if not rows:
        return 0
    target = _table(model)
    dialect = session.get_bind().dialect.name
    conn = session.connection()
    # One cached statement, executed with the rows as parameters ("insertmanyvalues" batches them
    # and keeps RETURNING on PostgreSQL and SQLite): no per-batch compilation of a giant VALUES clause.
    if not count:
        conn.execute(insert_ignore_statement(dialect, target, list(rows[0]), keys), rows)
        return -1
    stmt = insert_ignore_statement(dialect, target, list(rows[0]), keys, returning=True)
    if dialect == "mssql":  # MERGE … OUTPUT returns rows per execution, not per executemany
        return sum(len(conn.execute(stmt, row).all()) for row in rows)
    return len(conn.execute(stmt, rows).all())


def upsert(
    session: Session,
    model: Any,
    rows: list[dict[str, Any]],
    keys: list[str],
    *,
    set_: SetClause,
    where: ColumnElement[bool] | None = None,
) -> None:
    """Insert the rows; an existing row (same ``keys``) gets ``set_(new)`` when ``where`` holds."""
    if not rows:
        return
    target = _table(model)
    stmt = upsert_statement(
        session.get_bind().dialect.name, target, list(rows[0]), keys, set_=set_, where=where
    )
    session.connection().execute(stmt, rows)
