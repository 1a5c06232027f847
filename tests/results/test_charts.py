"""The results page's figures: outcomes, forest rows, series, progress, SVG and its cache."""

from __future__ import annotations

from datetime import date, timedelta
from xml.etree import ElementTree

import pytest

from testbed.extensions import db
from testbed.models import Pilot
from testbed.results import charts
from testbed.results.services import analyse_pilot

START = date(2025, 1, 6)
PRE_DAYS = 14
POST_DAYS = 28
ROWS_PER_DAY = 4
NOISE = (-1.0, 0.0, 1.0, 0.5)

PILOT_TOML = """\
    name = "Call-back pilot"
    status = "active"
    start_date = 2025-01-06
    pilot_share = 0.5

    [partner]
    name = "Harbour Dental"

    [[metrics]]
    key = "wait"
    name = "Waiting time"
    kind = "mean"
    direction = "decrease"
    unit = "minutes"

    [[metrics]]
    key = "cost"
    name = "Cost per contact"
    kind = "ratio"
    direction = "decrease"
    unit = "EUR per contact"

    [[hypotheses]]
    key = "H1"
    statement = "Call-backs cut the wait."
    metric = "wait"
    role = "primary"

    [[hypotheses]]
    key = "G1"
    statement = "The cost per contact does not rise by more than one euro."
    metric = "cost"
    role = "guardrail"
    minimum_effect = 1.0

    [[iterations]]
    number = 1
    start_date = 2025-01-06
    title = "Call-back"

    [[iterations]]
    number = 2
    start_date = 2025-01-20
    title = "Text updates"
    """


def observations(wait_shift: float = -3.0, cost_shift: float = 0.0) -> str:
    """Two weeks before the pilot and four during it; the pilot group moved by the shifts."""
    lines = ["metric,group,period,date,iteration,value,denominator"]
    for offset in range(-PRE_DAYS, POST_DAYS):
        day = START + timedelta(days=offset)
        period = "pre" if offset < 0 else "post"
        iteration = "" if offset < 0 else ("1" if offset < 14 else "2")
        for group in ("baseline", "pilot"):
            moved = group == "pilot" and period == "post"
            for noise in NOISE[:ROWS_PER_DAY]:
                wait = 10 + noise + (wait_shift if moved else 0.0)
                cost = (20 + noise + (cost_shift if moved else 0.0)) * 2
                lines.append(f"wait,{group},{period},{day},{iteration},{wait},")
                lines.append(f"cost,{group},{period},{day},{iteration},{cost},2")
    return "\n".join(lines) + "\n"


# Every test here has charts and reports of its own (tests/results/conftest.py).
pytestmark = pytest.mark.usefixtures("chart_cache")


def result(**fields) -> dict:
    """A report entry with the fields ``outcome`` reads; defaults describe a clear improvement."""
    base = {
        "error": None,
        "role": "primary",
        "design": "concurrent",
        "method": "fixed",
        "direction": "decrease",
        "alpha": 0.05,
        "p_value": 0.001,
        "p_value_adjusted": 0.002,
        "minimum_effect": None,
        "absolute": {"estimate": -2.0, "ci_low": -3.0, "ci_high": -1.0},
    }
    return {**base, **fields}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "improved"),
        ({"absolute": {"estimate": 2.0, "ci_low": 1.0, "ci_high": 3.0}}, "worse"),
        ({"direction": "increase"}, "worse"),
        ({"p_value_adjusted": 0.2}, "unchanged"),
        # The adjusted p decides even when the raw one is small.
        ({"p_value": 0.01, "p_value_adjusted": 0.06}, "unchanged"),
        ({"p_value_adjusted": None, "p_value": 0.01}, "improved"),
        ({"error": "the pilot group has no post-period observations of 'wait'"}, "pending"),
        ({"method": "bayesian", "chance_to_beat_baseline": 0.97}, "improved"),
        ({"method": "bayesian", "chance_to_beat_baseline": 0.5}, "unchanged"),
        ({"method": "bayesian", "chance_to_beat_baseline": 0.02}, "worse"),
        ({"design": "threshold", "p_value": 0.01}, "threshold"),
        ({"design": "threshold", "p_value": 0.3}, "no-threshold"),
        ({"role": "guardrail", "p_value": 0.01, "minimum_effect": 1.0}, "holds"),
        (
            {
                "role": "guardrail",
                "p_value": 0.6,
                "minimum_effect": 1.0,
                "absolute": {"estimate": 1.5, "ci_low": 0.5, "ci_high": 2.5},
            },
            "breached",
        ),
        (
            {
                "role": "guardrail",
                "p_value": 0.2,
                "minimum_effect": 1.0,
                "absolute": {"estimate": 0.3, "ci_low": -0.5, "ci_high": 1.1},
            },
            "unshown",
        ),
    ],
)
def test_the_outcome_follows_the_numbers(fields, expected):
    assert charts.outcome(result(**fields)).key == expected


