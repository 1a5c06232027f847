"""The ``testbed`` command: Flask's CLI with the commands a pilot team needs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import run_simple

from testbed import MIGRATIONS, PROJECT_ROOT, create_app
from testbed.auth.models import User
from testbed.auth.services import create_user, department_named
from testbed.backup import BackupError, backup_database, is_older, restore_database
from testbed.extensions import db
from testbed.files.errors import LoadError
from testbed.files.export import export_pilot
from testbed.files.loader import load_path
from testbed.ideas.demo import add_demo_ideas
from testbed.pilots.models import Pilot
from testbed.results.services import analyse_pilot
from testbed.scorecard.files import load_scorecard

DEMO_ACCOUNTS = (  # e-mail, role, name, department
    ("innovation@demo.testbed", "innovation", "Ines Innovation", "Customer Service"),
    ("head@demo.testbed", "department_head", "Dario Head", "Sales"),
    ("finance@demo.testbed", "finance", "Fiona Finance", "Finance"),
    ("admin@demo.testbed", "admin", "Ada Admin", None),
    ("staff@demo.testbed", "staff", "Sam Staff", "Customer Service"),
)
DEMO_PASSWORD = "demo-password"  # noqa: S105  (printed on purpose: demo accounts only)


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main():
    """Track testbed pilots and judge them against a baseline."""


def register_commands(app) -> None:
    from testbed.sources.commands import sources_group, sync_command

    for command in (
        load_command,
        export_command,
        analyze_command,
        users_group,
        serve_command,
        demo_command,
        backup_command,
        restore_command,
        poor_service_group,
        scorecard_group,
        notify_group,
        sources_group,
        sync_command,
    ):
        app.cli.add_command(command)


def fail(message: str) -> None:
    db.session.rollback()
    raise click.ClickException(message)


@click.command("load")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def load_command(path: Path):
    """Load a pilot folder, or a folder of pilot folders (all or nothing)."""
    try:
        outcomes = load_path(path)
    except LoadError as error:
        fail(f"nothing was loaded: {error}")
    db.session.commit()
    for outcome in outcomes:
        rows = f" ({outcome.rows} rows)" if outcome.action != "unchanged" else ""
        click.echo(f"{outcome.slug}: {outcome.action}{rows}")


@click.command("export")
@click.argument("slug")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def export_command(slug: str, path: Path):
    """Write a pilot back as a folder that `testbed load` reads."""
    export_pilot(pilot_or_fail(slug), path)
    click.echo(f"{slug}: written to {path}")


@click.group("poor-service")
def poor_service_group():
    """The company's cost of poor service (load it with `testbed load`)."""


@poor_service_group.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def export_poor_service_command(path: Path):
    """Write the cost of poor service as a poor-service.toml that `testbed load` reads."""
    from testbed.files.poor_service import export_model

    try:
        export_model(path)
    except ValueError as error:
        fail(f"nothing was written: {error}")
    click.echo(f"cost of poor service: written to {path}")


@click.command("analyze")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--correction",
    type=click.Choice(["holm", "bh"]),
    default="holm",
    show_default=True,
    help="Multiple-testing correction across confirmatory primary and "
    "secondary hypotheses (bh: Benjamini-Hochberg).",
)
@with_appcontext
def analyze_command(slug: str, as_json: bool, correction: str):
    """Analyse every hypothesis of a pilot against its baseline."""
    report = analyse_pilot(pilot_or_fail(slug), correction=correction)
    if as_json:
        click.echo(json.dumps(report, indent=2, allow_nan=False))
    else:
        from testbed.results.table import render_table

        click.echo(render_table(report))


@click.group("scorecard")
def scorecard_group():
    """The company scorecard: indicators, links and measurements."""


@scorecard_group.command("load")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def scorecard_load_command(path: Path):
    """Load a scorecard folder (scorecard.toml, indicator-measurements*.csv) or one CSV file."""
    try:
        outcome = load_scorecard(path)
    except LoadError as error:
        fail(f"nothing was loaded: {error}")
    db.session.commit()
    click.echo(
        f"indicators: {outcome.indicators_created} created, {outcome.indicators_updated} updated; "
        f"links: {outcome.links_added} added; measurements: {outcome.added} added, "
        f"{outcome.replaced} replaced"
    )


