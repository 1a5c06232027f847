"""The demo warehouse: a DuckDB file holding a demo pilot's observations as one table.

It is built from the pilot's observations*.csv files, which
experiments/generate.py writes from fixed seeds, so the warehouse holds
exactly the rows the folder holds.
"""

from __future__ import annotations

from pathlib import Path

from testbed.files.tables import OBSERVATION_COLUMNS

DEMO_PILOT = "vmi-community-hospital"
DEMO_SOURCE = "demo-warehouse"
TABLE = "observations"
TYPES = {
    "metric": "VARCHAR",
    "group": "VARCHAR",
    "period": "VARCHAR",
    "unit": "VARCHAR",
    "date": "DATE",
    "iteration": "INTEGER",
    "value": "DOUBLE",
    "denominator": "DOUBLE",
    "covariate": "DOUBLE",
}


def build_warehouse(path: Path, folder: Path) -> int:
    """(Re)write ``path`` with the observations of the pilot folder; returns the row count."""
    import duckdb

    path.unlink(missing_ok=True)
    connection = duckdb.connect(str(path))
    try:
        columns = ", ".join(f'"{name}" {TYPES[name]}' for name in OBSERVATION_COLUMNS)
        connection.execute(f"CREATE TABLE {TABLE} ({columns})")
        insert = f"INSERT INTO {TABLE} BY NAME SELECT * FROM read_csv(?, all_varchar = true)"  # noqa: S608  # nosec B608 (a constant table name)
        for file in sorted(folder.glob("observations*.csv")):
            connection.execute(insert, [str(file)])
        return connection.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]  # noqa: S608  # nosec B608 (constant)
    finally:
        connection.close()
