"""The planning page: prefilled from a pilot's hypotheses, the plan for what is sent."""

from __future__ import annotations

import re

import numpy as np
import pytest
from markupsafe import escape
from sqlalchemy import select

from analysis.planning import plan_pilot
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.models import Pilot
from testbed.results import services
from testbed.results.views import number

NOT_STARTED_TOML = """\
    name = "Call-back pilot"
    status = "draft"

    [partner]
    name = "Harbour Dental"

    [[metrics]]
    key = "wait"
    name = "Waiting time"
    kind = "mean"
    direction = "decrease"
    unit = "minutes"

    [[metrics]]
    key = "fta"
    name = "Failure to attend"
    kind = "proportion"
    direction = "decrease"

    [[hypotheses]]
    key = "G1"
    statement = "Failures to attend do not rise."
    metric = "fta"
    role = "guardrail"
    minimum_effect = 0.02

    [[hypotheses]]
    key = "H1"
    statement = "Call-backs cut the wait."
    metric = "wait"
    role = "primary"
    design = "pre_post"
    alpha = 0.01
    minimum_effect = 2.0

    [[iterations]]
    number = 1
    title = "Call-back"
    """

# The baseline's history only: the pilot has not started.
WAITS = [12.0, 15.5, 9.0, 14.0, 11.5, 18.0, 10.0, 13.0]
ATTENDANCE = [1, 0, 0, 0, 1, 0, 0, 0, 0, 0]


def history() -> str:
    rows = ["metric,group,period,value,iteration"]
    rows += [f"wait,pilot,pre,{value},1" for value in WAITS]
    rows += [f"fta,baseline,post,{value},1" for value in ATTENDANCE]
    return "\n".join(rows) + "\n"


@pytest.fixture(autouse=True)
def report_cache(monkeypatch):
    """Reports of this test only: ids and versions repeat across tests."""
    monkeypatch.setattr(services, "_CACHE", {})


@pytest.fixture
def pilot(app, write_pilot, login) -> Pilot:
    load_path(write_pilot(pilot__toml=NOT_STARTED_TOML, observations__csv=history()))
    db.session.commit()
    login("department_head")
    return db.session.scalar(select(Pilot))


def page(client, pilot, **query) -> str:
    response = client.get(f"/pilots/{pilot.slug}/planning", query_string=query)
    assert response.status_code == 200
    return " ".join(response.get_data(as_text=True).split())


def value_of(html: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    return found.group(1) if found else None


def selected(html: str, name: str) -> str:
    select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    return re.search(r'<option selected value="([^"]*)"', select_html).group(1)


def sentence(text: str) -> str:
    return str(escape(text))


def test_the_page_is_prefilled_from_the_primary_hypothesis_and_its_baseline(client, pilot):
    html = page(client, pilot)
    sd = float(np.std(WAITS, ddof=1))
    assert value_of(html, "minimum_effect") == "2"
    assert value_of(html, "alpha") == "0.01"
    assert float(value_of(html, "sd")) == pytest.approx(sd, rel=1e-5)
    assert float(value_of(html, "baseline_mean")) == pytest.approx(np.mean(WAITS), rel=1e-5)
    assert (selected(html, "design"), selected(html, "direction")) == ("pre_post", "decrease")
    plan = plan_pilot(2.0, sd=float(value_of(html, "sd")), alpha=0.01, design="pre_post")
    n = plan.n_per_group
    assert sentence(f"The pilot group needs {n:,} observations before the pilot and {n:,}") in html


def test_a_proportion_hypothesis_prefills_the_baseline_share(client, pilot):
    html = page(client, pilot, hypothesis="G1")
    assert selected(html, "kind") == "proportion"
    assert float(value_of(html, "baseline_proportion")) == pytest.approx(0.2, rel=1e-9)
    # Lower is better, so the effect to detect is a fall from 20% to 18%.
    plan = plan_pilot(-0.02, baseline_proportion=0.2, alpha=0.05)
    assert f"Each group needs {plan.n_per_group:,} observations" in html


def test_the_plan_follows_the_query_with_weeks_at_the_weekly_volume(client, pilot):
    # d = 0.5 needs 63.77 per group (the published two-sample value): 64, 4 weeks at 16.
    html = page(client, pilot, minimum_effect=5, sd=10, weekly_per_group=16)
    assert "Each group needs 64 observations (128 in all)." in html
    assert "about <strong>4 weeks</strong>" in html


def test_a_clustered_did_shows_clusters_and_both_periods(client, pilot):
    query = {"design": "did", "minimum_effect": 2, "sd": 10, "icc": 0.05, "cluster_size": 20}
    html = page(client, pilot, **query, cluster_autocorrelation=0.5, weekly_per_group=100)
    plan = plan_pilot(
        2, sd=10, design="did", icc=0.05, cluster_size=20, cluster_autocorrelation=0.5
    )
    n = plan.n_per_group
    assert f"Each group needs {plan.clusters_per_group} clusters of 20 observations" in html
    assert f"{n:,} observations per group in the period before and {n:,} in the pilot" in html
    weeks = number(n / 100, 2)
    assert (
        f"about <strong>{weeks} weeks</strong>, after about {weeks} weeks of observations" in html
    )


def test_fields_left_empty_take_their_defaults(client, pilot):
    html = page(client, pilot, design="did", minimum_effect=5, sd=10, alpha="", cluster_size="")
    plan = plan_pilot(5, sd=10, design="did")
    assert f"Each group needs {plan.clusters_per_group} clusters:" in html
    assert "α = 0.05 two-sided" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"minimum_effect": 2, "sd": -1}, "Must be more than 0."),
        ({"minimum_effect": 2, "sd": "nan"}, "Must be a number (not infinity or NaN)."),
        ({"minimum_effect": 2}, "Give the standard deviation of one observation."),
        ({"minimum_effect": 2, "sd": 3, "power": 1.5}, "Must lie in (0, 1)."),
        (
            {"minimum_effect": 0.5, "kind": "proportion", "baseline_proportion": 0.8},
            "outside 0 to 1",
        ),
    ],
)
def test_unusable_values_are_refused_with_the_reason_and_no_plan(client, pilot, query, message):
    html = page(client, pilot, **query)
    assert sentence(message) in html
    assert "The plan</h3>" not in html


def test_an_incomplete_prefill_asks_for_values_without_calling_them_wrong(
    client, loaded_pilot, login
):
    # The minimal pilot's hypothesis has no minimum effect: nothing to plan yet.
    login("finance")
    html = page(client, loaded_pilot)
    assert "Fill in the spread (or proportion) and the minimum effect" in html
    assert 'class="error"' not in html
    assert value_of(html, "minimum_effect") == ""


def test_the_pilot_page_links_to_the_planning_page(client, pilot):
    html = client.get(f"/pilots/{pilot.slug}").get_data(as_text=True)
    assert f'href="/pilots/{pilot.slug}/planning"' in html
