"""Rank tests of scored metrics in the report, the analyze JSON and the results card."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from analysis.scores import EXACT, NORMAL, mann_whitney_from_counts
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.models import Pilot
from testbed.results import services

SCORED_TOML = """\
    name = "Effort survey pilot"
    status = "active"
    start_date = 2025-01-06

    [partner]
    name = "Harbour Dental"

    [[metrics]]
    key = "effort"
    name = "Customer effort"
    kind = "mean"
    direction = "decrease"
    unit = "score 1-7"
    scale = [1, 7]

    [[hypotheses]]
    key = "H1"
    statement = "Call-backs make contact less effortful."
    metric = "effort"
    role = "primary"

    [[iterations]]
    number = 1
    title = "Call-back"
    """

# Eight answers per group, with ties: small enough for the exact test.
BASELINE_SCORES = {3: 2, 4: 3, 5: 2, 6: 1}
PILOT_SCORES = {2: 2, 3: 3, 4: 2, 5: 1}


def scored_observations(baseline=BASELINE_SCORES, pilot=PILOT_SCORES) -> str:
    lines = ["metric,group,value,iteration"]
    for group, scores in (("baseline", baseline), ("pilot", pilot)):
        for score, count in scores.items():
            lines += [f"effort,{group},{score},1"] * count
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def report_cache(monkeypatch):
    """Reports of this test only: ids and versions repeat across tests."""
    monkeypatch.setattr(services, "_CACHE", {})


@pytest.fixture
def scored_pilot(app, write_pilot):
    def make(**scores) -> Pilot:
        folder = write_pilot(
            pilot__toml=SCORED_TOML, observations__csv=scored_observations(**scores)
        )
        load_path(folder)
        db.session.commit()
        return db.session.scalar(select(Pilot))

    return make


def ranks_of(report: dict) -> dict:
    return report["results"][0]["tails"]["mann_whitney"]


def test_analyze_json_names_the_exact_method_for_small_groups(runner, scored_pilot):
    pilot = scored_pilot()
    result = runner.invoke(args=["analyze", pilot.slug, "--json"])
    assert result.exit_code == 0, result.output
    ranks = ranks_of(json.loads(result.output))
    expected = mann_whitney_from_counts(BASELINE_SCORES, PILOT_SCORES)
    assert ranks["method"] == EXACT
    assert ranks["p_value"] == pytest.approx(expected.p_value, rel=1e-12)
    normal = mann_whitney_from_counts(BASELINE_SCORES, PILOT_SCORES, method=NORMAL)
    assert ranks["p_value"] != pytest.approx(normal.p_value, rel=1e-3)


def test_large_groups_are_reported_with_the_normal_approximation(app, scored_pilot):
    baseline = {score: 10 * count for score, count in BASELINE_SCORES.items()}
    pilot = scored_pilot(baseline=baseline, pilot={s: 10 * c for s, c in PILOT_SCORES.items()})
    assert ranks_of(services.analyse_pilot(pilot))["method"] == NORMAL


def test_results_card_shows_how_the_rank_test_was_done(client, login, scored_pilot):
    pilot = scored_pilot()
    login("finance")
    html = client.get(f"/pilots/{pilot.slug}/results").get_data(as_text=True)
    assert "(Mann–Whitney, exact)" in html
