"""A refresh from a DuckDB source moves sums, not rows: bytes, groups and times at 1M and more.

    python bench/sources.py --rows 1000000 --rows 100000000

For each size the observations are generated inside DuckDB with range() (never
in Python): 365 days, two groups, two periods. The pilot's mean metric is fed
by one SELECT; the script prints the rows the query covers, the groups and bytes
the refresh fetched, the refresh time and the analysis time afterwards.
"""

from __future__ import annotations

import argparse
import tempfile
import textwrap
import time
from pathlib import Path

import duckdb
from cryptography.fernet import Fernet
from sqlalchemy import select

from testbed import create_app
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.pilots.models import Pilot
from testbed.results.services import analyse_pilot
from testbed.sources import services

PILOT = """\
name = "Warehouse-fed pilot"
status = "active"
start_date = 2025-01-01
departments = ["Operations"]

[partner]
name = "Bench partner"

[[metrics]]
key = "handle_time"
name = "Handle time"
kind = "mean"
direction = "decrease"

[[hypotheses]]
key = "H1"
statement = "Pilot agents handle calls faster."
metric = "handle_time"
role = "primary"

[[iterations]]
number = 1
"""
QUERY = 'SELECT "group", period, iteration, date, value FROM calls'


def warehouse(path: Path, rows: int) -> None:
    connection = duckdb.connect(str(path))
    connection.execute(
        f"""CREATE TABLE calls AS SELECT
            CASE WHEN i % 2 = 0 THEN 'pilot' ELSE 'baseline' END AS "group",
            CASE WHEN i % 5 = 0 THEN 'pre' ELSE 'post' END AS period,
            1 AS iteration,
            DATE '2025-01-01' + CAST(i % 365 AS INTEGER) AS date,
            7.0 + (hash(i) % 1000) / 250.0 - (i % 2) * 0.3 AS value
        FROM range({rows}) t(i)"""
    )
    connection.close()


def measure(rows: int, work: Path) -> dict:
    database = work / f"testbed-{rows}.sqlite"
    source = work / f"calls-{rows}.duckdb"
    folder = work / f"pilot-{rows}"
    folder.mkdir()
    (folder / "pilot.toml").write_text(textwrap.dedent(PILOT))
    started = time.perf_counter()
    warehouse(source, rows)
    generated = time.perf_counter() - started
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SOURCE_KEY": Fernet.generate_key()}
    )
    with app.app_context():
        db.create_all()
        load_path(folder)
        pilot = db.session.scalar(select(Pilot))
        registered = services.register_source("calls", f"duckdb:///{source}", actor="bench")
        services.set_metric_query(pilot.metric("handle_time"), registered, QUERY, actor="bench")
        db.session.commit()
        started = time.perf_counter()
        outcome = services.refresh_pilot(pilot, actor="bench")
        db.session.commit()
        refreshed = time.perf_counter() - started
        assert outcome.ok, outcome.errors
        started = time.perf_counter()
        analyse_pilot(pilot)
        analysed = time.perf_counter() - started
        fetched = outcome.fetched[0]
        return {
            "rows": fetched.rows,
            "groups": fetched.groups,
            "bytes": fetched.bytes,
            "source_mb": source.stat().st_size / 1e6,
            "generate_s": generated,
            "refresh_s": refreshed,
            "analyse_s": analysed,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="repeat for several sizes")
    sizes = parser.parse_args().rows or [1_000_000, 100_000_000]
    print("rows in source | groups fetched | bytes fetched | source file | refresh | analysis")
    with tempfile.TemporaryDirectory() as work:
        for rows in sizes:
            m = measure(rows, Path(work))
            print(
                f"{m['rows']:>14,} | {m['groups']:>14,} | {m['bytes']:>13,} | "
                f"{m['source_mb']:>8.1f} MB | {m['refresh_s']:>6.2f} s | {m['analyse_s']:>7.3f} s"
            )


if __name__ == "__main__":
    main()
