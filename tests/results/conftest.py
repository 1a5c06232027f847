"""Fixtures of the results tests that load the charts' example pilot."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.models import Pilot
from testbed.results import services
from tests.results.test_charts import PILOT_TOML, observations


@pytest.fixture
def chart_cache(app, tmp_path, monkeypatch):
    """Charts and reports of this test only: ids and versions repeat across tests."""
    app.config["CHART_CACHE_DIR"] = str(tmp_path / "charts")
    monkeypatch.setattr(services, "_CACHE", {})
    return tmp_path / "charts"


@pytest.fixture
def make_pilot(write_pilot):
    """Loads the example pilot, with any of its files replaced (``pilot__toml=...``)."""

    def make(**files) -> Pilot:
        files.setdefault("pilot__toml", PILOT_TOML)
        files.setdefault("observations__csv", observations())
        load_path(write_pilot(**files))
        db.session.commit()
        return db.session.scalar(select(Pilot))

    return make
