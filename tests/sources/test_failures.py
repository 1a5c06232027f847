"""Every way a refresh can fail says what is wrong and leaves the earlier data in place."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import create_engine, func, select, text

from testbed.audit import AuditEvent
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.pilots.models import Pilot
from testbed.results.services import analyse_pilot
from testbed.sources import services
from testbed.sources.models import MetricQuery
from testbed.sources.query import QueryError, check_select
from testbed.store.models import Aggregate
from tests.sources.conftest import EXPERIMENTS, switch_to_source

SLUG = "vmi-community-hospital"


@pytest.fixture
def fed_pilot(app, make_source):
    """The demo pilot, refreshed once from a SQLite source; returns (pilot, source)."""
    folder = EXPERIMENTS / SLUG
    load_path(folder)
    db.session.commit()
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == SLUG))
    source = services.register_source("warehouse", make_source("sqlite", folder), actor="test")
    switch_to_source(pilot, source)
    assert services.refresh_pilot(pilot, actor="test").ok
    db.session.commit()
    return pilot, source


def stored(pilot: Pilot) -> tuple:
    sums = db.session.execute(
        select(func.count(), func.sum(Aggregate.n), func.sum(Aggregate.sum))
    ).one()
    return tuple(sums), analyse_pilot(pilot)


def refresh_with(pilot: Pilot, sql: str, key: str = "revenue", source=None) -> str:
    """Refresh after replacing one metric's query (stored as is); the error message."""
    query = db.session.scalar(
        select(MetricQuery).where(MetricQuery.metric_id == pilot.metric(key).id)
    )
    query.sql = sql
    if source is not None:
        query.source = source
    db.session.commit()
    before = stored(pilot)
    outcome = services.refresh_pilot(pilot, actor="test")
    db.session.commit()
    assert not outcome.ok
    assert stored(pilot) == before, "the earlier data changed"
    assert query.refresh_error == outcome.errors[key]
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "refresh failed" and outcome.errors[key] in event.summary
    return outcome.errors[key]


def test_bad_sql_gives_the_sources_message(fed_pilot):
    pilot, _ = fed_pilot
    message = refresh_with(pilot, 'SELECT "group", value FROM no_such_table')
    assert message.startswith("revenue: ") and "no such table: no_such_table" in message


def test_a_wrong_column_set_names_the_missing_and_the_extra_columns(fed_pilot):
    pilot, _ = fed_pilot
    message = refresh_with(
        pilot, 'SELECT "group", value AS amount, unit, 1 AS site FROM observations'
    )
    assert "missing column value" in message
    assert "unexpected columns amount, site" in message


@pytest.mark.parametrize(
    "statement, refused",
    [
        ("DELETE FROM observations", "not DELETE"),
        ("SELECT 1; DROP TABLE observations", "more than one statement"),
        ("WITH gone AS (DELETE FROM observations RETURNING *) SELECT * FROM gone", "DELETE"),
        ('SELECT "group", value INTO copy FROM observations', "INTO"),
        ("PRAGMA writable_schema = 1", "not PRAGMA"),
    ],
)
def test_a_statement_that_is_not_one_select_is_refused_before_it_reaches_the_source(
    fed_pilot, statement, refused
):
    pilot, source = fed_pilot
    with pytest.raises(QueryError, match=refused):
        services.set_metric_query(pilot.metric("revenue"), source, statement, actor="test")
    db.session.rollback()
    message = refresh_with(pilot, statement)
    assert refused in message
    rows = create_engine(services.unseal(source.url_sealed))
    with rows.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM observations")).scalar() == 8874
    rows.dispose()


def test_words_inside_strings_and_quoted_names_are_not_refused():
    sql = """SELECT "group", value, 'delete me' AS unit FROM t WHERE note <> 'drop' -- update\n"""
    assert check_select(sql + ";").startswith("SELECT")
    with pytest.raises(QueryError, match=":since"):
        check_select("SELECT * FROM t WHERE date >= :since")


def test_a_query_running_past_the_timeout_is_stopped(fed_pilot):
    pilot, source = fed_pilot
    source.timeout_seconds = 1
    endless = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
        "SELECT 'pilot' AS \"group\", i AS value FROM n"
    )
    message = refresh_with(pilot, endless)
    assert "ran longer than the source's limit of 1 s" in message


def test_a_postgresql_timeout_and_a_write_in_disguise_are_stopped_by_the_source(
    fed_pilot, make_source
):
    pilot, _ = fed_pilot
    url = make_source("postgresql")
    postgres = services.register_source("postgres", url, timeout_seconds=1, actor="test")
    db.session.commit()
    message = refresh_with(
        pilot, "SELECT 'pilot' AS \"group\", 1.0 AS value FROM pg_sleep(5)", source=postgres
    )
    assert "canceling statement due to statement timeout" in message
    assert "ran longer than the source's limit of 1 s" in message
    # A SELECT that writes through a function meets the read-only transaction.
    message = refresh_with(
        pilot,
        "SELECT 'pilot' AS \"group\", length(set_config('work_mem', '1MB', false)) AS value "
        "FROM (SELECT nextval('no_sequence_here')) AS s",
        source=postgres,
    )
    assert "read-only transaction" in message or "no_sequence_here" in message
    assert "Pw-9f3k2-secret" not in message


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_source_says_so_without_its_password(fed_pilot):
    pilot, source = fed_pilot
    port = closed_port()
    source.url_sealed = services.seal(
        services.parse_url(f"postgresql://reader:Pw-9f3k2-secret@127.0.0.1:{port}/warehouse")
    )
    message = refresh_with(pilot, 'SELECT "group", value FROM observations')
    assert "Connection refused" in message or "connection refused" in message.lower()
    assert str(port) in message and "Pw-9f3k2-secret" not in message


def test_registering_an_unreachable_source_is_refused(app):
    port = closed_port()
    with pytest.raises(services.SourceError, match="refused") as raised:
        services.register_source(
            "down", f"postgresql://reader:Pw-9f3k2-secret@127.0.0.1:{port}/x", actor="test"
        )
    assert "Pw-9f3k2-secret" not in str(raised.value)


def test_a_mariadb_timeout_is_stopped_by_the_source(fed_pilot, make_source):
    pilot, _ = fed_pilot
    mariadb = services.register_source(
        "mariadb", make_source("mariadb"), timeout_seconds=1, actor="test"
    )
    db.session.commit()
    message = refresh_with(
        pilot, "SELECT 'pilot' AS `group`, SLEEP(5) + 1.0 AS value FROM DUAL", source=mariadb
    )
    assert "max_statement_time" in message
    assert "ran longer than the source's limit of 1 s" in message
