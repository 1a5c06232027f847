"""Fixtures: an application on a fresh real database per test (SQLite file or PostgreSQL).

Set TESTBED_TEST_DATABASE_URL to a PostgreSQL database to run the suite there;
otherwise every test gets its own SQLite file.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import request
from sqlalchemy import create_engine, event, select, text

from testbed import create_app
from testbed.config import normalise_database_url
from testbed.database import READ_ONLY_METHODS
from testbed.extensions import db

TEST_DATABASE_URL = os.environ.get("TESTBED_TEST_DATABASE_URL")


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + TEST_DATABASE_URL if TEST_DATABASE_URL else 'SQLite file'}"


@pytest.fixture(scope="session")
def server_schema():
    """On PostgreSQL, build the schema once per run; tests then empty the tables."""
    if not TEST_DATABASE_URL:
        yield None
        return
    engine = create_engine(normalise_database_url(TEST_DATABASE_URL))
    from testbed import models  # noqa: F401

    with engine.begin() as connection:
        db.Model.metadata.drop_all(connection)
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.Model.metadata.create_all(connection)
    yield engine
    engine.dispose()


@pytest.fixture
def database_url(tmp_path) -> str:
    return normalise_database_url(TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.sqlite'}")


@pytest.fixture
def app(database_url, server_schema, monkeypatch, tmp_path):
    monkeypatch.delenv("TESTBED_DATABASE_URL", raising=False)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
        }
    )
    # Each test's own instance folder: uploads waiting to be imported are files there, and
    # ids repeat from one test database to the next.
    app.instance_path = str(tmp_path / "instance")
    Path(app.instance_path).mkdir()
    app.teardown_request(end_a_writing_requests_transaction)
    with app.app_context():
        if server_schema is not None:
            empty_all_tables()
        else:
            db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def end_a_writing_requests_transaction(_error) -> None:
    # Requests in a test share the fixture's app context, so its session and a
    # transaction a POST began with BEGIN IMMEDIATE (holding SQLite's write lock)
    # would outlive the request; in production each request's own app context
    # ends them. Reads keep their session, as tests look at what a page loaded.
    if request.method not in READ_ONLY_METHODS:
        db.session.rollback()


def empty_all_tables() -> None:
    # A demo test may have rebuilt the schema through migrations; recreate if so.
    db.create_all()
    names = ", ".join(f'"{t.name}"' for t in db.Model.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def drop_everything() -> None:
    """Empty the test database, its Alembic revision included.

    An earlier test may have left its revision behind on the shared PostgreSQL
    database: with it, "upgrade 0005" would find the schema newer and do nothing.
    """
    db.session.remove()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    db.drop_all()


def schema_at(runner, revision: str) -> Iterator[None]:
    """For a fixture: the schema as ``revision`` left it; the shared schema restored after."""
    drop_everything()
    result = runner.invoke(args=["db", "upgrade", revision])
    assert result.exit_code == 0, result.output
    yield
    drop_everything()
    db.create_all()


@pytest.fixture
def at_0004(app, runner):
    """The schema as revision 0004 left it: for the migrations after it."""
    yield from schema_at(runner, "0004")


@pytest.fixture
def at_0005(app, runner):
    """The schema as revision 0005 left it: for the migrations after it."""
    yield from schema_at(runner, "0005")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


MINIMAL_TOML = """\
    name = "Reminder pilot"
    status = "active"
    start_date = 2025-01-06
    departments = ["Operations", "Finance"]

    [partner]
    name = "Harbour Dental"
    segment = "healthcare"

    [[metrics]]
    key = "wait"
    name = "Waiting time"
    kind = "mean"
    direction = "decrease"
    unit = "minutes"

    [[metrics]]
    key = "fta"
    name = "Failure to attend"
    kind = "proportion"
    direction = "decrease"

    [[hypotheses]]
    key = "H1"
    statement = "Reminders lower the failure-to-attend rate."
    metric = "fta"
    role = "primary"

    [[iterations]]
    number = 1
    title = "SMS reminder"
    """

MINIMAL_OBSERVATIONS = """\
    metric,group,value,iteration
    wait,baseline,12.5,1
    wait,baseline,14.0,1
    wait,pilot,9.5,1
    wait,pilot,11.0,1
    fta,baseline,1,1
    fta,baseline,0,1
    fta,pilot,0,1
    fta,pilot,0,1
    """


@pytest.fixture
def write_pilot(tmp_path):
    """Write a pilot folder; pass file name = text (dedented) to override or add files."""

    def write(name: str = "reminders", **files: str) -> Path:
        folder = tmp_path / "pilots" / name
        folder.mkdir(parents=True, exist_ok=True)
        contents = {"pilot.toml": MINIMAL_TOML, "observations.csv": MINIMAL_OBSERVATIONS}
        contents.update({k.replace("__", "."): v for k, v in files.items()})
        for file_name, content in contents.items():
            path = folder / file_name
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(textwrap.dedent(content), encoding="utf-8")
        return folder

    return write


@pytest.fixture
def login(client):
    """Create a user of ``role`` and sign the test client in as them; returns the user."""
    from testbed.auth.services import create_user

    def sign_in(role: str = "innovation", email: str | None = None, department=None):
        email = email or f"{role}@example.org"
        user = create_user(email, role, "a long password", name=role.title(), department=department)
        db.session.commit()
        response = client.post("/login", data={"email": email, "password": "a long password"})
        assert response.status_code == 302, "sign-in failed"
        return user

    return sign_in


@pytest.fixture
def loaded_pilot(app, write_pilot):
    """The minimal pilot from MINIMAL_TOML, loaded and committed."""
    from testbed.files.loader import load_path
    from testbed.pilots.models import Pilot

    load_path(write_pilot())
    db.session.commit()
    return db.session.scalar(select(Pilot))


@contextmanager
def statements_run() -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the ``with`` block."""
    statements: list[str] = []

    def listener(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