VERDICT_OPENINGS = {
    "improved": "Improved",
    "unchanged": "No detectable change",
    "worse": "Worse",
    "holds": "Guardrail holds",
    "breached": "Guardrail breached",
    "unshown": "Guardrail not yet shown",
    "threshold": "Threshold found",
    "no-threshold": "No detectable threshold",
    "pending": "Not enough data",
}


@pytest.mark.parametrize(
    ("wait_shift", "cost_shift", "h1", "g1"),
    [
        (-3.0, 0.0, "improved", "holds"),
        (0.0, 0.0, "unchanged", "holds"),
        (3.0, 3.0, "worse", "breached"),
    ],
)
def test_the_outcome_agrees_with_the_verdict_sentence(make_pilot, wait_shift, cost_shift, h1, g1):
    pilot = make_pilot(observations__csv=observations(wait_shift, cost_shift))
    report = analyse_pilot(pilot)
    found = {r["hypothesis"]: charts.outcome(r).key for r in report["results"]}
    assert found == {"H1": h1, "G1": g1}
    for entry in report["results"]:
        assert entry["verdict"].startswith(VERDICT_OPENINGS[found[entry["hypothesis"]]])


def test_the_guardrail_status_names_each_guardrail_by_state():
    report = {
        "results": [
            result(),
            result(role="guardrail", hypothesis="G1", p_value=0.01, minimum_effect=1.0),
            result(role="guardrail", hypothesis="G2", error="no data"),
        ]
    }
    status = charts.guardrail_status(report)
    assert status["state"] == "unshown"
    assert status["holds"] == ["G1"] and status["unshown"] == ["G2"]
    report["results"].append(
        result(
            role="guardrail",
            hypothesis="G3",
            p_value=0.7,
            minimum_effect=0.1,
            absolute={"estimate": 1.0, "ci_low": 0.5, "ci_high": 1.5},
        )
    )
    assert charts.guardrail_status(report)["state"] == "breached"
    assert charts.guardrail_status({"results": [result()]})["state"] == "none"


def test_the_forest_turns_decrease_metrics_so_that_right_is_better(make_pilot):
    pilot = make_pilot()
    report = analyse_pilot(pilot)
    rows, skipped = charts.forest_rows(pilot, report)
    h1 = next(row for row in rows if row.hypothesis == "H1")
    relative = report["results"][0]["relative"]
    assert relative["estimate"] < 0  # the wait fell ...
    assert h1.flipped and h1.estimate == pytest.approx(-relative["estimate"])  # ... plotted right
    assert h1.low == pytest.approx(-relative["ci_high"])
    assert h1.high == pytest.approx(-relative["ci_low"])
    assert skipped == []


def test_the_forest_leaves_out_what_it_cannot_place():
    report = {
        "results": [
            result(hypothesis="H1", metric="wait", error="no data", relative=None),
            result(hypothesis="H2", metric="wait", design="threshold", relative=None),
        ]
    }
    rows, skipped = charts.forest_rows(Pilot(), report)
    assert rows == []
    assert [key for key, _reason in skipped] == ["H1", "H2"]


def test_a_series_has_daily_levels_and_a_ratio_of_sums(make_pilot):
    pilot = make_pilot()
    series = charts.metric_series(pilot, pilot.metric("cost"))
    assert series.step == "day"
    assert len(series.points) == PRE_DAYS + POST_DAYS
    first_post = next(p for p in series.points if p.day == START)
    # Each cost row is (20 + noise) * 2 over 2 contacts: the day's ratio is 20 + mean noise.
    mean_noise = sum(NOISE) / len(NOISE)
    assert first_post.baseline == pytest.approx(20 + mean_noise)
    assert first_post.pilot == pytest.approx(20 + mean_noise)
    wait = charts.metric_series(pilot, pilot.metric("wait"))
    assert next(p for p in wait.points if p.day == START).pilot == pytest.approx(7 + mean_noise)
    assert [(m.day, m.label) for m in series.markers] == [
        (START, "Pilot start · Iteration 1"),
        (date(2025, 1, 20), "Iteration 2"),
    ]


