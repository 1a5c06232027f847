"""Back up the whole database to one file and restore it: SQLite or PostgreSQL.

SQLite uses its online backup API, which copies a consistent snapshot while
the app keeps writing, and restores the same way into the live file, as one
transaction. PostgreSQL uses ``pg_dump --format=custom`` and a
``pg_restore`` that runs in one transaction. A file is checked before
anything is replaced: a file that is not a backup of this application, or
that holds a schema newer than this code, leaves the database untouched.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Engine

SQLITE_HEADER = b"SQLite format 3\x00"
DUMP_TIMEOUT_S = 6 * 60 * 60
# The rows of alembic_version in a plain-text restore script: COPY ... FROM stdin; rows; \.
COPIED_REVISION = r"^COPY \S*alembic_version \(version_num\) FROM stdin;\n(.*?)^\\\.$"


class BackupError(Exception):
    """A backup or restore was refused or failed; the message says what to do."""


def backup_database(engine: Engine, path: Path) -> None:
    """Write the database behind ``engine`` to the new file ``path``."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists already: choose a new file name")
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if engine.dialect.name == "sqlite":
            _copy_sqlite(engine, partial)
        else:
            _dump_postgresql(engine, partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


def restore_database(engine: Engine, path: Path, migrations: Path) -> str:
    """Replace the content of the database behind ``engine`` with the backup at ``path``.

    Returns the schema revision the backup holds. Raises BackupError, with the
    database untouched, when ``path`` is not a backup this code can restore.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    scripts = ScriptDirectory(str(migrations))
    if engine.dialect.name == "sqlite":
        revision = _known_revision(scripts, _sqlite_revision(engine, path))
        _restore_sqlite(engine, path)
    else:
        revision = _known_revision(scripts, _dump_revision(engine, path))
        _restore_postgresql(engine, path)
    return revision


def is_older(migrations: Path, revision: str) -> bool:
    """Whether ``revision`` is behind the newest schema, so `testbed db upgrade` is needed."""
    return revision not in ScriptDirectory(str(migrations)).get_heads()


def _known_revision(scripts: ScriptDirectory, revision: str) -> str:
    try:
        known = scripts.get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupError(
            f"the backup's schema revision '{revision}' is unknown to this version of "
            "testbed (a newer version made it?): restore it with that version"
        )
    return revision


# SQLite -----------------------------------------------------------------------


def _copy_sqlite(engine: Engine, target: Path) -> None:
    live = engine.raw_connection()
    copy = sqlite3.connect(target)
    try:
        # All pages in one step: one read snapshot, however busy the app is.
        live.driver_connection.backup(copy)
        # One self-contained file, without -wal and -shm beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        live.close()


def _restore_sqlite(engine: Engine, path: Path) -> None:
    backup = _open_read_only(path)
    live = engine.raw_connection()
    try:
        # The backup API writes every page in one transaction of the live file:
        # other connections see the old content or the new, never a mixture.
        backup.backup(live.driver_connection)
    except sqlite3.Error as error:
        raise BackupError(f"nothing was restored: {error}") from error
    finally:
        live.close()
        backup.close()
    engine.dispose()


def _sqlite_revision(engine: Engine, path: Path) -> str:
    if _same_file(path, engine.url.database):
        raise BackupError(f"{path} is the live database itself")
    with path.open("rb") as stream:
        if stream.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{path} is not an SQLite database, so not a testbed backup")
    backup = _open_read_only(path)
    try:
        problems = [row[0] for row in backup.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"{path} is damaged: {'; '.join(problems[:3])}")
        return _only_revision(path, backup.execute("SELECT version_num FROM alembic_version"))
    except sqlite3.OperationalError as error:
        # Also a table missing: a database, but not one of this application.
        raise BackupError(f"{path} is not a testbed backup: {error}") from error
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a readable SQLite database: {error}") from error
    finally:
        backup.close()


def _open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _same_file(path: Path, database: str | None) -> bool:
    return bool(database) and Path(database).exists() and path.samefile(database)


def _only_revision(path: Path, rows) -> str:
    revisions = [row[0] for row in rows]
    if len(revisions) != 1:
        raise BackupError(f"{path} does not name one schema revision: {revisions}")
    return revisions[0]


# PostgreSQL -------------------------------------------------------------------


def _dump_postgresql(engine: Engine, target: Path) -> None:
    pg_dump = _client_tool(engine, "pg_dump")
    _run(engine, [pg_dump, "--format=custom", f"--file={target}"], "the backup failed")


def _restore_postgresql(engine: Engine, path: Path) -> None:
    pg_restore = _client_tool(engine, "pg_restore")
    # Our own connections would hold locks that DROP TABLE waits for.
    engine.dispose()
    _run(
        engine,
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--no-owner",
            str(path),
        ],
        "nothing was restored",
    )


def _dump_revision(engine: Engine, path: Path) -> str:
    pg_restore = _client_tool(engine, "pg_restore")
    listing = _read_dump(pg_restore, ["--list", str(path)], path)
    if not re.search(r"\bTABLE public alembic_version\b", listing):
        raise BackupError(f"{path} is not a testbed backup: it has no alembic_version table")
    rows = _read_dump(
        pg_restore, ["--data-only", "--table=alembic_version", "--file=-", str(path)], path
    )
    copied = re.search(COPIED_REVISION, rows, re.MULTILINE | re.DOTALL)
    return _only_revision(path, [(line,) for line in (copied[1] if copied else "").split()])


def _read_dump(pg_restore: str, arguments: list[str], path: Path) -> str:
    done = subprocess.run(  # noqa: S603  (a fixed program; the path is one argument)
        [pg_restore, *arguments], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1:] or ["unreadable"]
        raise BackupError(f"{path} is not a pg_dump archive (custom format): {reason[0]}")
    return done.stdout


def _client_tool(engine: Engine, name: str) -> str:
    """The path of ``name``, refused unless it is at least as new as the server."""
    program = shutil.which(name)
    if program is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client of the server's "
            "version (Debian: postgresql-client)"
        )
    version = subprocess.run(  # noqa: S603
        [program, "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"\s(\d+)(?:\.\d+)*", version)
    tool_major = int(found[1]) if found else 0
    with engine.connect() as connection:
        server_major = connection.dialect.server_version_info[0]
    if tool_major < server_major:
        raise BackupError(
            f"{name} {tool_major} cannot work with the PostgreSQL {server_major} server: "
            f"install postgresql-client-{server_major}"
        )
    return program


def _run(engine: Engine, command: list[str], failure: str) -> None:
    # The connection goes by environment: a password on the command line would be
    # visible to every user of the machine in the process list.
    url = engine.url
    environment = {
        **os.environ,
        "PGHOST": url.host or "",
        "PGPORT": str(url.port or ""),
        "PGUSER": url.username or "",
    }
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    environment.update({f"PG{name.upper()}": str(value) for name, value in _libpq(url).items()})
    done = subprocess.run(  # noqa: S603  (fixed arguments, no shell)
        [*command, f"--dbname=dbname={_quoted(url.database or '')}"],
        env={k: v for k, v in environment.items() if v != ""},
        capture_output=True,
        text=True,
        check=False,
        timeout=DUMP_TIMEOUT_S,
    )
    if done.returncode != 0:
        raise BackupError(f"{failure}: {done.stderr.strip()}")


def _quoted(value: str) -> str:
    """``value`` as a libpq connection-string value, whatever characters it holds."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _libpq(url) -> dict[str, str]:
    """The URL's query options that libpq reads from the environment (sslmode and such)."""
    names = {"sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "options"}
    return {name: value for name, value in url.query.items() if name in names}
