"""Observation rows into the database as plain tuples, inside the session's transaction.

Inserting through SQLAlchemy builds and processes a parameter dictionary per
row, which for a million rows costs more than the database's own work. Here
the rows go to the driver directly: on SQLite as INSERTs of many rows each
(``ROWS_PER_INSERT``: SQLite then runs one statement per thousands of rows,
instead of one per row), on PostgreSQL with ``COPY ... FROM STDIN``
(psycopg's ``executemany`` would send one INSERT per row). They use the
session's connection, hence its transaction, so a failure later in the import
still rolls every row back.

The database's work on the rows is most of a large import's time, and both
drivers release Python's global lock while they do it. ``ObservationRows``
can therefore insert on a thread of its own while the caller reads and checks
the next chunk: on SQLite a quarter less time for a million rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, suppress
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
# Large statements mean few hand-overs of the global lock between the reading
# and the inserting thread; SQLite's parameter limit may make them smaller.
ROWS_PER_INSERT = 3000
# A column's distinct values and each row's index into them, by column name.
Distinct = Callable[[str], tuple[list, np.ndarray]]


class ObservationRows:
    """Writes observation rows chunk by chunk into the session's transaction.

    ``write`` takes a chunk's columns in ``ROW_COLUMNS`` order; ``distinct``
    gives a repeating column's distinct values and codes by name, such as the
    ones a chunk was checked with (without it they are found). The columns
    must not change once handed over.

    With ``background=True`` a chunk is inserted on a thread of its own while
    the caller goes on, one chunk at a time; ``write`` first waits for the
    chunk before, so memory holds at most two. Until the ``with`` block ends
    the caller must not use the session's connection, which that thread uses.
    Leaving the block waits for the thread, also when an error ends it, so a
    rollback never meets an insert still running.
    """

    def __init__(self, background: bool = False):
        connection = db.session.connection()
        self.dialect = connection.dialect
        self.driver = connection.connection
        self.thread = ThreadPoolExecutor(1, "observation-rows") if background else None
        self.pending: Future | None = None
        # SQLite: values of rows short of a whole INSERT, row after row, and their columns.
        self.waiting: list = []
        self.waiting_names: list[str] = []

    def __enter__(self) -> ObservationRows:
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        try:
            if error_type is None:
                self._wait()
                self._insert_waiting()
            else:
                self._wait_quietly()
        finally:
            if self.thread:
                self.thread.shutdown()

    def write(self, columns: Sequence[Sequence], distinct: Distinct | None = None) -> None:
        if self.thread is None:
            self._write(columns, distinct)
            return
        self._wait()
        self.pending = self.thread.submit(self._write, columns, distinct)

    def _wait(self) -> None:
        """Wait for the chunk on the thread; its error, if any, is raised here."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def _wait_quietly(self) -> None:
        """Wait for the chunk on the thread while another error is on its way."""
        # The caller's error is the one to report; the rollback undoes both.
        with suppress(Exception):
            self._wait()

    def _write(self, columns: Sequence[Sequence], distinct: Distinct | None) -> None:
        # A column empty in every row is left to its default, NULL: the SQLite
        # driver spends more on binding a None than on binding a number.
        given = {
            name: values
            for name, values in zip(ROW_COLUMNS, columns, strict=True)
            if values[0] is not None or values.count(None) < len(values)
        }
        bound = bound_columns(given, self.dialect, distinct)
        if self.dialect.name == "postgresql":
            self._copy(list(given), zip(*bound, strict=True))
        else:
            self._insert(list(given), bound)

    def _insert(self, names: list[str], columns: list[Sequence]) -> None:
        """Whole INSERTs of the rows; the rows left over wait for the next chunk."""
        if names != self.waiting_names:
            self._insert_waiting()
            self.waiting_names = names
        values = self.waiting
        values.extend(chain.from_iterable(zip(*columns, strict=True)))  # row after row
        width = self._rows_per_insert(names) * len(names)
        whole = len(values) - len(values) % width
        if whole:
            with self._cursor() as cursor:
                cursor.executemany(
                    _insert_statement(self.dialect, names, width // len(names)),
                    (values[start : start + width] for start in range(0, whole, width)),
                )
        self.waiting = values[whole:]

    def _insert_waiting(self) -> None:
        """The rows left over, one by one.

        A statement for each possible count of rows left would each be
        prepared and kept by the driver's statement cache.
        """
        names, values, step = self.waiting_names, self.waiting, len(self.waiting_names)
        if values:
            with self._cursor() as cursor:
                cursor.executemany(
                    _insert_statement(self.dialect, names, 1),
                    (values[start : start + step] for start in range(0, len(values), step)),
                )
        self.waiting = []

    def _rows_per_insert(self, names: list[str]) -> int:
        limit = self.driver.driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return max(1, min(ROWS_PER_INSERT, limit // len(names)))

    def _copy(self, names: list[str], rows: Iterable[tuple]) -> None:
        statement = f"COPY {_target(self.dialect, names)} FROM STDIN"
        with self._cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def _cursor(self) -> closing:
        return closing(self.driver.cursor())


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


def _insert_statement(dialect, names: list[str], rows: int) -> str:
    marks = "(" + ", ".join(repeat("?", len(names))) + ")"
    values = ", ".join(repeat(marks, rows))
    # Table and column names come from the model, never from input.
    return f"INSERT INTO {_target(dialect, names)} VALUES {values}"  # noqa: S608  # nosec B608
