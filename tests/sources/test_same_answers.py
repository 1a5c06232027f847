"""A pilot fed by a data source gives the answers it gives when loaded from its folder.

Each demo pilot below exercises another path: vmi-community-hospital a
difference-in-differences (raw rows) and an interrupted time series (daily sums),
knowledge-base-contacts a ratio with covariates (CUPED) and quantiles of a metric
without a scale (raw rows), callcentre-occupancy a threshold design (raw rows,
paired by unit and date) and a bounded score (value counts).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.pilots.models import Pilot
from testbed.results.services import analyse_pilot
from testbed.sources import services
from testbed.store.models import Aggregate, ImportBatch, Observation
from tests.sources.conftest import EXPERIMENTS, assert_same, switch_to_source

PILOTS = ("vmi-community-hospital", "knowledge-base-contacts", "callcentre-occupancy")


def report(pilot: Pilot) -> dict:
    # Through JSON, as `testbed analyze --json` prints it.
    return json.loads(json.dumps(analyse_pilot(pilot), allow_nan=False))


@pytest.mark.parametrize("kind", ["sqlite", "duckdb", "postgresql", "mariadb"])
@pytest.mark.parametrize("slug", PILOTS)
def test_a_pilot_fed_by_a_source_gives_the_answers_of_its_folder(app, make_source, kind, slug):
    folder = EXPERIMENTS / slug
    load_path(folder)
    db.session.commit()
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == slug))
    from_files = report(pilot)
    url = make_source(kind, folder)
    source = services.register_source(f"{kind} warehouse", url, actor="test")
    switch_to_source(pilot, source, make_source.table)

    outcome = services.refresh_pilot(pilot, actor="test")
    db.session.commit()

    assert outcome.ok, outcome.errors
    assert_same(from_files, report(pilot))
    batches = db.session.scalars(select(ImportBatch).where(ImportBatch.pilot_id == pilot.id)).all()
    assert {batch.origin for batch in batches} == {"source"}


def test_only_sums_travel_for_designs_that_read_sums(app, make_source):
    folder = EXPERIMENTS / "knowledge-base-contacts"
    load_path(folder)
    db.session.commit()
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == "knowledge-base-contacts"))
    source = services.register_source("duck", make_source("duckdb", folder), actor="test")
    switch_to_source(pilot, source)

    outcome = services.refresh_pilot(pilot, actor="test")
    db.session.commit()

    by_metric = {item.query.metric.key: item for item in outcome.fetched}
    summed = by_metric["cost_per_contact"]
    assert summed.chunks is None and summed.groups < summed.rows / 5
    # Resolution time has quantiles and no scale: its rows are needed and fetched.
    assert by_metric["resolution_time"].chunks is not None
    stored = db.session.scalar(
        select(func.count())
        .select_from(Observation)
        .where(Observation.metric_id == pilot.metric("cost_per_contact").id)
    )
    assert stored == 0


def test_a_refresh_is_idempotent(app, make_source):
    folder = EXPERIMENTS / "vmi-community-hospital"
    load_path(folder)
    db.session.commit()
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == "vmi-community-hospital"))
    source = services.register_source("duck", make_source("duckdb", folder), actor="test")
    switch_to_source(pilot, source)
    services.refresh_pilot(pilot, actor="test")
    db.session.commit()
    first = report(pilot)
    counts = [
        db.session.scalar(select(func.count()).select_from(m)) for m in (Aggregate, Observation)
    ]

    services.refresh_pilot(pilot, actor="test")
    db.session.commit()

    # The same sums again: the databases may add them in another order, which can
    # move the last bits of a float, so equal means equal to the contract's 1e-9.
    assert_same(first, report(pilot))
    assert [
        db.session.scalar(select(func.count()).select_from(m)) for m in (Aggregate, Observation)
    ] == counts
