"""Hypothesis results through the whole path: folder → store → statistics → report."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sqlalchemy import select

from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.models import Pilot
from testbed.results.services import analyse_pilot

PILOT_TOML = """\
    name = "Knowledge base"
    status = "active"
    start_date = 2025-03-01
    pilot_share = 0.5

    [partner]
    name = "Northwind"

    [[metrics]]
    key = "handle"
    name = "Handle time"
    kind = "mean"
    direction = "decrease"
    unit = "min"

    [[metrics]]
    key = "fcr"
    name = "First-contact resolution"
    kind = "proportion"
    direction = "increase"

    [[metrics]]
    key = "csat"
    name = "Satisfaction"
    kind = "mean"
    direction = "increase"

    [[metrics]]
    key = "empty"
    name = "Never measured"
    kind = "mean"
    direction = "increase"

    [[hypotheses]]
    key = "H1"
    statement = "Handle time falls."
    metric = "handle"
    role = "primary"

    [[hypotheses]]
    key = "H2"
    statement = "Resolution rises."
    metric = "fcr"
    role = "secondary"
    method = "bayesian"

    [[hypotheses]]
    key = "G1"
    statement = "Satisfaction does not drop by more than 0.3."
    metric = "csat"
    role = "guardrail"
    minimum_effect = 0.3

    [[hypotheses]]
    key = "H3"
    statement = "Something never measured."
    metric = "empty"
    role = "secondary"
    """


def observations(seed: int = 3) -> tuple[str, dict]:
    rng = np.random.default_rng(seed)
    data = {
        ("handle", "baseline"): rng.normal(9.0, 2.0, 120).round(2),
        ("handle", "pilot"): rng.normal(8.0, 2.0, 130).round(2),
        ("fcr", "baseline"): (rng.random(400) < 0.60).astype(int),
        ("fcr", "pilot"): (rng.random(400) < 0.70).astype(int),
        ("csat", "baseline"): rng.normal(4.2, 0.6, 200).round(2),
        ("csat", "pilot"): rng.normal(4.25, 0.6, 200).round(2),
    }
    lines = ["metric,group,value"]
    for (metric, group), values in data.items():
        lines += [f"{metric},{group},{v!r}" for v in values.tolist()]
    return "\n".join(lines) + "\n", data


@pytest.fixture
def report(app, write_pilot):
    csv, data = observations()
    load_path(write_pilot(pilot__toml=PILOT_TOML, observations__csv=csv))
    db.session.commit()
    return analyse_pilot(db.session.scalar(select(Pilot))), data


def by_key(report: dict) -> dict:
    return {r["hypothesis"]: r for r in report["results"]}


def test_every_result_has_the_documented_fields(report):
    result, _ = report
    required = {
        "hypothesis",
        "metric",
        "kind",
        "design",
        "method",
        "role",
        "baseline",
        "pilot",
        "absolute",
        "relative",
        "statistic",
        "df",
        "p_value",
        "p_value_adjusted",
        "verdict",
    }
    for entry in result["results"]:
        assert required <= set(entry)
    assert {"chance_to_beat_baseline", "expected_loss"} <= set(by_key(result)["H2"])
    json.dumps(result, allow_nan=False)  # no NaN or infinity anywhere


def test_a_mean_metric_matches_welch_on_the_raw_rows(report):
    result, data = report
    h1 = by_key(result)["H1"]
    baseline, pilot = data[("handle", "baseline")], data[("handle", "pilot")]
    welch = stats.ttest_ind(pilot, baseline, equal_var=False)
    assert_allclose(h1["absolute"]["estimate"], pilot.mean() - baseline.mean(), rtol=1e-10)
    assert_allclose([h1["statistic"], h1["p_value"]], [welch.statistic, welch.pvalue], rtol=1e-8)
    interval = welch.confidence_interval(0.95)
    assert_allclose(
        [h1["absolute"]["ci_low"], h1["absolute"]["ci_high"]],
        [interval.low, interval.high],
        rtol=1e-8,
    )
    assert h1["baseline"]["n"] == 120 and h1["pilot"]["n"] == 130
    assert_allclose(h1["pilot"]["sd"], pilot.std(ddof=1), rtol=1e-10)


def test_holm_adjusts_primary_and_secondary_but_not_guardrails_or_bayesian_results(report):
    result, _ = report
    results = by_key(result)
    h1, h2, g1 = results["H1"], results["H2"], results["G1"]
    assert g1["p_value_adjusted"] is None
    # H2 is Bayesian: a posterior chance, no p-value to adjust, so H1 is tested
    # alone and Holm leaves its p-value as it is.
    assert h2["method"] == "bayesian" and h2["p_value_adjusted"] is None
    assert_allclose(h1["p_value_adjusted"], h1["p_value"], rtol=1e-12)


def test_verdicts_say_improved_holds_and_why_nothing_could_be_judged(report):
    result, _ = report
    results = by_key(result)
    assert results["H1"]["verdict"].startswith("Improved: Handle time went down")
    assert results["G1"]["verdict"].startswith("Guardrail holds")
    assert results["H3"]["verdict"] == (
        "Not enough data to judge: the baseline group has no post-period observations of 'empty'."
    )
    assert results["H3"]["absolute"] is None and results["H3"]["p_value"] is None


def test_the_bayesian_chance_respects_the_metric_direction(report):
    result, _ = report
    h2 = by_key(result)["H2"]
    assert h2["absolute"]["estimate"] > 0
    assert 0.5 < h2["chance_to_beat_baseline"] <= 1.0


@pytest.mark.parametrize(
    "rows",
    [
        "metric,group,value\nhandle,baseline,9\nhandle,pilot,8\nhandle,pilot,7\n",
        "metric,group,value\nhandle,baseline,9\nhandle,baseline,9\nhandle,pilot,7\nhandle,pilot,7\n",
    ],
    ids=["one-baseline-row", "no-variance"],
)
def test_degenerate_data_gives_a_message_never_a_crash(app, write_pilot, rows):
    load_path(write_pilot(pilot__toml=PILOT_TOML, observations__csv=rows))
    result = by_key(analyse_pilot(db.session.scalar(select(Pilot))))["H1"]
    assert result["verdict"].startswith("Not enough data to judge")
    assert result["error"]
    assert not any(isinstance(v, float) and math.isnan(v) for v in result["baseline"].values())
