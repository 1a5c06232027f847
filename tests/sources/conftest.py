"""Source databases for the data-source tests: SQLite and DuckDB files, a PostgreSQL table.

PostgreSQL sources use TESTBED_TEST_SOURCE_URL, or else TESTBED_TEST_DATABASE_URL
(a table of their own, dropped after the test); without either they are skipped.
"""

from __future__ import annotations

import math
import os
import uuid
from pathlib import Path

import pandas as pd
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, delete, text
from sqlalchemy.engine import make_url

from testbed import PROJECT_ROOT
from testbed.config import normalise_database_url
from testbed.extensions import db
from testbed.sources import services
from testbed.sources.demo import build_warehouse
from testbed.store.models import ImportBatch

EXPERIMENTS = PROJECT_ROOT / "experiments"
POSTGRES_SOURCE = os.environ.get("TESTBED_TEST_SOURCE_URL") or os.environ.get(
    "TESTBED_TEST_DATABASE_URL"
)
# MariaDB/MySQL sources: e.g. mysql+pymysql://root@127.0.0.1:3306/test (skipped without it).
MARIADB_SOURCE = os.environ.get("TESTBED_TEST_MARIADB_URL")
COLUMNS = '"group", period, unit, date, iteration, value, denominator, covariate'


@pytest.fixture(autouse=True)
def source_key(app):
    app.config["SOURCE_KEY"] = Fernet.generate_key().decode()
    return app.config["SOURCE_KEY"]


def observations(folder: Path) -> pd.DataFrame:
    frames = [
        pd.read_csv(file, dtype={"unit": str, "period": str, "group": str, "metric": str})
        for file in sorted(folder.glob("observations*.csv"))
    ]
    frame = pd.concat(frames, ignore_index=True)
    for name in ("period", "unit", "date", "iteration", "denominator", "covariate"):
        if name not in frame:
            frame[name] = None
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    frame["iteration"] = frame["iteration"].astype("Int64")
    return frame


@pytest.fixture
def make_source(tmp_path):
    """A source database of ``kind`` holding ``folder``'s observations in table ``table``;
    returns its URL (with a password for PostgreSQL, which trust auth ignores)."""
    cleanups = []

    def make(kind: str, folder: Path | None = None, table: str = "observations") -> str:
        if kind == "duckdb":
            path = tmp_path / f"{uuid.uuid4().hex}.duckdb"
            if folder is not None:
                build_warehouse(path, folder)
            return f"duckdb:///{path}"
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / (uuid.uuid4().hex + '.sqlite')}"
        elif kind == "mariadb":
            if not MARIADB_SOURCE:
                pytest.skip("no MariaDB source: set TESTBED_TEST_MARIADB_URL")
            url = MARIADB_SOURCE
            table = f"src_{uuid.uuid4().hex[:12]}"
        else:
            if not POSTGRES_SOURCE:
                pytest.skip("no PostgreSQL source: set TESTBED_TEST_SOURCE_URL")
            base = make_url(normalise_database_url(POSTGRES_SOURCE))
            url = base.set(password="Pw-9f3k2-secret").render_as_string(hide_password=False)
            table = f"src_{uuid.uuid4().hex[:12]}"
        engine = create_engine(url)
        if folder is not None:
            with engine.begin() as connection:
                observations(folder).to_sql(table, connection, index=False, chunksize=5000)
        if kind in ("postgresql", "mariadb"):
            cleanups.append((engine, table))
        else:
            engine.dispose()
        make.table = table
        return url

    make.table = "observations"
    yield make
    for engine, table in cleanups:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()


def switch_to_source(pilot, source, table: str = "observations") -> None:
    """Feed every metric of ``pilot`` from ``table`` of ``source`` and drop its file data."""
    columns = COLUMNS
    if source.url_shown.startswith(("mysql", "mariadb")):
        columns = columns.replace('"group"', "`group`")
    for metric in pilot.metrics:
        services.set_metric_query(
            metric,
            source,
            f"SELECT {columns} FROM {table} WHERE metric = '{metric.key}'",
            actor="test",
        )
    db.session.execute(
        delete(ImportBatch).where(ImportBatch.pilot_id == pilot.id, ImportBatch.origin == "file")
    )
    pilot.touch()
    db.session.commit()


def assert_same(expected, actual, where: str = "report", rel: float = 1e-9) -> None:
    """Equal structures; numbers equal to ``rel`` (relative) or 1e-12 (absolute)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and expected.keys() == actual.keys(), where
        for key in expected:
            assert_same(expected[key], actual[key], f"{where}.{key}", rel)
    elif isinstance(expected, list | tuple):
        assert isinstance(actual, list | tuple) and len(expected) == len(actual), where
        for i, (a, b) in enumerate(zip(expected, actual, strict=True)):
            assert_same(a, b, f"{where}[{i}]", rel)
    elif isinstance(expected, float) and not isinstance(expected, bool):
        assert isinstance(actual, int | float), where
        assert math.isclose(expected, actual, rel_tol=rel, abs_tol=1e-12), (
            f"{where}: {expected!r} != {actual!r}"
        )
    else:
        assert expected == actual, f"{where}: {expected!r} != {actual!r}"
