"""Observation rows into the database as plain tuples, inside the session's transaction.

Inserting through SQLAlchemy builds and processes a parameter dictionary per
row, which for a million rows costs more than the database's own work. Here
the rows go to the driver directly: one ``executemany`` per chunk on SQLite,
``COPY ... FROM STDIN`` on PostgreSQL (psycopg's ``executemany`` would send one
INSERT per row). They use the session's connection, hence its transaction, so
a failure later in the import still rolls every row back.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat

from testbed.extensions import db
from testbed.store.models import Observation

ROW_COLUMNS = (
    "batch_id",
    "metric_id",
    "group",
    "period",
    "iteration",
    "unit",
    "day",
    "value",
    "denominator",
    "covariate",
)
# Columns with few distinct values: each is converted once, not once per row.
REPEATING = frozenset({"group", "period", "day"})


def write_observations(columns: Sequence[Sequence]) -> None:
    """Insert observation rows given column by column, in ``ROW_COLUMNS`` order."""
    connection = db.session.connection()
    dialect = connection.dialect
    rows = list(zip(*bound_columns(columns, dialect), strict=True))
    cursor = connection.connection.cursor()
    try:
        if dialect.name == "postgresql":
            _copy(cursor, dialect, rows)
        else:
            _insert(cursor, dialect, rows)
    finally:
        cursor.close()


def bound_columns(columns: Sequence[Sequence], dialect) -> list[Sequence]:
    """Column values as SQLAlchemy would hand them to the driver (dates as text on SQLite)."""
    table = Observation.__table__
    bound = []
    for name, values in zip(ROW_COLUMNS, columns, strict=True):
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            bound.append(values)
        elif name in REPEATING:
            converted = {value: process(value) for value in set(values)}
            bound.append(list(map(converted.__getitem__, values)))
        else:
            bound.append(list(map(process, values)))
    return bound


def _target(dialect) -> str:
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in ROW_COLUMNS)
    return f"{quote(Observation.__table__.name)} ({names})"


def _insert(cursor, dialect, rows: list[tuple]) -> None:
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    marks = ", ".join(repeat(mark, len(ROW_COLUMNS)))
    # Table and column names come from the model, never from input.
    statement = f"INSERT INTO {_target(dialect)} VALUES ({marks})"  # noqa: S608
    cursor.executemany(statement, rows)


def _copy(cursor, dialect, rows: list[tuple]) -> None:
    with cursor.copy(f"COPY {_target(dialect)} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
