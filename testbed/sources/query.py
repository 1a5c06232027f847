"""A metric's SQL: checked to be one SELECT, wrapped, and aggregated inside the source.

The user's query returns one row per observation; it is never run as it
stands but only as the subquery ``q`` of the statements built here, so the
source computes the per-cell sums and only those travel. Every statement
runs in a read-only transaction with a time limit (see ``read_only``).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask_babel import gettext, ngettext
from sqlalchemy import Double, Integer, case, cast, column, func, literal, select, text
from sqlalchemy.engine import Connection, Engine

REQUIRED_COLUMNS = ("group", "value")
OPTIONAL_COLUMNS = ("denominator", "period", "unit", "date", "iteration", "covariate")
ALLOWED_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
PARAMETERS = ("start", "end")

# Words that change data or the session. The read-only transaction is what
# guarantees nothing is written; refusing these first gives a clear message
# before anything reaches the source.
FORBIDDEN_WORDS = frozenset(
    [
        "insert",
        "update",
        "delete",
        "merge",
        "upsert",
        "replace",
        "create",
        "drop",
        "alter",
        "truncate",
        "grant",
        "revoke",
        "copy",
        "call",
        "exec",
        "execute",
        "attach",
        "detach",
        "pragma",
        "into",
        "set",
        "reset",
        "lock",
        "vacuum",
        "analyze",
        "load",
        "install",
        "begin",
        "commit",
        "rollback",
        "savepoint",
        "release",
        "prepare",
        "deallocate",
        "listen",
        "notify",
        "refresh",
        "cluster",
        "reindex",
        "comment",
        "security",
        "do",
    ]
)

_TOKENS = re.compile(
    r"""(?P<comment>--[^\n]*|/\*.*?\*/)
      | (?P<string>'(?:[^']|'')*')
      | (?P<quoted>"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\])
      | (?P<word>[A-Za-z_][A-Za-z_0-9$]*)
      | (?P<semicolon>;)
      | (?P<other>\S)""",
    re.VERBOSE | re.DOTALL,
)
_PARAMETER = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


class QueryError(ValueError):
    """A metric query that cannot be run, with what is wrong in words a person can act on."""


def check_select(sql: str) -> str:
    """``sql`` without a trailing semicolon, if it is one SELECT (or WITH … SELECT).

    Raises ``QueryError`` naming what is refused: several statements, a
    statement that is not a SELECT, a word that writes or changes settings,
    or a named parameter other than ``:start`` and ``:end``.
    """
    stripped = sql.strip()
    while stripped.endswith(";"):
        stripped = stripped[:-1].rstrip()
    if not stripped:
        raise QueryError(gettext("the query is empty: write one SELECT statement"))
    words: list[str] = []
    blanked = list(stripped)  # the query with comments, strings and quoted names blanked
    for match in _TOKENS.finditer(stripped):
        kind = match.lastgroup
        if kind == "semicolon":
            raise QueryError(
                gettext("the query holds more than one statement: write one SELECT only")
            )
        if kind == "word":
            words.append(match.group().lower())
        if kind in ("comment", "string", "quoted"):
            blanked[match.start() : match.end()] = " " * (match.end() - match.start())
    if not words or words[0] not in ("select", "with"):
        first = words[0].upper() if words else stripped[:20]
        raise QueryError(
            gettext(
                "only a SELECT (or WITH … SELECT) may run against a source, not %(first)s",
                first=first,
            )
        )
    if "select" not in words:
        raise QueryError(gettext("a WITH query must end in a SELECT"))
    forbidden = sorted(set(words) & FORBIDDEN_WORDS)
    if forbidden:
        raise QueryError(
            gettext(
                "the query uses %(words)s: a metric query may only read (quote a column of that "
                "name with double quotes)",
                words=", ".join(w.upper() for w in forbidden),
            )
        )
    unknown = sorted(set(_PARAMETER.findall("".join(blanked))) - set(PARAMETERS))
    if unknown:
        raise QueryError(
            gettext(
                "unknown parameter %(names)s: only :start and :end (the pilot's dates) are given",
                names=", ".join(":" + name for name in unknown),
            )
        )
    return stripped


def fingerprint(sql: str) -> str:
    """A hash of the query with comments dropped, case and spacing normalised outside quotes."""
    parts = []
    for match in _TOKENS.finditer(sql.strip().rstrip(";")):
        kind = match.lastgroup
        if kind == "comment":
            continue
        token = match.group()
        parts.append(token.lower() if kind in ("word", "other") else token)
    return hashlib.sha256(" ".join(parts).encode()).hexdigest()


def check_columns(names: list[str]) -> list[str]:
    """The query's columns (lower case) if they fit the contract; else name what is wrong."""
    lowered = [name.lower() for name in names]
    missing = [name for name in REQUIRED_COLUMNS if name not in lowered]
    extra = [name for name in lowered if name not in ALLOWED_COLUMNS]
    doubled = sorted({name for name in lowered if lowered.count(name) > 1})
    problems = []
    if missing:
        problems.append(
            ngettext(
                "missing column %(names)s",
                "missing columns %(names)s",
                len(missing),
                names=", ".join(missing),
            )
        )
    if extra:
        problems.append(
            ngettext(
                "unexpected column %(names)s",
                "unexpected columns %(names)s",
                len(extra),
                names=", ".join(extra),
            )
        )
    if doubled:
        problems.append(
            ngettext(
                "column %(names)s twice",
                "columns %(names)s twice",
                len(doubled),
                names=", ".join(doubled),
            )
        )
    if problems:
        raise QueryError(
            gettext(
                "the query returns the wrong columns: %(problems)s (it returned %(returned)s; "
                "allowed: %(allowed)s)",
                problems="; ".join(problems),
                returned=", ".join(names) or gettext("no column"),
                allowed=", ".join(ALLOWED_COLUMNS),
            )
        )
    return lowered


@dataclass(frozen=True)
class Wrapped:
    """The user's query as the subquery ``q``, with the columns it returns."""

    sql: str
    columns: tuple[str, ...]

    def subquery(self):
        return text(self.sql).columns(*(column(name) for name in self.columns)).subquery("q")

    def has(self, name: str) -> bool:
        return name in self.columns


def probe_columns(connection: Connection, sql: str, parameters: dict) -> list[str]:
    """The columns the query returns, asked of the source without reading a row."""
    result = connection.execute(
        # The checked SELECT, wrapped by design: it runs read-only inside the source.
        text(f"SELECT * FROM ({sql}) AS q WHERE 1 = 0"),  # noqa: S608  # nosec B608 (the checked SELECT, read-only)
        used_parameters(sql, parameters),
    )
    names = list(result.keys())
    result.close()
    return names


def used_parameters(sql: str, parameters: dict) -> dict:
    """The parameters the query names: drivers refuse values for names a statement lacks."""
    named = set(_PARAMETER.findall(sql))
    return {name: value for name, value in parameters.items() if name in named}


def _double(expression):
    return cast(expression, Double())


def shift_statement(wrapped: Wrapped):
    """Means of value, denominator and covariate: reference values for a first refresh."""
    q = wrapped.subquery()
    return select(
        *(
            func.avg(_double(q.c[name])) if wrapped.has(name) else literal(None)
            for name in ("value", "denominator", "covariate")
        )
    )


def _around(expression, shift: float):
    """The column minus its reference value, 0 where the column is empty."""
    return func.coalesce(_double(expression) - literal(shift, Double()), 0.0)


# Aggregate keys, in the order the store keys a cell by.
KEY_COLUMNS = ("group", "period", "iteration", "date")


def aggregate_statement(wrapped: Wrapped, shifts: tuple[float, float, float], kind: str):
    """Per (group, period, iteration, date) the twelve sums the store keeps, plus checks."""
    q = wrapped.subquery()
    x = _double(q.c.value) - literal(shifts[0], Double())
    has_d = wrapped.has("denominator")
    has_c = wrapped.has("covariate")
    d = _around(q.c.denominator, shifts[1]) if has_d else None
    c = _around(q.c.covariate, shifts[2]) if has_c else None
    with_c = q.c.covariate.isnot(None) if has_c else None
    zero = literal(0.0, Double())
    keys = [q.c[name] if wrapped.has(name) else literal(None) for name in KEY_COLUMNS]
    sums = [
        func.count(),
        func.sum(x),
        func.sum(x * x),
        func.sum(d) if has_d else zero,
        func.sum(d * d) if has_d else zero,
        func.sum(x * d) if has_d else zero,
        func.count(q.c.covariate) if has_c else literal(0, Integer()),
        func.sum(c) if has_c else zero,
        func.sum(c * c) if has_c else zero,
        func.sum(case((with_c, x * c), else_=0.0)) if has_c else zero,
        func.sum(case((with_c, x), else_=0.0)) if has_c else zero,
        func.sum(case((with_c, x * x), else_=0.0)) if has_c else zero,
    ]
    checks = [
        func.count() - func.count(q.c.value),
        (func.count() - func.count(q.c.denominator)) if kind == "ratio" else literal(0, Integer()),
        func.sum(case((q.c.value.in_([0, 1]), 0), else_=1))
        if kind == "proportion"
        else literal(0, Integer()),
    ]
    grouped = [q.c[name] for name in KEY_COLUMNS if wrapped.has(name)]
    return select(*keys, *sums, *checks).group_by(*grouped)


def count_statement(wrapped: Wrapped):
    """How often each value occurs per (group, period, iteration): bounded scores."""
    q = wrapped.subquery()
    keys = [q.c[name] if wrapped.has(name) else literal(None) for name in KEY_COLUMNS[:3]]
    grouped = [q.c[name] for name in KEY_COLUMNS[:3] if wrapped.has(name)]
    return select(*keys, q.c.value, func.count()).group_by(*grouped, q.c.value)


ROW_COLUMNS = ("group", "period", "iteration", "unit", "date", "value", "denominator", "covariate")


def rows_statement(wrapped: Wrapped):
    """The rows themselves, for designs that need them, every contract column in one order."""
    q = wrapped.subquery()
    return select(*(q.c[name] if wrapped.has(name) else literal(None) for name in ROW_COLUMNS))


@contextmanager
def read_only(engine: Engine, timeout_seconds: float) -> Iterator[Connection]:
    """A connection inside a read-only transaction whose statements stop after the timeout.

    PostgreSQL: ``SET TRANSACTION READ ONLY`` and ``SET LOCAL statement_timeout``.
    MySQL/MariaDB: ``START TRANSACTION READ ONLY`` with ``max_execution_time`` (MySQL)
    or ``max_statement_time`` (MariaDB). DuckDB: the file is opened read-only (see
    ``connect_arguments``) and a timer interrupts the query. SQLite: ``PRAGMA
    query_only`` and a progress handler that stops the query at the deadline.
    The transaction is always rolled back.
    """
    with engine.connect() as connection:
        name = connection.dialect.name
        timer = None
        if name == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            connection.exec_driver_sql(
                f"SET LOCAL statement_timeout = {int(timeout_seconds * 1000)}"
            )
        elif name in ("mysql", "mariadb"):
            if getattr(connection.dialect, "is_mariadb", False):
                connection.exec_driver_sql(f"SET SESSION max_statement_time = {timeout_seconds}")
            else:
                connection.exec_driver_sql(
                    f"SET SESSION max_execution_time = {int(timeout_seconds * 1000)}"
                )
            connection.exec_driver_sql("START TRANSACTION READ ONLY")
        elif name == "sqlite":
            raw = connection.connection.dbapi_connection
            connection.exec_driver_sql("PRAGMA query_only = ON")
            deadline = _Deadline(timeout_seconds)
            raw.set_progress_handler(deadline.passed, 10_000)
        elif name == "duckdb":
            raw = connection.connection.dbapi_connection
            timer = threading.Timer(timeout_seconds, raw.interrupt)
            timer.daemon = True
            timer.start()
        try:
            yield connection
        finally:
            if timer is not None:
                timer.cancel()
            connection.rollback()
            if name == "sqlite":
                raw.set_progress_handler(None, 0)


class _Deadline:
    def __init__(self, seconds: float):
        self._end = time.monotonic() + seconds

    def passed(self) -> int:
        # A non-zero answer makes SQLite stop the statement ("interrupted").
        return 1 if time.monotonic() > self._end else 0


def connect_arguments(dialect_name: str) -> dict:
    """Driver arguments that make the connection itself read-only where the driver can."""
    if dialect_name == "duckdb":
        return {"read_only": True}
    return {}
