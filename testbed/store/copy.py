"""Observation rows into the database as plain tuples, inside the session's transaction.

Inserting through SQLAlchemy builds and processes a parameter dictionary per
row, which for a million rows costs more than the database's own work. Here
the rows go to the driver directly: on SQLite as INSERTs of many rows each
(``ROWS_PER_INSERT``: SQLite then runs one statement per hundreds of rows, a
fifth less time than one per row), on PostgreSQL with ``COPY ... FROM STDIN``
(psycopg's ``executemany`` would send one INSERT per row). They use the
session's connection, hence its transaction, so a failure later in the import
still rolls every row back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, repeat

import numpy as np

from testbed.extensions import db
from testbed.store.codes import distinct_codes, spread
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
# Float columns hold Python floats (or None) already, which Float's own
# conversion, float(value), would hand on unchanged: a call per cell for nothing.
NUMBERS = frozenset({"value", "denominator", "covariate"})
ROWS_PER_INSERT = 400
# A column's distinct values and each row's index into them, by column name.
Distinct = Callable[[str], tuple[list, np.ndarray]]


def write_observations(columns: Sequence[Sequence], distinct: Distinct | None = None) -> None:
    """Insert observation rows given column by column, in ``ROW_COLUMNS`` order.

    ``distinct`` gives a repeating column's distinct values and codes by name,
    such as the ones a chunk was checked with; without it they are found.
    """
    connection = db.session.connection()
    dialect = connection.dialect
    # A column empty in every row is left to its default, NULL: the SQLite
    # driver spends more on binding a None than on binding a number.
    given = {
        name: values
        for name, values in zip(ROW_COLUMNS, columns, strict=True)
        if values[0] is not None or values.count(None) < len(values)
    }
    bound = bound_columns(given, dialect, distinct)
    cursor = connection.connection.cursor()
    try:
        if dialect.name == "postgresql":
            _copy(cursor, dialect, list(given), zip(*bound, strict=True))
        else:
            _insert(cursor, dialect, list(given), bound)
    finally:
        cursor.close()


def bound_columns(
    columns: dict[str, Sequence], dialect, distinct: Distinct | None = None
) -> list[Sequence]:
    """Column values as SQLAlchemy would hand them to the driver (dates as text on SQLite).

    A repeating column is converted once per distinct value.
    """
    table = Observation.__table__
    bound = []
    for name, values in columns.items():
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is None or name in NUMBERS:
            bound.append(values)
        elif name in REPEATING:
            codes = distinct(name) if distinct else distinct_codes(values)
            bound.append(_each_distinct(values, *codes, process))
        else:
            bound.append(list(map(process, values)))
    return bound


def _each_distinct(values: Sequence, distinct: list, codes: np.ndarray, process) -> Sequence:
    converted = [process(value) for value in distinct]
    if all(bound is value for value, bound in zip(distinct, converted, strict=True)):
        return values  # such as group names, which go to the driver as they are
    return spread(converted, codes)


def _target(dialect, names: list[str]) -> str:
    quote = dialect.identifier_preparer.quote
    quoted = ", ".join(quote(name) for name in names)
    return f"{quote(Observation.__table__.name)} ({quoted})"


def _insert(cursor, dialect, names: list[str], columns: list[Sequence]) -> None:
    """The rows in INSERTs of up to ``ROWS_PER_INSERT`` rows, within SQLite's parameter limit."""
    limit = cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_insert = max(1, min(ROWS_PER_INSERT, limit // len(names)))
    rows = len(columns[0])
    values = list(chain.from_iterable(zip(*columns, strict=True)))  # row after row
    width = per_insert * len(names)
    whole = (rows - rows % per_insert) * len(names)
    if whole:
        cursor.executemany(
            _insert_statement(dialect, names, per_insert),
            (values[start : start + width] for start in range(0, whole, width)),
        )
    if whole < len(values):
        # The rest row by row: a statement for each possible count of rows left
        # would each be prepared and kept by the driver's statement cache.
        cursor.executemany(
            _insert_statement(dialect, names, 1),
            (values[start : start + len(names)] for start in range(whole, len(values), len(names))),
        )


def _insert_statement(dialect, names: list[str], rows: int) -> str:
    marks = "(" + ", ".join(repeat("?", len(names))) + ")"
    values = ", ".join(repeat(marks, rows))
    # Table and column names come from the model, never from input.
    return f"INSERT INTO {_target(dialect, names)} VALUES {values}"  # noqa: S608  # nosec B608


def _copy(cursor, dialect, names: list[str], rows: Iterable[tuple]) -> None:
    with cursor.copy(f"COPY {_target(dialect, names)} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
