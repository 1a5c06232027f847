"""The `testbed` command line, run through Flask's CLI runner on the test database."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from testbed import PROJECT_ROOT
from testbed.auth.models import ROLES
from testbed.extensions import db
from testbed.files.loader import data_files
from testbed.ideas.demo import COLLEAGUES, IDEAS
from testbed.ideas.models import Idea
from testbed.models import Aggregate, Metric, Pilot, User
from testbed.store.queries import cell_sums


def test_load_reports_created_then_unchanged(runner, write_pilot):
    folder = write_pilot()
    first = runner.invoke(args=["load", str(folder)])
    assert first.exit_code == 0, first.output
    assert first.output == "reminders: created (8 rows)\n"
    second = runner.invoke(args=["load", str(folder)])
    assert second.output == "reminders: unchanged\n"


def test_load_failure_exits_non_zero_with_the_place_of_the_error(runner, write_pilot):
    folder = write_pilot(observations__csv="metric,group,value\nwait,pilot,x\n")
    result = runner.invoke(args=["load", str(folder)])
    assert result.exit_code == 1
    assert "nothing was loaded" in result.output
    assert "observations.csv:2:3 (value): 'x' is not a number" in result.output
    assert db.session.scalar(select(func.count()).select_from(Pilot)) == 0


def test_export_round_trips_through_load(runner, app, write_pilot, tmp_path):
    summary = "metric,group,n,mean,sd,period\nwait,baseline,40,12.25,3.5,pre\n"
    runner.invoke(args=["load", str(write_pilot(summary__csv=summary))])
    before = snapshot()
    exported = tmp_path / "exported" / "reminders"
    result = runner.invoke(args=["export", "reminders", str(exported)])
    assert result.exit_code == 0, result.output
    assert [f.name for f in data_files(exported)] == [
        "observations.csv",
        "pilot.toml",
        "summary.csv",
    ]
    db.session.delete(db.session.scalar(select(Pilot)))
    db.session.commit()
    assert runner.invoke(args=["load", str(exported)]).exit_code == 0
    assert snapshot() == before


def snapshot(slug: str | None = None) -> dict:
    """What a pilot holds, in a form that two databases can be compared by."""
    query = select(Pilot) if slug is None else select(Pilot).where(Pilot.slug == slug)
    pilot = db.session.scalar(query)
    sums = {}
    for metric in pilot.metrics:
        for key, cell in cell_sums(metric).items():
            moments = cell.moments()
            sums[(metric.key, *key)] = (
                moments.n,
                round(moments.mean, 9),
                round(moments.sd, 9) if moments.n > 1 else None,
            )
    return {
        "pilot": (pilot.slug, pilot.name, pilot.status, pilot.start_date),
        "departments": [d.name for d in pilot.departments],
        "metrics": [(m.key, m.kind, m.direction, m.unit) for m in pilot.metrics],
        "hypotheses": [(h.key, h.metric.key, h.role, h.design) for h in pilot.hypotheses],
        "iterations": [(i.number, i.title) for i in pilot.iterations],
        "sums": sums,
    }


def test_analyze_json_prints_one_result_per_hypothesis(runner, write_pilot):
    runner.invoke(args=["load", str(write_pilot())])
    result = runner.invoke(args=["analyze", "reminders", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["pilot"] == "reminders"
    (h1,) = report["results"]
    assert (h1["hypothesis"], h1["metric"], h1["kind"]) == ("H1", "fta", "proportion")
    assert h1["baseline"]["n"] == 2 and h1["baseline"]["mean"] == 0.5
    assert h1["pilot"]["n"] == 2 and h1["pilot"]["mean"] == 0.0


def test_analyze_an_unknown_pilot_fails_clearly(runner):
    result = runner.invoke(args=["analyze", "nope"])
    assert result.exit_code == 1
    assert "there is no pilot 'nope'" in result.output


def test_users_create_prompts_for_the_password_and_hashes_it(runner):
    result = runner.invoke(
        args=["users", "create", "Fiona@Example.org", "--role", "finance"],
        input="long enough pw\nlong enough pw\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert (user.email, user.role) == ("fiona@example.org", "finance")
    assert user.check_password("long enough pw")


def test_users_create_refuses_a_bad_role_and_a_short_password(runner):
    bad_role = runner.invoke(
        args=["users", "create", "a@b.org", "--role", "boss", "--password", "long enough pw"]
    )
    assert bad_role.exit_code == 1 and "role must be one of" in bad_role.output
    short = runner.invoke(
        args=["users", "create", "a@b.org", "--role", "admin", "--password", "short"]
    )
    assert short.exit_code == 1 and "8 to 128 characters" in short.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_migrations_build_the_schema_the_models_describe(runner):
    db.drop_all()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.Model.metadata)
    assert differences == []


def test_demo_builds_every_example_pilot_and_one_account_per_role(runner):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    folders = sorted(
        p.name for p in (PROJECT_ROOT / "experiments").iterdir() if (p / "pilot.toml").is_file()
    )
    assert sorted(db.session.scalars(select(Pilot.slug))) == folders
    assert len(folders) >= 4
    # One printed account per role; the staff role also has the idea box's colleagues.
    printed = {line.split()[0]: line.split()[1] for line in result.output.splitlines()
               if line.startswith("  ") and "@demo.testbed" in line}  # fmt: skip
    assert sorted(printed) == sorted(ROLES)
    roles = {role: count for role, count in db.session.execute(
        select(User.role, func.count()).group_by(User.role))}  # fmt: skip
    assert roles == {"admin": 1, "department_head": 1, "finance": 1, "innovation": 1,
                     "staff": 1 + len(COLLEAGUES)}  # fmt: skip
    assert db.session.scalar(select(func.count()).select_from(Idea)) == len(IDEAS)
    assert db.session.scalar(select(func.count()).select_from(Aggregate)) > 0
    assert all(m.shift_value is not None for m in db.session.scalars(select(Metric)))


def test_demo_refuses_to_wipe_a_configured_database(runner, monkeypatch):
    monkeypatch.setenv("TESTBED_DATABASE_URL", "postgresql://somewhere/important")
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 1
    assert "pass --reset-database" in result.output


def test_serve_answers_http_requests(tmp_path):
    """`testbed serve` must keep serving (Flask ignores app.run() inside its CLI)."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "TESTBED_DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite'}"}
    command = [sys.executable, "-m", "testbed.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as response:
                    body = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.1)
        assert body == {"status": "ok", "database": "ok"}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_reading_commands_do_not_wait_for_a_writer(runner, app, loaded_pilot, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    slug = loaded_pilot.slug
    db.session.remove()  # each command begins its own transaction, as in its own process
    writer = sqlite3.connect(db.engine.url.database)
    writer.execute("BEGIN IMMEDIATE")  # as a long import holds it
    try:
        analysed = runner.invoke(args=["analyze", slug, "--json"])
        exported = runner.invoke(args=["export", slug, str(tmp_path / "out")])
    finally:
        writer.rollback()
        writer.close()
    assert analysed.exit_code == 0, analysed.output
    assert exported.exit_code == 0, exported.output
