"""The demo pilots in experiments/: they load, reload as unchanged, and round-trip."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from testbed import PROJECT_ROOT
from testbed.extensions import db
from testbed.files.export import export_pilot
from testbed.files.loader import load_path
from testbed.models import Pilot
from testbed.results.services import analyse_pilot
from tests.test_cli import snapshot

EXPERIMENTS = PROJECT_ROOT / "experiments"


@pytest.fixture
def demo(app):
    outcomes = load_path(EXPERIMENTS)
    db.session.commit()
    return outcomes


def test_every_demo_pilot_loads_and_a_second_load_changes_nothing(demo):
    assert {o.action for o in demo} == {"created"}
    assert len(demo) == 4
    again = load_path(EXPERIMENTS)
    assert {o.action for o in again} == {"unchanged"}


def test_every_demo_pilot_has_a_verdict_for_every_hypothesis(demo):
    for pilot in db.session.scalars(select(Pilot)):
        report = analyse_pilot(pilot)
        json.dumps(report, allow_nan=False)
        assert all(r["verdict"] for r in report["results"])
        assert not [r["error"] for r in report["results"] if r["error"]], pilot.slug


def test_a_demo_pilot_with_summaries_round_trips_through_export(demo, tmp_path):
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == "dental-reminders"))
    before = snapshot("dental-reminders")
    export_pilot(pilot, tmp_path / "dental-reminders")
    db.session.delete(pilot)
    db.session.commit()
    load_path(tmp_path / "dental-reminders")
    db.session.commit()
    assert snapshot("dental-reminders") == before
