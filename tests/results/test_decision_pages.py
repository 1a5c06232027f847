"""A pilot whose guardrail is breached never reads as a clean success: on the portfolio, its
own pages, its champions' department page, finance's pages, the API and ``testbed analyze``."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from testbed.api.auth import create_token
from testbed.auth.models import Department, User
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.finance import comparison
from testbed.pilots.models import Pilot
from testbed.results import services, summaries
from testbed.results.services import analyse_pilot

# Handle time falls by a minute; the guardrail on repeat calls has a margin of `margin`.
GAMED_TOML = """\
    name = "Handle-time targets"
    status = "active"
    start_date = 2025-01-06
    departments = ["Customer Service"]

    [partner]
    name = "Fernhill Mutual"
    segment = "insurance"

    [[metrics]]
    key = "aht"
    name = "Average handle time"
    kind = "mean"
    direction = "decrease"
    unit = "minutes"

    [[metrics]]
    key = "repeat_contact"
    name = "Customers calling again"
    kind = "proportion"
    direction = "decrease"

    [[hypotheses]]
    key = "H1"
    statement = "Team targets cut handle time by half a minute."
    metric = "aht"
    role = "primary"
    minimum_effect = -0.5

    [[hypotheses]]
    key = "G1"
    statement = "No more customers call again."
    metric = "repeat_contact"
    role = "guardrail"
    minimum_effect = {margin}

    [[iterations]]
    number = 1
    title = "Team targets"

    [finance]
    currency = "EUR"
    discount_rate = 0.08
    horizon_years = 3

    [[finance.costs]]
    item = "Bonus pool"
    amount = 1000
    year = 1
    recurring = true

    [[finance.benefits]]
    metric = "aht"
    value_per_unit = 0.6
    volume_per_year = 200000

    [[finance.programmes]]
    name = "Replace old switches"
    roi = 0.18
    """


def observations(pilot_repeats: int) -> str:
    """40 calls a group; 4 baseline customers call again, and ``pilot_repeats`` pilot ones."""
    lines = ["metric,group,value"]
    for i in range(40):
        lines.append(f"aht,baseline,{7.6 + (i % 9) / 10:.1f}")
        lines.append(f"aht,pilot,{6.6 + (i % 9) / 10:.1f}")
        lines.append(f"repeat_contact,baseline,{int(i < 4)}")
        lines.append(f"repeat_contact,pilot,{int(i < pilot_repeats)}")
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch):
    # Pilot ids and versions repeat from one test database to the next.
    monkeypatch.setattr(services, "_CACHE", {})
    monkeypatch.setattr(comparison, "_RETURNS", {})


@pytest.fixture
def gamed(app, write_pilot) -> Pilot:
    """Handle time improves with strong evidence; twelve more pilot customers call again."""
    return _load(write_pilot, "gamed", margin="0.02", pilot_repeats=16)


@pytest.fixture
def clean(app, write_pilot) -> Pilot:
    """The same handle time, and as few repeat calls as the baseline: the guardrail holds."""
    return _load(write_pilot, "clean", margin="0.3", pilot_repeats=4)


def _load(write_pilot, slug: str, margin: str, pilot_repeats: int) -> Pilot:
    toml = GAMED_TOML.replace("{margin}", margin)
    if slug == "clean":
        toml = toml.replace("Handle-time targets", "Clean targets").replace("Fernhill", "Elm")
    folder = write_pilot(slug, pilot__toml=toml, observations__csv=observations(pilot_repeats))
    load_path(folder)
    db.session.commit()
    return db.session.scalar(select(Pilot).where(Pilot.slug == slug))


def part(html: str, marker: str, opening: str, closing: str) -> str:
    """The element (``opening`` … ``closing``) around the first ``marker`` in the page."""
    at = html.index(marker)
    start = html.rindex(opening, 0, at)
    return html[start : html.index(closing, at)]


def page(client, address: str) -> str:
    response = client.get(address)
    assert response.status_code == 200, address
    return response.get_data(as_text=True)


def assert_breached_and_never_clean(html: str) -> None:
    assert 'data-guardrails="breached"' in html
    assert "Guardrail breached: G1" in html
    assert 'class="decision decision-iterate">Iterate<' in html
    assert "decision-scale" not in html


def test_the_portfolio_names_the_breach_beside_the_strong_evidence(gamed, clean, client, login):
    login("department_head")
    html = page(client, "/")
    row = part(html, gamed.name, "<tr", "</tr>")
    assert 'strength-strong">Strong</span><br>but <span class="guardrail-mark' in row
    assert_breached_and_never_clean(row)
    assert "change what harms it before scaling" in row
    # The same handle time with its guardrail holding does read as a success.
    other = part(html, clean.name, "<tr", "</tr>")
    assert "decision-scale" in other and "Guardrail breached" not in other


def test_the_pilot_page_shows_the_decision_and_the_breach(gamed, client, login):
    login("department_head")
    html = page(client, f"/pilots/{gamed.slug}")
    panel = part(html, 'data-decision="', "<section", "</section>")
    assert 'data-decision="iterate"' in panel
    assert_breached_and_never_clean(panel)


def test_the_results_page_shows_the_decision(gamed, clean, client, login):
    login("department_head")
    panel = part(
        page(client, f"/pilots/{gamed.slug}/results"), "data-decision", "<section", "</section>"
    )
    assert_breached_and_never_clean(panel)
    html = page(client, f"/pilots/{clean.slug}/results")
    assert 'data-decision="scale"' in part(html, "data-decision", "<section", "</section>")


def test_the_department_page_shows_the_breach_of_a_pilot_it_champions(gamed, client, login):
    department = db.session.scalar(select(Department).where(Department.name == "Customer Service"))
    login("department_head", department=department)
    html = page(client, f"/departments/{department.id}")
    assert_breached_and_never_clean(part(html, gamed.name, "<tr", "</tr>"))


def test_finance_sees_the_breach_beside_a_good_return(gamed, clean, client, login):
    login("finance")
    html = page(client, "/finance")
    row = part(html, gamed.name, "<tr", "</tr>")
    assert_breached_and_never_clean(row)
    assert "decision-scale" in part(html, clean.name, "<tr", "</tr>")
    case = comparison.pilot_case(gamed)
    assert case["returns"]["roi"]["estimate"] > 0  # the return alone would read as a success

    html = page(client, f"/pilots/{gamed.slug}/finance")
    assert_breached_and_never_clean(part(html, "data-decision", "<section", "</section>"))
    assert "Read the returns with the guardrails." in html


def test_the_api_carries_the_decision(gamed, client):
    # No password: an API caller never signs in.
    user = User(email="head-api@example.org", role="department_head", password_hash="!")
    db.session.add(user)
    _, token = create_token(user, "dashboard")
    db.session.commit()
    response = client.get(
        f"/api/v1/pilots/{gamed.slug}/results", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    decision = response.get_json()["decision"]
    assert decision == analyse_pilot(gamed)["decision"]
    assert decision["recommendation"] == "iterate"
    assert "guardrail G1 was breached" in decision["rule"]


def test_the_openapi_document_describes_the_decision(client):
    components = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert "decision" in components["Report"]["required"]
    decision = components["Decision"]
    assert decision["properties"]["recommendation"]["enum"] == [
        "scale",
        "iterate",
        "stop",
        "insufficient",
    ]
    assert set(decision["required"]) == {"recommendation", "rule"}


def test_analyze_prints_the_decision(runner, gamed):
    result = runner.invoke(args=["analyze", gamed.slug, "--json"])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)["decision"]
    assert decision["recommendation"] == "iterate"
    assert decision["rule"].startswith("Iterate: every primary hypothesis improved")
    table = runner.invoke(args=["analyze", gamed.slug])
    assert f"Decision — {decision['rule']}" in table.output


def test_a_stored_report_gives_back_its_decision(gamed, monkeypatch):
    # Stored reports are read only while the code that computed them is unchanged.
    assert "testbed/results/decision.py" in summaries.COMPUTING_CODE
    decision = services.report_for(gamed)["decision"]
    monkeypatch.setattr(services, "_CACHE", {})
    monkeypatch.setattr(services, "analyse_pilot", pytest.fail)
    assert services.report_for(gamed)["decision"] == decision


def test_finance_export_carries_the_decision_beside_the_return(gamed, client, login):
    login("finance")
    text = page(client, "/finance/export.csv").removeprefix("\ufeff")
    (record,) = csv.DictReader(io.StringIO(text))
    assert float(record["ROI"]) > 0
    assert record["Decision"] == "iterate"
    assert record["Guardrails"] == "breached: G1"
    assert record["Decision rule"] == analyse_pilot(gamed)["decision"]["rule"]
