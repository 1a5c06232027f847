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
from testbed.results.decision import guardrail_status
from testbed.results.services import analyse_pilot, report_for
from testbed.results.verdicts import outcome
from tests.test_cli import snapshot

EXPERIMENTS = PROJECT_ROOT / "experiments"


@pytest.fixture
def demo(app):
    outcomes = load_path(EXPERIMENTS)
    db.session.commit()
    return outcomes


def test_every_demo_pilot_loads_and_a_second_load_changes_nothing(demo):
    assert {o.action for o in demo} == {"created"}
    assert len(demo) == 5
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


def test_the_gamed_demo_pilot_breaches_its_guardrail_and_is_never_scaled(demo, client, login):
    reports = {p.slug: report_for(p) for p in db.session.scalars(select(Pilot))}
    gamed = reports["handle-time-targets"]
    outcomes = {r["hypothesis"]: outcome(r) for r in gamed["results"]}
    assert outcomes == {"H1": "improved", "H2": "worse", "G1": "breached"}
    assert gamed["decision"]["recommendation"] in ("stop", "iterate")
    breached = [slug for slug, r in reports.items() if guardrail_status(r["results"])["breached"]]
    assert breached == ["handle-time-targets"]

    login("department_head")
    html = client.get("/").get_data(as_text=True)
    at = html.index("Handle-time targets on the Fernhill claims line")
    row = html[html.rindex("<tr", 0, at) : html.index("</tr>", at)]
    assert "Guardrail breached: G1" in row
    assert "decision-scale" not in row