def test_many_days_are_shown_per_week(make_pilot, monkeypatch):
    monkeypatch.setattr(charts, "WEEKLY_ABOVE_DAYS", 10)
    pilot = make_pilot()
    series = charts.metric_series(pilot, pilot.metric("wait"))
    assert series.step == "week"
    assert all(point.day.weekday() == 0 for point in series.points)
    assert len(series.points) == 6  # the two weeks before and the four during
    assert series.points[-1].pilot == pytest.approx(7 + sum(NOISE) / len(NOISE))


def test_progress_compares_each_group_with_its_own_start(make_pilot):
    pilot = make_pilot()
    row = charts.progress(pilot, pilot.metric("wait"))
    mean_noise = sum(NOISE) / len(NOISE)
    assert row.basis == "period"
    assert row.pilot == pytest.approx((10 + mean_noise, 7 + mean_noise))
    assert row.change("pilot") == pytest.approx(-3.0)
    assert row.better("pilot") is True  # lower is better for waiting time
    assert row.change("baseline") == pytest.approx(0.0)


def test_without_a_pre_period_progress_runs_from_the_first_iteration_to_the_latest(make_pilot):
    only_post = "\n".join(line for line in observations().splitlines() if ",pre," not in line)
    pilot = make_pilot(observations__csv=only_post + "\n")
    row = charts.progress(pilot, pilot.metric("wait"))
    assert row.basis == "iterations"
    assert (row.start_label, row.now_label) == ("iteration 1", "iteration 2")
    assert row.pilot == pytest.approx((7 + sum(NOISE) / len(NOISE),) * 2)
    assert row.baseline == pytest.approx((10 + sum(NOISE) / len(NOISE),) * 2)


def test_no_observations_give_no_series_and_no_starting_point(make_pilot):
    pilot = make_pilot(observations__csv=None)
    assert charts.metric_series(pilot, pilot.metric("wait")).points == []
    assert charts.progress(pilot, pilot.metric("wait")).basis is None


def svg_text(svg: bytes) -> str:
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return " ".join(root.itertext())


def test_a_series_chart_is_small_svg_with_its_iteration_markers(make_pilot):
    pilot = make_pilot()
    svg = charts.render_chart(pilot, "series-wait")
    text = svg_text(svg)
    assert "Pilot start · Iteration 1" in text and "Iteration 2" in text
    assert "Pilot group" in text and "Before the pilot" in text
    assert b"<image" not in svg and b"@font-face" not in svg  # text stays text, nothing embedded
    assert len(svg) < 60_000


def test_charts_without_data_are_placeholders(make_pilot):
    pilot = make_pilot(observations__csv=None)
    assert "No results to plot yet" in svg_text(charts.render_chart(pilot, "forest"))
    assert "No dated observations" in svg_text(charts.render_chart(pilot, "series-wait"))


def test_the_same_chart_renders_to_the_same_bytes(make_pilot):
    pilot = make_pilot()
    assert charts.render_chart(pilot, "forest") == charts.render_chart(pilot, "forest")


@pytest.fixture
def renders(monkeypatch):
    """Count the charts actually drawn."""
    calls = []
    draw = charts.render_chart

    def counting(pilot, name):
        calls.append(name)
        return draw(pilot, name)

    monkeypatch.setattr(charts, "render_chart", counting)
    return calls


def test_a_chart_is_drawn_once_per_pilot_version(make_pilot, renders, chart_cache):
    pilot = make_pilot()
    first = charts.chart_svg(pilot, "forest")
    assert charts.chart_svg(pilot, "forest") == first
    assert renders == ["forest"]
    old_files = set(chart_cache.rglob("*.svg"))
    pilot.touch()
    db.session.commit()
    charts.chart_svg(pilot, "forest")
    assert renders == ["forest", "forest"]
    # The earlier version's file is pruned.
    assert not old_files & set(chart_cache.rglob("*.svg"))
    assert len(list(chart_cache.rglob("*.svg"))) == 1


def test_an_unknown_chart_name_is_refused_before_any_file_is_touched(make_pilot, chart_cache):
    pilot = make_pilot()
    for name in ("nope", "series-unknown", "../forest", "series-"):
        with pytest.raises(KeyError):
            charts.chart_svg(pilot, name)
    assert not chart_cache.exists()


def test_chart_names_cover_the_forest_and_every_metric(make_pilot):
    pilot = make_pilot()
    assert charts.chart_names(pilot) == ["forest", "series-wait", "series-cost"]
