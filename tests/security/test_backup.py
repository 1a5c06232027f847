"""`testbed backup` and `testbed restore`: a round trip gives back every row, and a file
that is not a backup of this application is refused with the database untouched.

Runs on the test database's own backend: SQLite's backup API, or pg_dump and
pg_restore on PostgreSQL.
"""

from __future__ import annotations

import sqlite3

import pytest
from flask_migrate import stamp
from sqlalchemy import select, text

from testbed.auth.services import create_user
from testbed.extensions import db
from testbed.pilots.models import Pilot
from testbed.suggestions import services as suggestions

ALEMBIC_VERSION = "alembic_version"


@pytest.fixture
def stamped(app):
    """The schema marked with the newest revision, as `testbed db upgrade` leaves it."""
    stamp()
    db.session.remove()
    yield
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        # The shared test schema has no revision table; leave it as found.
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {ALEMBIC_VERSION}")


@pytest.fixture
def content(app, runner, write_pilot, stamped):
    """A loaded pilot, a person and a suggestion: rows in most tables."""
    assert runner.invoke(args=["load", str(write_pilot())]).exit_code == 0
    pilot = db.session.scalar(select(Pilot))
    author = create_user("sam@example.org", "department_head", "a long password", name="Sam")
    suggestions.add_suggestion(pilot, "Call the day before", author=author, department=None)
    db.session.commit()
    return everything()


def everything() -> dict[str, list[tuple]]:
    """Every row of every table, in a fixed order, read afresh."""
    db.session.remove()
    tables = [*db.Model.metadata.sorted_tables]
    rows = {
        table.name: db.session.execute(select(table).order_by(*order(table))).all()
        for table in tables
    }
    rows[ALEMBIC_VERSION] = db.session.execute(text(f"SELECT * FROM {ALEMBIC_VERSION}")).all()
    db.session.remove()
    return rows


def order(table):
    # JSON columns cannot be sorted on PostgreSQL; every table has a primary key.
    return table.primary_key.columns


def change_everything() -> None:
    db.session.delete(db.session.scalar(select(Pilot)))
    create_user("late@example.org", "finance", "a long password")
    db.session.commit()


def test_a_restored_backup_gives_back_every_row_of_every_table(runner, content, tmp_path):
    path = tmp_path / "testbed.backup"
    made = runner.invoke(args=["backup", str(path)])
    assert made.exit_code == 0, made.output
    assert f"backed up to {path}" in made.output
    change_everything()
    assert everything() != content

    restored = runner.invoke(args=["restore", str(path), "--yes"])

    assert restored.exit_code == 0, restored.output
    assert "restored from" in restored.output
    assert "db upgrade" not in restored.output  # the backup's schema is the newest
    assert everything() == content
    assert all(content[name] for name in ("pilot", "observation", "aggregate", "suggestion"))


def test_restore_asks_first_and_a_no_changes_nothing(runner, content, tmp_path):
    path = tmp_path / "testbed.backup"
    runner.invoke(args=["backup", str(path)])
    change_everything()
    changed = everything()

    declined = runner.invoke(args=["restore", str(path)], input="n\n")

    assert declined.exit_code == 1
    assert "Replace everything in" in declined.output
    assert everything() == changed


def test_a_backup_never_overwrites_a_file(runner, content, tmp_path):
    path = tmp_path / "precious.txt"
    path.write_text("keep me", encoding="utf-8")
    refused = runner.invoke(args=["backup", str(path)])
    assert refused.exit_code == 1
    assert "exists already" in refused.output
    assert path.read_text(encoding="utf-8") == "keep me"


def test_a_sqlite_backup_is_one_self_contained_file(runner, content, tmp_path, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("an SQLite property")
    path = tmp_path / "testbed.backup"
    runner.invoke(args=["backup", str(path)])
    assert sorted(p.name for p in tmp_path.glob("testbed.backup*")) == ["testbed.backup"]
    copy = sqlite3.connect(path)
    try:
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert copy.execute("SELECT count(*) FROM observation").fetchone() == (8,)
    finally:
        copy.close()


# Refusals: the database is left exactly as it was. ---------------------------


def not_a_database(runner, tmp_path):
    path = tmp_path / "notes.backup"
    path.write_text("metric,group,value\nwait,pilot,1\n", encoding="utf-8")
    return path, "not a"


def without_revision_table(runner, tmp_path):
    # A backup of a database that migrations never built.
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE {ALEMBIC_VERSION}")
    path = tmp_path / "unversioned.backup"
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    stamp()
    db.session.remove()
    return path, "alembic_version"


def from_a_newer_version(runner, tmp_path):
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE {ALEMBIC_VERSION} SET version_num = 'f00dfeed0042'")
    path = tmp_path / "future.backup"
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    db.session.remove()
    stamp(revision="head", purge=True)
    db.session.remove()
    return path, "'f00dfeed0042' is unknown to this version of testbed"


def damaged(runner, tmp_path):
    path = tmp_path / "damaged.backup"
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    return path, ""


@pytest.mark.parametrize(
    "make", [not_a_database, without_revision_table, from_a_newer_version, damaged]
)
def test_a_file_that_is_not_a_usable_backup_is_refused_and_nothing_changes(
    runner, content, tmp_path, make
):
    path, reason = make(runner, tmp_path)
    change_everything()
    before = everything()

    refused = runner.invoke(args=["restore", str(path), "--yes"])

    assert refused.exit_code == 1
    assert "the database is unchanged" in refused.output
    assert reason in refused.output
    assert everything() == before
