"""``testbed sources …`` and ``testbed sync``: data sources from the command line (cron, timers)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import delete, select

from testbed.audit import record
from testbed.extensions import db
from testbed.pilots.models import Pilot
from testbed.sources import services
from testbed.sources.models import DataSource
from testbed.sources.query import QueryError
from testbed.sources.vault import SourceKeyError
from testbed.store.models import ImportBatch

ACTOR = "cli"


def fail(message: str) -> None:
    db.session.rollback()
    raise click.ClickException(message)


@click.group("sources")
def sources_group():
    """Register data sources and the SQL that feeds each metric."""


@sources_group.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--password", "ask", is_flag=True, help="Prompt for the password (not in the URL).")
@click.option("--timeout", default=60, show_default=True, type=click.IntRange(1, 3600))
@with_appcontext
def add_command(name: str, url: str, ask: bool, timeout: int):
    """Register a data source (any SQLAlchemy URL) after testing the connection."""
    try:
        if ask:
            password = click.prompt("Password", hide_input=True)
            url = services.set_connection(DataSource(url_sealed=""), url).set(password=password)
            url = url.render_as_string(hide_password=False)
        source = services.register_source(name, url, timeout, actor=ACTOR)
    except (ValueError, SourceKeyError, services.SourceError) as error:
        fail(f"the source was not added: {error}")
    db.session.commit()
    click.echo(f"{source.name}: {source.url_shown} (connection tested)")


@sources_group.command("list")
@with_appcontext
def list_command():
    """Every data source, with its masked URL and the last test's outcome."""
    for source in db.session.scalars(select(DataSource).order_by(DataSource.name)):
        state = source.test_error or ("ok" if source.tested_at else "not tested")
        click.echo(f"{source.name}\t{source.url_shown}\t{state}")


@sources_group.command("test")
@click.argument("name")
@with_appcontext
def test_command(name: str):
    """Test a data source's connection."""
    source = _source_or_fail(name)
    try:
        services.check_connection(source)
    except (services.SourceError, SourceKeyError) as error:
        db.session.commit()
        fail(str(error))
    db.session.commit()
    click.echo(f"{source.name}: connection works")


@sources_group.command("attach")
@click.argument("slug")
@click.argument("metric_key")
@click.argument("source_name")
@click.option("--sql", "text", help="The SELECT (see docs/sources.md).")
@click.option("--sql-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def attach_command(slug, metric_key, source_name, text, sql_file):
    """Feed a pilot's metric from a data source with a SELECT."""
    pilot, source = _pilot_or_fail(slug), _source_or_fail(source_name)
    metric = pilot.metric(metric_key)
    if metric is None:
        fail(f"the pilot '{slug}' has no metric '{metric_key}'")
    if (text is None) == (sql_file is None):
        fail("give the query with exactly one of --sql and --sql-file")
    try:
        services.set_metric_query(
            metric, source, text if text is not None else sql_file.read_text("utf-8"), actor=ACTOR
        )
    except QueryError as error:
        fail(f"{metric_key}: {error}")
    db.session.commit()
    click.echo(f"{slug}/{metric_key}: read from {source.name}")


@sources_group.command("switch")
@click.argument("slug")
@click.argument("source_name")
@click.option("--table", default="observations", show_default=True)
@with_appcontext
def switch_command(slug: str, source_name: str, table: str):
    """Feed every metric of a pilot from TABLE (laid out as observations.csv, one
    row per observation with a metric column) and drop the pilot's file data."""
    pilot, source = _pilot_or_fail(slug), _source_or_fail(source_name)
    if not table.replace("_", "").replace(".", "").isalnum():
        fail(f"'{table}' is not a plain table name")
    columns = '"group", period, unit, date, iteration, value, denominator, covariate'
    for metric in pilot.metrics:
        key = metric.key.replace("'", "''")
        text = f"SELECT {columns} FROM {table} WHERE metric = '{key}'"  # noqa: S608  # nosec B608 (a checked table name)
        services.set_metric_query(metric, source, text, actor=ACTOR)
    db.session.execute(
        delete(ImportBatch).where(ImportBatch.pilot_id == pilot.id, ImportBatch.origin == "file")
    )
    pilot.touch()
    record(
        "switched",
        "pilot",
        actor=ACTOR,
        entity_id=pilot.id,
        pilot_id=pilot.id,
        summary=f"observations now read from {source.name} ({table}); file data removed",
    )
    db.session.commit()
    click.echo(f"{slug}: {len(pilot.metrics)} metrics read from {source.name}; run `testbed sync`")


@click.command("sync")
@click.argument("slug", required=False)
@with_appcontext
def sync_command(slug: str | None):
    """Refresh one pilot (or every pilot with metric queries) from its data sources."""
    pilots = [_pilot_or_fail(slug)] if slug else services.pilots_with_queries()
    failed = []
    for pilot in pilots:
        try:
            outcome = services.refresh_pilot(pilot, actor=ACTOR)
        except SourceKeyError as error:
            fail(str(error))
        db.session.commit()
        if outcome.ok:
            rows = sum(item.rows for item in outcome.fetched)
            groups = sum(item.groups for item in outcome.fetched)
            moved = sum(item.bytes for item in outcome.fetched)
            click.echo(f"{pilot.slug}: refreshed ({rows} rows as {groups} groups, {moved} bytes)")
        else:
            failed.append(pilot.slug)
            for message in outcome.errors.values():
                click.echo(f"{pilot.slug}: unchanged: {message}", err=True)
    if failed:
        raise click.ClickException(f"not refreshed: {', '.join(failed)} (earlier data kept)")


def _pilot_or_fail(slug: str) -> Pilot:
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == slug))
    if pilot is None:
        fail(f"there is no pilot '{slug}'")
    return pilot


def _source_or_fail(name: str) -> DataSource:
    source = services.source_named(name)
    if source is None:
        fail(f"there is no data source '{name}'")
    return source
