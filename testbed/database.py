"""Connection settings that every SQLite connection needs, whoever opens it.

SQLite lets one transaction write at a time. A transaction that reads first
and writes later takes a snapshot at its first read; if another process
commits before it writes, its snapshot is stale and SQLite fails it at once
with "database is locked", whatever the busy timeout, and a version read from
that snapshot (``Pilot.version``) no longer matches the row it updates.

So a transaction that may write begins with ``BEGIN IMMEDIATE``: it waits for
the write lock (up to the busy timeout) before it reads anything, and then
reads and writes as one step. That is every request whose method may change
something, and every ``testbed`` command except those that only read. A
read-only request (GET, HEAD, OPTIONS) or command keeps the driver's own
handling instead: its reads take no lock and no snapshot, so pages and reports
stay quick while an import holds the write lock, and the rare write such a
request makes (the time a token was last used) begins just before that write,
on fresh data.
"""

import sqlite3

import click
from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 10_000
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Commands that only read: they need not wait for the write lock an import holds.
READ_ONLY_COMMANDS = frozenset({"analyze", "export"})
# pysqlite's own handling: statements that read run outside a transaction, and
# it sends a plain BEGIN before the first statement that writes.
DRIVER_BEGINS = ""
WE_BEGIN = None


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record):
    # WAL lets readers and one writer work at once; foreign keys are off by
    # default in SQLite; the busy timeout makes a writer wait instead of failing.
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection):
    dbapi_connection = connection.connection.driver_connection
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    if may_write():
        dbapi_connection.isolation_level = WE_BEGIN
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        dbapi_connection.isolation_level = DRIVER_BEGINS


def may_write() -> bool:
    """Whether the transaction now beginning serves a command or a request that may write."""
    if has_request_context():
        return request.method not in READ_ONLY_METHODS
    command = click.get_current_context(silent=True)
    return command is not None and command.info_name not in READ_ONLY_COMMANDS
