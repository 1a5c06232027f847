"""Migration 0008 builds the scorecard's tables and takes them away again, on either backend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from testbed.extensions import db
from tests.conftest import drop_everything

TABLES = {"indicator", "measurement", "indicator_link", "pilot_indicator"}


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_0008_upgrades_downgrades_and_upgrades_again(at_0005, runner):
    assert not TABLES & table_names()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert table_names() >= TABLES
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO indicator (id, key, name, description, perspective, direction, unit,"
                " cadence, created_at, updated_at) VALUES (1, 'nps', 'NPS', '', 'customer',"
                " 'increase', '', 'monthly', '2025-01-01', '2025-01-01')"
            )
        )
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO indicator (id, key, name, description, perspective, direction, unit,"
                " cadence, created_at, updated_at) VALUES (2, 'ces', 'CES', '', 'feelings',"
                " 'increase', '', 'monthly', '2025-01-01', '2025-01-01')"
            )
        )
    result = runner.invoke(args=["db", "downgrade", "0005"])
    assert result.exit_code == 0, result.output
    assert not TABLES & table_names()
    assert "pilot" in table_names()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert table_names() >= TABLES


@pytest.fixture
def schema_restored(app):
    """The demo migrates the shared PostgreSQL schema: leave no revision behind for others."""
    yield
    drop_everything()
    db.create_all()


def test_the_demo_has_the_scorecard_and_links_its_pilots(runner, schema_restored):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    from testbed.scorecard import services

    assert len(services.indicators()) == 8 and len(services.links()) == 7
    nps = services.indicator_named("nps")
    assert {p.slug for p in services.pilots_moving(nps)} == {
        "dental-reminders",
        "vmi-community-hospital",
    }
