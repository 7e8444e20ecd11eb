"""Bulk inserts fast enough for million-row imports, on SQLite and PostgreSQL.

SQLAlchemy's generic executemany processes every parameter in Python and, to return ids in
order, sends SQLite one statement per row: a million-hash import took minutes. Here SQLite
gets its driver's executemany with values bound once per distinct value, and PostgreSQL
gets COPY with ids drawn from the table's sequence beforehand.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

from sqlalchemy import FromClause, Table, func, select, text
from sqlalchemy.orm import Session

Rows = list[dict[str, Any]]


def insert_rows(s: Session, clause: FromClause, rows: Rows) -> None:
    """Insert ``rows`` (dicts with the same keys: column names) in this session's transaction."""
    table = cast(Table, clause)
    if not rows:
        return
    if s.connection().dialect.name == "postgresql":
        _copy(s, table, rows)
    else:
        _sqlite_executemany(s, table, rows)


def insert_returning_ids(s: Session, clause: FromClause, rows: Rows) -> list[int]:
    """Insert ``rows`` into a table with an integer ``id`` key; return their ids, in order.

    PostgreSQL: ids are taken from the table's sequence first, then the rows are copied in.
    SQLite: with AUTOINCREMENT and the write lock held from the first statement, the rows get
    consecutive ids ending at ``last_insert_rowid()``; a count over that range proves it.
    """
    table = cast(Table, clause)
    if not rows:
        return []
    conn = s.connection()
    if conn.dialect.name == "postgresql":
        seq = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
        ).scalar_one()
        # one round trip for the whole block; writers of these tables hold the change-log lock
        last = int(
            conn.execute(
                text("SELECT setval(:seq, nextval(:seq) + :n - 1)"), {"seq": seq, "n": len(rows)}
            ).scalar_one()
        )
        ids = list(range(last - len(rows) + 1, last + 1))
        _copy(s, table, [{"id": i, **r} for i, r in zip(ids, rows, strict=True)])
        return ids
    _sqlite_executemany(s, table, rows)
    last = int(conn.execute(text("SELECT last_insert_rowid()")).scalar_one())
    first = last - len(rows) + 1
    count = conn.execute(
        select(func.count()).select_from(table).where(table.c.id.between(first, last))
    ).scalar_one()
    if count != len(rows):  # pragma: no cover - would mean SQLite changed its numbering
        raise RuntimeError(f"bulk insert into {table.name} did not get consecutive ids")
    return list(range(first, last + 1))


def _bound_columns(s: Session, table: Table, rows: Rows) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and row tuples with each column's bind processor applied.

    Rows share many values (the batch's time, its bank, empty metadata), so each distinct
    object is processed once.
    """
    dialect = s.connection().dialect
    keys = list(rows[0])
    out = []
    for key in keys:
        values = [r[key] for r in rows]
        proc = table.c[key].type._cached_bind_processor(dialect)
        if proc is not None:
            memo: dict[Any, Any] = {}
            done = []
            for v in values:
                k = id(v) if v or not isinstance(v, dict) else "{}"
                if k not in memo:
                    memo[k] = proc(v)
                done.append(memo[k])
            values = done
        out.append(values)
    return keys, list(zip(*out, strict=True))


def _sqlite_executemany(s: Session, table: Table, rows: Rows) -> None:
    keys, tuples = _bound_columns(s, table, rows)
    sql = str(table.insert().compile(dialect=s.connection().dialect, column_keys=keys))
    cursor = s.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, tuples)
    finally:
        cursor.close()


def _copy(s: Session, table: Table, rows: Rows) -> None:
    """COPY ``rows`` into ``table`` as one block of PostgreSQL text format.

    Formatting the block here, each distinct value once, is several times faster than
    psycopg's per-row ``write_row``.
    """
    keys = list(rows[0])
    columns = []
    for key in keys:
        memo: dict[Any, str] = {}
        out = []
        for v in (r[key] for r in rows):
            k = id(v) if v or not isinstance(v, dict) else "{}"
            if k not in memo:
                memo[k] = _copy_text(v)
            out.append(memo[k])
        columns.append(out)
    block = "".join("\t".join(row) + "\n" for row in zip(*columns, strict=True))
    cols = ", ".join(f'"{k}"' for k in keys)
    raw = s.connection().connection.driver_connection
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:  # type: ignore[union-attr]
        copy.write(block.encode())


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in COPY's text format (NULL as \\N, special characters escaped)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    return str(value).translate(_ESCAPES)
