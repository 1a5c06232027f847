"""Fixtures for the reports: the demo pilots, with charts and reports of this test only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from testbed import PROJECT_ROOT
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.finance import comparison
from testbed.pilots.models import Pilot
from testbed.results import services as results_services


@pytest.fixture(autouse=True)
def fresh_caches(app, tmp_path, monkeypatch):
    """Reports, returns and charts are kept by pilot id and version, which repeat across tests."""
    app.config["CHART_CACHE_DIR"] = str(tmp_path / "charts")
    monkeypatch.setattr(results_services, "_CACHE", {})
    monkeypatch.setattr(comparison, "_RETURNS", {})


@pytest.fixture
def demo_pilots(app) -> list[Pilot]:
    """The five demo pilots of experiments/, loaded and committed."""
    load_path(PROJECT_ROOT / "experiments")
    db.session.commit()
    pilots = list(db.session.scalars(select(Pilot).order_by(Pilot.slug)))
    assert len(pilots) == 5
    return pilots


def largest(pilots: list[Pilot]) -> Pilot:
    """The demo pilot with the most hypotheses (then the longest statements): the hardest fit."""
    return max(
        pilots,
        key=lambda p: (len(p.hypotheses), sum(len(h.statement) for h in p.hypotheses)),
    )
