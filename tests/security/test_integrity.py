"""Data integrity: an import killed halfway and an edit failing halfway leave nothing behind,
and two people editing one pilot never overwrite each other unseen.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from testbed.audit import AuditEvent
from testbed.auth.services import create_user
from testbed.extensions import db
from testbed.pilots.models import Pilot
from testbed.store.models import Aggregate, ImportBatch, Observation

# Enough rows that the load is still writing when it is killed, on either database.
KILLED_ROWS = 600_000
WAIT_FOR_WRITING_S = 120
LOADED_TABLES = (Pilot, ImportBatch, Observation, Aggregate, AuditEvent)


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in LOADED_TABLES
    }


def big_pilot(write_pilot) -> Path:
    folder = write_pilot("big")
    block = "".join(
        f"wait,{group},{10 + n % 7}.5,1\nfta,{group},{n % 2},1\n"
        for n in range(500)
        for group in ("baseline", "pilot")
    )
    copies = KILLED_ROWS // block.count("\n")
    with (folder / "observations.csv").open("w", encoding="utf-8") as stream:
        stream.write("metric,group,value,iteration\n")
        for _ in range(copies):
            stream.write(block)
    return folder


def test_a_load_killed_while_writing_leaves_no_trace(app, write_pilot, database_url):
    folder = big_pilot(write_pilot)
    before = counts()
    db.session.remove()
    with subprocess.Popen(
        [str(Path(sys.executable).with_name("testbed")), "load", str(folder)],
        env={**os.environ, "TESTBED_DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as load:
        try:
            wait_until_writing(load, database_url)
        finally:
            load.send_signal(signal.SIGKILL)
            load.wait(timeout=60)
    db.engine.dispose()  # look with new connections, as the next process would

    if database_url.startswith("sqlite"):
        # Straight from the file, as the next process after the crash finds it.
        assert integrity_check(database_url.removeprefix("sqlite:///")) == [("ok",)]
    assert counts() == before
    # The database takes writes again: no lock outlived the process.
    create_user("after@example.org", "innovation", "a long password")
    db.session.commit()


def integrity_check(path: str) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()


def wait_until_writing(load: subprocess.Popen, database_url: str) -> None:
    """Return once the load has written rows it has not committed; fail if it ended first."""
    deadline = time.monotonic() + WAIT_FOR_WRITING_S
    while not writing(database_url):
        if load.poll() is not None:
            pytest.fail(f"the load ended before it could be killed: {load.stderr.read()}")
        if time.monotonic() > deadline:
            pytest.fail("the load did not start writing in time")
        time.sleep(0.05)
    assert load.poll() is None, "the load ended before it could be killed: raise KILLED_ROWS"


def writing(database_url: str) -> bool:
    if database_url.startswith("sqlite"):
        # Uncommitted pages spill into the write-ahead log as the load goes on.
        log = Path(database_url.removeprefix("sqlite:///") + "-wal")
        return log.exists() and log.stat().st_size > 8 * 1024 * 1024
    with db.engine.connect() as connection:
        copying = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND query LIKE 'COPY%'"
            )
        ).scalar()
    return copying > 0


def test_a_web_edit_failing_after_its_first_write_changes_nothing(
    app, client, login, loaded_pilot, monkeypatch
):
    login("innovation")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # show the error page, as in production
    pilot_id, events = loaded_pilot.id, count(AuditEvent)
    before = (loaded_pilot.name, loaded_pilot.summary, loaded_pilot.version)

    def disk_full(*_args, **_kwargs):
        raise OSError("the disk is full")

    # The audit record comes after the pilot's row is updated and flushed.
    monkeypatch.setattr("testbed.pilots.services.record", disk_full)
    response = client.post(
        f"/pilots/{loaded_pilot.slug}/edit",
        data={
            "version": str(loaded_pilot.version),
            "name": "Renamed",
            "partner": str(loaded_pilot.partner_id),
            "status": loaded_pilot.status,
            "summary": "Changed",
        },
    )

    assert response.status_code == 500
    db.session.remove()
    pilot = db.session.get(Pilot, pilot_id)
    assert (pilot.name, pilot.summary, pilot.version) == before
    assert count(AuditEvent) == events


def test_two_editors_of_one_version_the_second_is_refused_and_the_first_kept(app, loaded_pilot):
    first, second = app.test_client(), app.test_client()
    for n, client in enumerate((first, second)):
        email = f"editor{n}@example.org"
        create_user(email, "innovation", "a long password", name=f"Editor {n}")
        db.session.commit()
        client.post("/login", data={"email": email, "password": "a long password"})
    pilot_id, page = loaded_pilot.id, f"/pilots/{loaded_pilot.slug}/edit"
    form = {
        "version": str(loaded_pilot.version),
        "name": loaded_pilot.name,
        "partner": str(loaded_pilot.partner_id),
        "status": loaded_pilot.status,
    }
    opened = [client.get(page) for client in (first, second)]
    assert all(response.status_code == 200 for response in opened)

    # Both send the version their page was made from.
    assert client_post(first, page, form, "First editor's summary").status_code == 302
    refused = client_post(second, page, form, "Second editor's summary")

    assert refused.status_code == 409
    db.session.remove()
    assert db.session.get(Pilot, pilot_id).summary == "First editor's summary"


def client_post(client, page: str, form: dict, summary: str):
    return client.post(page, data={**form, "summary": summary})


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))
