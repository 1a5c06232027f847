"""Migration 0010 adds the cost of poor service and its claims, and removes them again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from testbed.extensions import db


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


LINE = {
    "id": 1, "key": "healthcare-missed", "segment": "healthcare", "kind": "rework",
    "name": "Missed", "currency": "EUR", "volume": 100.0, "unit_cost": 80.0, "source": "",
    "period": "", "description": "",
}  # fmt: skip


def test_0010_upgrades_downgrades_and_upgrades_again(at_0005, runner):
    assert "poor_service_line" not in table_names()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert {"poor_service_line", "poor_service_claim"} <= table_names()
    metadata = sa.MetaData()
    with db.engine.begin() as connection:
        line = sa.Table("poor_service_line", metadata, autoload_with=connection)
        connection.execute(line.insert(), LINE)
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(line.insert(), {**LINE, "id": 2, "key": "other", "kind": "delays"})
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(line.insert(), {**LINE, "id": 3})  # the same key
    for step in (["downgrade", "0005"], ["upgrade"]):
        result = runner.invoke(args=["db", *step])
        assert result.exit_code == 0, result.output
    assert "poor_service_claim" in table_names()