@click.group("users")
def users_group():
    """Manage user accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True, help="innovation, department_head, finance or admin")
@click.option("--password", help="Prompted for when not given.")
@click.option("--name", default="")
@with_appcontext
def create_user_command(email: str, role: str, password: str | None, name: str):
    """Create a user account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, role, password, name=name)
    except ValueError as error:
        fail(str(error))
    db.session.commit()
    click.echo(f"created {user.email} ({user.role})")


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(path: Path):
    """Write the whole database to the new file PATH, while the app keeps running."""
    try:
        backup_database(db.engine, path)
    except BackupError as error:
        fail(f"no backup was made: {error}")
    click.echo(f"{database_name()}: backed up to {path}")


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool):
    """Replace everything in the database with the backup at PATH (all or nothing)."""
    if not yes:
        click.confirm(f"Replace everything in {database_name()} with {path}?", abort=True, err=True)
    # Our own open transaction would hold the locks the restore needs.
    db.session.remove()
    try:
        revision = restore_database(db.engine, path, MIGRATIONS)
    except BackupError as error:
        fail(f"the database is unchanged: {error}")
    click.echo(f"{database_name()}: restored from {path} (schema revision {revision})")
    if is_older(MIGRATIONS, revision):
        click.echo("The backup's schema is older than this code: run `testbed db upgrade`.")


@click.group("notify")
def notify_group():
    """Find periodic events and deliver notification e-mails and webhooks."""


@notify_group.command("scan")
@with_appcontext
def notify_scan_command():
    """Record what no change announces: data that stopped arriving, iterations overdue."""
    from testbed.notify.services import scan

    found = scan()
    db.session.commit()
    click.echo(f"{len(found)} new event(s)")


@notify_group.command("send")
@click.option("--no-scan", is_flag=True, help="Deliver only; do not scan first.")
@with_appcontext
def notify_send_command(no_scan: bool):
    """Scan, then deliver pending e-mails, daily digests and webhook calls (each once)."""
    from testbed.notify.delivery import send
    from testbed.notify.services import scan

    if not no_scan:
        found = scan()
        db.session.commit()
        click.echo(f"scan: {len(found)} new event(s)")
    outcome = send()
    parts = [f"{count} {what}" for what, count in sorted(outcome.items()) if count]
    click.echo("send: " + (", ".join(parts) if parts else "nothing due"))


def database_name() -> str:
    return db.engine.url.render_as_string(hide_password=True)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int):
    """Serve the configured database."""
    serve(current_app, host, port)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Build the demo database and stop.")
@click.option(
    "--reset-database",
    is_flag=True,
    help="Allow wiping the database named by TESTBED_DATABASE_URL.",
)
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool, reset_database: bool):
    """Build a fresh demo database with the example pilots and serve it."""
    if os.environ.get("TESTBED_DATABASE_URL") and not reset_database:
        fail(
            "TESTBED_DATABASE_URL is set: `testbed demo` would wipe that database; "
            "pass --reset-database to allow it, or unset the variable for the embedded SQLite"
        )
    build_demo()
    click.echo(f"Demo database: {db.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"Demo accounts (password '{DEMO_PASSWORD}' for each):")
    for email, role, _, _ in DEMO_ACCOUNTS:
        click.echo(f"  {role:<16} {email}")
    if not no_serve:
        click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
        serve(current_app, host, port)


def serve(app, host: str, port: int) -> None:
    """Serve ``app`` with Werkzeug's threaded server (Flask's app.run is off inside its CLI).

    Good for the demo and a small team; docs/deploy.md describes gunicorn for more.
    """
    run_simple(host, port, app._get_current_object(), threaded=True, use_reloader=False)


def build_demo() -> None:
    """Drop everything, migrate to the newest schema, load ``experiments/`` (the company
    scorecard, then the pilots), add accounts."""
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade()
    load_scorecard(PROJECT_ROOT / "experiments" / "company", actor="demo")
    load_path(PROJECT_ROOT / "experiments", actor="demo")
    add_demo_warehouse()
    for email, role, name, department in DEMO_ACCOUNTS:
        create_user(
            email,
            role,
            DEMO_PASSWORD,
            name=name,
            department=department_named(department) if department else None,
        )
    add_demo_ideas(db.session.scalar(select(User).where(User.role == "innovation")))
    db.session.commit()


def add_demo_warehouse() -> None:
    """A DuckDB file with one demo pilot's observations, registered as a data source:
    `testbed sources switch vmi-community-hospital demo-warehouse` feeds the pilot from it."""
    from testbed.sources.demo import DEMO_PILOT, DEMO_SOURCE, build_warehouse
    from testbed.sources.services import register_source

    path = Path(current_app.instance_path) / "demo-warehouse.duckdb"
    build_warehouse(path, PROJECT_ROOT / "experiments" / DEMO_PILOT)
    register_source(DEMO_SOURCE, f"duckdb:///{path}", actor="demo")


def pilot_or_fail(slug: str) -> Pilot:
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == slug))
    if pilot is None:
        fail(f"there is no pilot '{slug}'")
    return pilot


if __name__ == "__main__":
    main()
