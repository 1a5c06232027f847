"""Migrations that move data: run on the database the tests use (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from testbed.extensions import db
from tests.conftest import schema_at

START = datetime(2025, 3, 1, 9, 0, 0)
MOMENT = timedelta(microseconds=400)  # within one transaction
LATER = timedelta(hours=2)  # another request, when the data arrived


def tables(connection) -> dict[str, sa.Table]:
    metadata = sa.MetaData()
    names = ("partner", "pilot", "metric", "hypothesis", "audit_event")
    return {name: sa.Table(name, metadata, autoload_with=connection) for name in names}


def hypothesis(number: int, locked_at: datetime | None) -> dict:
    return {
        "id": number,
        "pilot_id": 1,
        "key": f"H{number}",
        "statement": f"Hypothesis {number}.",
        "metric_id": 1,
        "role": "secondary",
        "design": "concurrent",
        "method": "fixed",
        "alpha": 0.05,
        "locked_at": locked_at,
    }


def event(entity_id: int, action: str, at: datetime, summary: str) -> dict:
    return {
        "at": at,
        "actor": "Ines",
        "action": action,
        "entity": "hypothesis",
        "entity_id": entity_id,
        "pilot_id": 1,
        "summary": summary,
    }


def insert_history(connection) -> None:
    t = tables(connection)
    connection.execute(
        t["partner"].insert(),
        {"id": 1, "name": "Clinic", "segment": "", "size": "small", "key_account": False,
         "key_account_reason": ""},
    )  # fmt: skip
    connection.execute(
        t["pilot"].insert(),
        {"id": 1, "slug": "p", "name": "P", "partner_id": 1, "status": "active", "summary": "",
         "created_at": START, "updated_at": START, "version": 1},
    )  # fmt: skip
    connection.execute(
        t["metric"].insert(),
        {"id": 1, "pilot_id": 1, "key": "fta", "name": "FTA", "kind": "proportion",
         "direction": "decrease", "unit": "", "indicator": "lagging", "perspective": "customer"},
    )  # fmt: skip
    connection.execute(
        t["hypothesis"].insert(),
        [
            hypothesis(1, START + LATER),  # registered, then its data arrived
            hypothesis(2, START),  # registered when its data were there
            hypothesis(3, START),  # loaded from a folder: no event of its own
            hypothesis(4, None),  # no data yet
            hypothesis(5, START + LATER),  # moved onto a metric with data
            hypothesis(6, START),  # another hypothesis' event under its id
        ],
    )
    connection.execute(
        t["audit_event"].insert(),
        [
            event(1, "registered", START + MOMENT, "H1 (primary) on fta: Hypothesis 1."),
            event(2, "registered", START + MOMENT, "H2 (secondary) on fta: Hypothesis 2."),
            event(4, "registered", START, "H4 (secondary) on fta: Hypothesis 4."),
            event(5, "registered", START, "H5 (secondary) on wait: Hypothesis 5."),
            event(5, "updated", START + LATER + MOMENT, "H5: metric: wait → fta"),
            event(6, "registered", START + MOMENT, "H61 (secondary) on fta: Gone."),
        ],
    )


def registrations(connection) -> dict[str, str]:
    rows = connection.execute(sa.text("SELECT key, registration FROM hypothesis ORDER BY id"))
    return dict(rows.all())


def test_0005_stores_registration_and_derives_it_from_the_audit_trail(at_0004, runner):
    with db.engine.begin() as connection:
        insert_history(connection)
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with db.engine.connect() as connection:
        assert registrations(connection) == {
            "H1": "confirmatory",
            "H2": "exploratory",
            "H3": "confirmatory",
            "H4": "confirmatory",
            "H5": "exploratory",
            "H6": "confirmatory",
        }
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE hypothesis SET registration = 'later' WHERE id = 1"))


def test_0005_downgrades_and_upgrades_again(at_0004, runner):
    with db.engine.begin() as connection:
        insert_history(connection)
    for step in (["upgrade"], ["downgrade", "0004"], ["upgrade"]):
        result = runner.invoke(args=["db", *step])
        assert result.exit_code == 0, result.output
    with db.engine.connect() as connection:
        assert registrations(connection)["H2"] == "exploratory"


@pytest.fixture
def at_0010(app, runner):
    yield from schema_at(runner, "0010")


def test_0011_keeps_the_accounts_their_references_and_adds_the_staff_role(at_0010, runner):
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                'INSERT INTO "user" (id, email, name, password_hash, role, active, created_at) '
                "VALUES (1, 'ines@example.org', 'Ines', '!', 'innovation', true, :at)"
            ),
            {"at": START},
        )
        connection.execute(
            sa.text(
                "INSERT INTO user_session (user_id, token_hash, created_at, last_seen_at) "
                "VALUES (1, 'abc', :at, :at)"
            ),
            {"at": START},
        )
    # Before 0011 the role is refused; after it, taken.
    staff = sa.text(
        "INSERT INTO \"user\" (id, email, name, password_hash, role, active, created_at) "
        "VALUES (2, 'sam@example.org', 'Sam', '!', 'staff', true, :at)")  # fmt: skip
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(staff, {"at": START})
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with db.engine.begin() as connection:
        connection.execute(staff, {"at": START})
        sessions = connection.execute(sa.text("SELECT user_id FROM user_session")).all()
        assert sessions == [(1,)]
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE \"user\" SET role = 'boss' WHERE id = 1"))


def test_0011_downgrades_only_once_no_account_is_staff(at_0010, runner):
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                'INSERT INTO "user" (id, email, name, password_hash, role, active, created_at) '
                "VALUES (2, 'sam@example.org', 'Sam', '!', 'staff', true, :at)"
            ),
            {"at": START},
        )
    refused = runner.invoke(args=["db", "downgrade", "0010"])
    assert refused.exit_code != 0
    assert "have the role 'staff'" in refused.output
    with db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE \"user\" SET role = 'finance' WHERE id = 2"))
    for step in (["downgrade", "0010"], ["upgrade"]):
        result = runner.invoke(args=["db", *step])
        assert result.exit_code == 0, result.output


@pytest.fixture
def at_0011(app, runner):
    yield from schema_at(runner, "0011")


def test_0012_gives_every_account_an_unchosen_language_and_removes_it_again(at_0011, runner):
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                'INSERT INTO "user" (id, email, name, password_hash, role, active, created_at) '
                "VALUES (1, 'ines@example.org', 'Ines', '!', 'innovation', true, :at)"
            ),
            {"at": START},
        )
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with db.engine.begin() as connection:
        assert connection.execute(sa.text('SELECT language FROM "user"')).all() == [(None,)]
        connection.execute(sa.text("UPDATE \"user\" SET language = 'fr'"))
    assert runner.invoke(args=["db", "downgrade", "0011"]).exit_code == 0
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("user")}
    assert "language" not in columns and "email" in columns
