"""Confirmatory and exploratory hypotheses: who is in the correction family, and who is told."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sqlalchemy import select
from statsmodels.stats.multitest import multipletests

from testbed.api.auth import create_token
from testbed.auth.models import User
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.models import Hypothesis, Pilot
from testbed.results import services
from testbed.results.services import analyse_pilot
from testbed.results.verdicts import EXPLORATORY, outcome, verdict

PILOT_TOML = """\
    name = "Knowledge base"
    status = "active"
    start_date = 2025-03-01

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

    [[hypotheses]]
    key = "H3"
    statement = "Resolution rises, by the posterior."
    metric = "fcr"
    role = "secondary"
    method = "bayesian"
    """


def observations(seed: int = 11) -> str:
    rng = np.random.default_rng(seed)
    columns = {
        ("handle", "baseline"): rng.normal(9.0, 2.0, 120).round(2),
        ("handle", "pilot"): rng.normal(8.4, 2.0, 130).round(2),
        ("fcr", "baseline"): (rng.random(300) < 0.60).astype(int),
        ("fcr", "pilot"): (rng.random(300) < 0.68).astype(int),
        # A small effect: its p-value is the largest, so in the family it would
        # raise the others' Holm adjustments.
        ("csat", "baseline"): rng.normal(4.20, 0.6, 200).round(2),
        ("csat", "pilot"): rng.normal(4.32, 0.6, 200).round(2),
    }
    lines = ["metric,group,value"]
    for (metric, group), values in columns.items():
        lines += [f"{metric},{group},{v!r}" for v in values.tolist()]
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def fresh_reports(app, tmp_path, monkeypatch):
    """Reports of this test only: ids and versions repeat across test databases."""
    app.config["CHART_CACHE_DIR"] = str(tmp_path / "charts")
    monkeypatch.setattr(services, "_CACHE", {})


@pytest.fixture
def pilot(app, write_pilot) -> Pilot:
    """H1 to H3 stated in the folder with their data: confirmatory."""
    load_path(write_pilot(pilot__toml=PILOT_TOML, observations__csv=observations()))
    db.session.commit()
    return db.session.scalar(select(Pilot))


def hypothesis_form(pilot: Pilot, **overrides) -> dict:
    data = {
        "version": str(pilot.version),
        "key": "H4",
        "statement": "Satisfaction rises.",
        "metric": "pilot:csat",
        "role": "secondary",
        "design": "concurrent",
        "method": "fixed",
        "alpha": "0.05",
        "minimum_effect": "",
        "predictor": "",
        "metric_kind": "mean",
        "metric_direction": "increase",
        "metric_indicator": "lagging",
        "metric_perspective": "customer",
    }
    return {**data, **overrides}


@pytest.fixture
def registered_late(pilot, client, login) -> Pilot:
    """H4 registered on the web form once csat has data: exploratory."""
    login("innovation")
    response = client.post(f"/pilots/{pilot.slug}/hypotheses/new", data=hypothesis_form(pilot))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    return pilot


def by_key(report: dict) -> dict:
    return {r["hypothesis"]: r for r in report["results"]}


def text(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def card(html: str, key: str) -> str:
    start = html.rindex("<article", 0, html.index(f'id="hypothesis-{key}"'))
    return html[start : html.index("</article>", start)]


def test_a_hypothesis_stated_with_its_data_in_a_folder_is_confirmatory(pilot):
    assert {h.key: h.registration for h in pilot.hypotheses} == {
        "H1": "confirmatory",
        "H2": "confirmatory",
        "H3": "confirmatory",
    }


def test_registered_on_the_form_after_its_data_it_is_exploratory(registered_late):
    h4 = db.session.scalar(select(Hypothesis).where(Hypothesis.key == "H4"))
    assert h4.locked_at is not None
    assert h4.registration == "exploratory"


@pytest.mark.parametrize("correction", ["holm", "bh"])
def test_exploratory_and_bayesian_results_stay_out_of_the_correction(registered_late, correction):
    results = by_key(analyse_pilot(registered_late, correction))
    assert results["H4"]["registration"] == "exploratory"
    assert results["H4"]["p_value"] is not None
    assert results["H4"]["p_value_adjusted"] is None
    assert results["H3"]["method"] == "bayesian" and results["H3"]["p_value_adjusted"] is None
    # The family is the confirmatory frequentist hypotheses only: statsmodels
    # adjusting H1 and H2 alone gives what the report gives.
    family = [results["H1"]["p_value"], results["H2"]["p_value"]]
    method = {"holm": "holm", "bh": "fdr_bh"}[correction]
    _, expected, _, _ = multipletests(family, method=method)
    adjusted = [results["H1"]["p_value_adjusted"], results["H2"]["p_value_adjusted"]]
    assert_allclose(adjusted, expected, rtol=1e-12)
    # H4 would have changed them: with it, Holm multiplies the smallest by three.
    _, with_h4, _, _ = multipletests([*family, results["H4"]["p_value"]], method=method)
    assert not np.allclose(with_h4[:2], expected)


def test_the_results_page_labels_each_hypothesis_and_tells_the_truth(registered_late, client):
    html = text(client.get(f"/pilots/{registered_late.slug}/results"))
    assert "Every hypothesis was stated before its data arrived" not in html
    assert "3 of 4 hypotheses were stated before their data; H4 is exploratory." in html
    late = card(html, "H4")
    assert "exploratory" in late and "(not adjusted)" in late
    assert "not part of the Holm correction" in late
    assert "confirmatory" in card(html, "H1") and "(adjusted)" in card(html, "H1")
    assert "Bayesian: not part of the Holm correction" in card(html, "H3")


def test_the_results_page_of_a_pilot_stated_before_its_data_says_so(pilot, client, login):
    login("department_head")
    html = text(client.get(f"/pilots/{pilot.slug}/results"))
    assert "Every hypothesis was stated before its data arrived." in html
    assert "exploratory" not in html.replace("exploratory and Bayesian results", "")


def test_the_pilot_page_labels_the_exploratory_hypothesis(registered_late, client):
    html = text(client.get(f"/pilots/{registered_late.slug}"))
    late = card(html, "H4")
    assert "exploratory" in late and "Exploratory: stated after its data arrived" in late
    assert "confirmatory" in card(html, "H1")


def test_analyze_json_names_the_registration(registered_late, runner):
    result = runner.invoke(args=["analyze", registered_late.slug, "--json"])
    assert result.exit_code == 0, result.output
    registrations = {
        r["hypothesis"]: r["registration"] for r in json.loads(result.output)["results"]
    }
    assert registrations == {
        "H1": "confirmatory",
        "H2": "confirmatory",
        "H3": "confirmatory",
        "H4": "exploratory",
    }
    table = runner.invoke(args=["analyze", registered_late.slug])
    assert "Exploratory, p not adjusted." in table.output


@pytest.fixture
def token(app) -> str:
    user = User(email="api@example.org", role="innovation", name="Api", password_hash="!")
    db.session.add(user)
    _, secret = create_token(user, "team system")
    db.session.commit()
    return secret


def test_registered_over_the_api_after_its_data_it_is_exploratory(pilot, client, token):
    headers = {"Authorization": f"Bearer {token}"}
    body = {"statement": "Satisfaction rises.", "metric": "csat", "role": "secondary"}
    created = client.post(f"/api/v1/pilots/{pilot.slug}/hypotheses", headers=headers, json=body)
    assert created.status_code == 201
    assert created.get_json()["registration"] == "exploratory"
    listed = client.get(f"/api/v1/pilots/{pilot.slug}/hypotheses", headers=headers).get_json()
    registrations = {h["key"]: h["registration"] for h in listed["items"]}
    assert registrations["H1"] == "confirmatory" and registrations["H4"] == "exploratory"
    report = client.get(f"/api/v1/pilots/{pilot.slug}/results", headers=headers).get_json()
    late = by_key(report)["H4"]
    assert (late["registration"], late["p_value_adjusted"]) == ("exploratory", None)
    assert by_key(report)["H1"]["p_value_adjusted"] is not None


def test_the_openapi_document_describes_the_registration(client):
    components = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("Hypothesis", "HypothesisResult"):
        field = components[name]["properties"]["registration"]
        assert field["enum"] == ["confirmatory", "exploratory"]
        assert "registration" in components[name]["required"]


def test_an_exploratory_finding_says_it_is_a_lead_where_its_verdict_is_read(registered_late):
    # H4 is the same satisfaction test whichever way it was registered: only the wording of
    # a finding changes, never the numbers or the outcome the decision reads.
    results = by_key(analyse_pilot(registered_late, "holm"))
    late = results["H4"]
    metric = next(h.metric for h in registered_late.hypotheses if h.key == "H4")
    as_confirmatory = {**late, "registration": "confirmatory", "p_value_adjusted": late["p_value"]}
    found = outcome(late)
    sentence, plain = verdict(late, metric), verdict(as_confirmatory, metric)
    if found in ("improved", "worse"):
        assert sentence.startswith(found.title() + EXPLORATORY + ":")
        assert sentence.replace(EXPLORATORY, "") == plain
    else:
        assert sentence == plain
    forced = {**late, "p_value": 1e-9, "absolute": {**late["absolute"], "estimate": 1.0}}
    assert outcome(forced) == "improved"
    assert verdict(forced, metric).startswith("Improved (exploratory: stated after its data")
    confirmed = {**forced, "registration": "confirmatory", "p_value_adjusted": 1e-9}
    assert verdict(confirmed, metric).startswith("Improved: ")
