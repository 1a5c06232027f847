"""Raw rows are read through the one (batch, metric) index on observations."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.pilots.models import Pilot
from testbed.store.queries import raw_rows, raw_rows_query

OBSERVATIONS = """\
    metric,group,value
    wait,baseline,{first}
    wait,pilot,{second}
    """


def load(write_pilot, name: str, **files: str) -> Pilot:
    load_path(write_pilot(name, **files))
    db.session.commit()
    return db.session.scalar(select(Pilot).where(Pilot.slug == name))


def wait_time(pilot: Pilot):
    return next(metric for metric in pilot.metrics if metric.key == "wait")


def test_raw_rows_hold_every_batch_of_the_pilot_in_file_order_and_no_other_pilot(app, write_pilot):
    pilot = load(
        write_pilot,
        "reminders",
        observations__csv=OBSERVATIONS.format(first=1, second=2),
        observations_later__csv=OBSERVATIONS.format(first=3, second=4),
    )
    load(write_pilot, "other", observations__csv=OBSERVATIONS.format(first=50, second=60))

    rows = raw_rows(wait_time(pilot), "value", "group")

    assert rows["value"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert rows["group"].tolist() == ["baseline", "pilot", "baseline", "pilot"]


def test_raw_rows_are_found_by_the_index_without_sorting(app, loaded_pilot):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plan")
    query = raw_rows_query(wait_time(loaded_pilot), "value")
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))

    plan = " / ".join(row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))

    assert "USING INDEX ix_observation_batch_metric (batch_id=? AND metric_id=?)" in plan
    assert "TEMP B-TREE" not in plan
