"""Computed results kept per pilot version: in memory, and in the database for every process."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import DateTime, ForeignKey, String, Text, delete, event, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

import testbed
from testbed.extensions import db
from testbed.lru import MISSING, recall, remember
from testbed.pilots.models import Pilot
from testbed.timeutil import utcnow

log = logging.getLogger(__name__)

# Set in ``Session.info`` while the session's transaction holds writes it has not committed.
_UNCOMMITTED = "testbed.uncommitted_writes"
# Results of uncommitted data, to keep in memory once the transaction commits.
_KEEP_ON_COMMIT = "testbed.keep_on_commit"


class PilotSummary(db.Model):
    """One computed result of one version of a pilot, as JSON text.

    ``kind`` names the result and everything besides the pilot it depends on
    (the correction, the programmes' digest) and the code that computed it,
    so a row is only read where it is still exact. A version's row is never
    changed: a change to the pilot raises its version instead. Rows of older
    versions are deleted when a newer one is stored, and with the pilot.
    """

    __tablename__ = "pilot_summary"

    pilot_id: Mapped[int] = mapped_column(
        ForeignKey("pilot.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(100), primary_key=True)
    pilot_version: Mapped[int] = mapped_column(primary_key=True)
    # Text, not JSON: PostgreSQL's JSON refuses the NaN a result may hold.
    payload: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


def kept(
    pilots: Iterable[Pilot],
    name: str,
    compute: Callable[[Pilot], object],
    cache: dict,
    size: int,
) -> dict[int, object]:
    """Each pilot's result called ``name``, by id: from memory, else as stored, else computed.

    The stored ones are read in one query; the computed ones are stored for the
    other processes (see ``write``) and, like the stored ones, kept in ``cache``
    (at most ``size`` entries).
    """
    found, missing = {}, []
    for pilot in pilots:
        result = recall(cache, _memory_key(pilot, name))
        if result is MISSING:
            missing.append(pilot)
        else:
            found[pilot.id] = result
    stored = read(missing, name)
    computed = []
    for pilot in missing:
        if pilot.id in stored:
            result = stored[pilot.id]
        else:
            result = as_stored(compute(pilot))
            computed.append((pilot, result))
        remember(cache, _memory_key(pilot, name), result, size)
        found[pilot.id] = result
    write(computed, name)
    return found


def recalled(pilot: Pilot, name: str, cache: dict):
    """The pilot's result called ``name`` from memory, else as stored; None if neither has it."""
    result = recall(cache, _memory_key(pilot, name))
    if result is MISSING:
        result = read([pilot], name).get(pilot.id)
    return result


def keep_on_commit(pilot: Pilot, name: str, result, cache: dict, size: int) -> None:
    """Keep ``result``, computed from the session's uncommitted data, once they are committed.

    Until then it may not be kept: a rollback would leave it naming a version of the
    pilot that another change will reuse. On rollback it is forgotten.
    """
    key = _memory_key(pilot, name)
    db.session().info.setdefault(_KEEP_ON_COMMIT, []).append((cache, key, as_stored(result), size))


def _memory_key(pilot: Pilot, name: str) -> tuple:
    # created_at tells apart pilots that reuse an id after a database is rebuilt.
    return (pilot.id, pilot.created_at, pilot.version, name)


def as_stored(value):
    """``value`` as it reads back from the database, so memory and database agree exactly."""
    return json.loads(json.dumps(value))


def kind_for(name: str) -> str:
    return f"{name}@{code_revision()}"


# The code whose output is stored: the statistics, and the modules that read the
# stored sums, analyse hypotheses and derive returns.
COMPUTING_CODE = (
    "analysis",
    "testbed/store/queries.py",
    "testbed/results/decision.py",
    "testbed/results/gather.py",
    "testbed/results/labels.py",
    "testbed/results/planning.py",
    "testbed/results/services.py",
    "testbed/results/summaries.py",
    "testbed/results/tails.py",
    "testbed/results/verdicts.py",
    "testbed/finance/comparison.py",
    "testbed/finance/services.py",
)


@functools.cache
def code_revision() -> str:
    """A digest of the code that computes results: a deployment that changes it ignores old rows.

    Taken from the source itself, so no one has to remember to raise a number
    when an analysis changes; such a change costs one computation per pilot.
    """
    root = Path(testbed.__file__).parent.parent
    digest = hashlib.sha256()
    for name in COMPUTING_CODE:
        path = root / name
        for source in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(source.relative_to(root).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def read(pilots: Iterable[Pilot], name: str) -> dict[int, object]:
    """Stored results of the pilots' current versions, by pilot id, in one query."""
    versions = {pilot.id: pilot.version for pilot in pilots}
    if not versions:
        return {}
    rows = db.session.execute(
        select(PilotSummary.pilot_id, PilotSummary.pilot_version, PilotSummary.payload).where(
            PilotSummary.kind == kind_for(name), PilotSummary.pilot_id.in_(versions)
        )
    )
    return {
        pilot_id: json.loads(payload)
        for pilot_id, version, payload in rows
        if versions[pilot_id] == version
    }


def write(computed: list[tuple[Pilot, object]], name: str) -> None:
    """Store results computed from committed data, in a short transaction of their own.

    Reading pages fill the store, so this runs during GET requests; it must not
    commit the request's own work, hence the separate connection. A result is
    stored only if its pilot's committed version is still the one it was
    computed from, so a result of data not yet committed (or changed since) is
    never kept. Two processes storing the same result keep the first. A session
    holding uncommitted writes stores nothing: its data may yet be rolled back,
    and on SQLite the second connection would wait for its lock.
    """
    if not computed or _holds_writes(db.session()):
        return
    kind, now = kind_for(name), utcnow()
    try:
        with db.engine.begin() as connection:
            for pilot, result in computed:
                connection.execute(
                    delete(PilotSummary).where(
                        PilotSummary.pilot_id == pilot.id,
                        PilotSummary.pilot_version < pilot.version,
                    )
                )
                connection.execute(_insert_if_current(connection, pilot, kind, result, now))
    except SQLAlchemyError:
        # A cache that cannot be filled only costs time: the page still has its result.
        log.warning("could not store computed results", exc_info=True)


def _holds_writes(session) -> bool:
    if session.info.get(_UNCOMMITTED):
        return True
    if not session.in_transaction():
        return False
    # A SQLite transaction that may write takes the write lock before its first read.
    driver = session.connection().connection.driver_connection
    return isinstance(driver, sqlite3.Connection) and driver.in_transaction


def _insert_if_current(connection, pilot: Pilot, kind: str, result, now: datetime):
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    current = select(
        Pilot.id,
        literal(kind, String),
        Pilot.version,
        literal(json.dumps(result), Text),
        literal(now, DateTime),
    ).where(
        Pilot.id == pilot.id,
        Pilot.version == pilot.version,
        Pilot.created_at == pilot.created_at,
    )
    columns = ["pilot_id", "kind", "pilot_version", "payload", "computed_at"]
    return insert(PilotSummary).from_select(columns, current).on_conflict_do_nothing()


def forget_all() -> None:
    """Drop every stored result in the caller's transaction (for changes every pilot depends on)."""
    db.session.execute(delete(PilotSummary))


@event.listens_for(Session, "after_flush")
def _note_flush(session, _context) -> None:
    session.info[_UNCOMMITTED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_UNCOMMITTED] = True


@event.listens_for(Session, "after_commit")
def _keep_committed_results(session) -> None:
    for cache, key, result, size in session.info.pop(_KEEP_ON_COMMIT, ()):
        remember(cache, key, result, size)


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_UNCOMMITTED, None)
        session.info.pop(_KEEP_ON_COMMIT, None)
