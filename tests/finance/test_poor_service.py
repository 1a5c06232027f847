"""The cost of poor service in the application: its edits, pilots' claims, pages and CSV.

The claim's yearly benefit is checked against the raw observations: the
relative fall in the failure-to-attend rate and its delta-method standard
error are worked out here from the counts, then the line's ranges are
simulated directly with numpy.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sqlalchemy import select

from analysis.results import Estimate
from testbed.audit import AuditEvent
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.finance import comparison, poor_service, services
from testbed.finance.models import PoorServiceClaim, PoorServiceLine
from testbed.pilots.models import Pilot
from tests.conftest import MINIMAL_TOML

ACTOR = {"actor": "fiona@example.org"}
# 400 appointments a group: 80 missed without reminders (20 %), 52 with them (13 %).
N, MISSED_BASELINE, MISSED_PILOT = 400, 80, 52
LINE = {
    "key": "healthcare-missed",
    "segment": "healthcare",
    "kind": "rework",
    "name": "Appointments missed and booked again",
    "currency": "EUR",
    "volume": 12_000.0,
    "volume_low": 10_000.0,
    "volume_high": 15_000.0,
    "unit_cost": 80.0,
    "unit_cost_low": 60.0,
    "unit_cost_high": 110.0,
    "source": "Booking system, rebooked slots",
    "period": "2024 financial year",
    "description": "",
}
CASE = """
    [finance]
    currency = "EUR"

    [[finance.costs]]
    item = "SMS gateway"
    amount = 4000
    year = 0

    [[finance.poor_service]]
    line = "healthcare-missed"
    metric = "fta"
    share = 0.25
    description = "A missed appointment is booked again."
    """


def observations() -> str:
    rows = ["metric,group,value,iteration"]
    for group, missed in (("baseline", MISSED_BASELINE), ("pilot", MISSED_PILOT)):
        rows += [f"fta,{group},{int(i < missed)},1" for i in range(N)]
    rows += ["wait,baseline,12,1", "wait,baseline,13,1", "wait,pilot,11,1", "wait,pilot,12,1"]
    return "\n".join(rows) + "\n"


@pytest.fixture
def model(app):
    line = poor_service.add_line(**LINE, **ACTOR)
    db.session.commit()
    return line


@pytest.fixture
def claiming_pilot(model, write_pilot):
    load_path(
        write_pilot("reminders", pilot__toml=MINIMAL_TOML + CASE, observations__csv=observations())
    )
    db.session.commit()
    return db.session.scalar(select(Pilot).where(Pilot.slug == "reminders"))


def independent_claim() -> tuple[float, float, float, float]:
    """The claim's benefit and 95 % interval from the raw counts, and the delta-method SE."""
    pb, pp = MISSED_BASELINE / N, MISSED_PILOT / N
    fall = -(pp / pb - 1)  # 35 %
    var_b, var_p = pb * (1 - pb) / N, pp * (1 - pp) / N
    se = np.sqrt(var_p / pb**2 + pp**2 * var_b / pb**4)
    rng = np.random.default_rng(99)
    n = 1_000_000
    draws = (
        rng.normal(fall, se, n)
        * 0.25
        * rng.triangular(10_000, 12_000, 15_000, n)
        * rng.triangular(60, 80, 110, n)
    )
    low, high = np.quantile(draws, [0.025, 0.975])
    return fall * 0.25 * 12_000 * 80, low, high, se


def test_a_claim_derives_its_benefit_from_the_measured_effect(claiming_pilot):
    case = comparison.pilot_case(claiming_pilot)
    (row,) = case["claims"]
    point, low, high, se = independent_claim()
    assert_allclose(row["counted"]["effect"], MISSED_PILOT / MISSED_BASELINE - 1, rtol=1e-12)
    # The relative interval is symmetric on the normal scale: its SE is recovered exactly.
    assert_allclose(row["counted"]["se"], se, rtol=1e-9)
    assert_allclose(row["yearly"]["estimate"], point, rtol=1e-12)
    assert_allclose(point, 84_000.0, rtol=1e-12)
    width = high - low
    assert abs(row["yearly"]["ci_low"] - low) < 0.03 * width
    assert abs(row["yearly"]["ci_high"] - high) < 0.03 * width
    # The claim is the case's only benefit, so the returns' yearly benefit is the claim's.
    assert case["returns"]["annual_benefit"] == row["yearly"]
    assert_allclose(row["reached"], 0.25 * 12_000 * 80, rtol=1e-12)


def test_the_portfolio_shows_the_cost_and_what_the_pilots_claim(claiming_pilot):
    model = comparison.portfolio()["poor_service"]
    (segment,) = model["segments"]
    assert segment["segment"] == "healthcare"
    assert segment["cost"] == Estimate(960_000.0, 600_000.0, 1_650_000.0)
    assert model["claimed"] == comparison.pilot_case(claiming_pilot)["claims"][0]["yearly"]
    assert model["pilots_claiming"] == 1


def test_the_pages_and_the_csv_state_assumptions_and_intervals(claiming_pilot, client, login):
    login("department_head")
    page = client.get("/finance/poor-service").get_data(as_text=True)
    for text in ("Appointments missed and booked again", "Booking system, rebooked slots",
                 "2024 financial year", "960,000 EUR", "stated range 600,000 to 1,650,000",
                 "Reminder pilot", "95 % interval"):  # fmt: skip
        assert text in page, text
    assert "Add a line" not in page  # department heads read, finance edits
    portfolio = client.get("/finance").get_data(as_text=True)
    assert "Cost of poor service" in portfolio and "960,000 EUR" in portfolio
    pilot_page = client.get("/pilots/reminders/finance").get_data(as_text=True)
    assert "Cuts in the cost of poor service" in pilot_page and "84,000 EUR" in pilot_page

    text = client.get("/pilots/reminders/finance.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = [r for r in csv.reader(io.StringIO(text)) if r[0] == "poor-service claim"]
    (row,) = rows
    point, low, high, _ = independent_claim()
    assert_allclose(float(row[4]), point, rtol=1e-6)
    assert abs(float(row[5]) - low) < 0.03 * (high - low)
    assert abs(float(row[6]) - high) < 0.03 * (high - low)
    assert "source: Booking system, rebooked slots" in row[2]


def test_finance_adds_changes_and_deletes_a_line_on_the_pages(app, client, login):
    login("finance")
    data = {k: ("" if v is None else str(v)) for k, v in LINE.items()}
    response = client.post("/finance/poor-service/new", data=data)
    assert response.status_code == 302
    line = db.session.scalar(select(PoorServiceLine))
    assert (line.volume, line.unit_cost_range) == (12_000.0, (60.0, 110.0))

    changed = {**data, "volume": "13000", "volume_high": "12500"}
    response = client.post(f"/finance/poor-service/{line.id}", data=changed)
    assert response.status_code == 422
    assert "hold the stated 13000" in response.get_data(as_text=True)
    changed["volume_high"] = "16000"
    assert client.post(f"/finance/poor-service/{line.id}", data=changed).status_code == 302
    db.session.refresh(line)
    assert line.volume == 13_000.0
    assert client.post(f"/finance/poor-service/{line.id}/delete").status_code == 302
    assert db.session.scalar(select(PoorServiceLine)) is None
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "poor_service_line")
    ).all()
    assert actions == ["created", "updated", "deleted"]


def test_a_claimed_line_cannot_be_deleted(claiming_pilot, client, login):
    login("finance")
    line = db.session.scalar(select(PoorServiceLine))
    response = client.post(f"/finance/poor-service/{line.id}/delete", follow_redirects=True)
    assert "claimed by Reminder pilot" in response.get_data(as_text=True)
    assert db.session.get(PoorServiceLine, line.id) is not None


def test_a_claim_added_on_the_pages_enters_the_returns(model, finance_pilot, client, login):
    login("finance")
    fta = finance_pilot.metric("fta")
    data = {"version": finance_pilot.version, "line": model.id, "metric": fta.id}
    response = client.post(
        "/pilots/reminders/finance/claims/new", data={**data, "share_percent": "50"}
    )
    assert response.status_code == 302
    claim = db.session.scalar(select(PoorServiceClaim))
    assert (claim.share, claim.metric.key, claim.line.key) == (0.5, "fta", "healthcare-missed")
    case = comparison.pilot_case(db.session.get(Pilot, finance_pilot.id))
    assert case["claims"][0]["claim"].id == claim.id


def test_a_claim_on_a_metric_that_should_rise_or_is_counted_already_is_refused(
    model, finance_pilot
):
    wait = finance_pilot.metric("wait")  # has a benefit line in FINANCE_TOML
    with pytest.raises(ValueError, match="has a benefit line"):
        services.add_claim(finance_pilot, line=model, metric=wait, share=0.5, **ACTOR)
    fta = finance_pilot.metric("fta")
    fta.direction = "increase"
    with pytest.raises(ValueError, match="better when it rises"):
        services.add_claim(finance_pilot, line=model, metric=fta, share=0.5, **ACTOR)
    fta.direction = "decrease"
    with pytest.raises(ValueError, match="above 0 and at most 1"):
        services.add_claim(finance_pilot, line=model, metric=fta, share=1.5, **ACTOR)
    model.currency = "USD"
    with pytest.raises(ValueError, match="is in USD and this case in EUR"):
        services.add_claim(finance_pilot, line=model, metric=fta, share=0.5, **ACTOR)


def test_a_benefit_line_on_a_claimed_metric_is_refused(claiming_pilot):
    with pytest.raises(ValueError, match="would count the effect twice"):
        services.add_benefit(
            claiming_pilot,
            metric=claiming_pilot.metric("fta"),
            value_per_unit=80,
            volume_per_year=100,
            **ACTOR,
        )


def test_changing_the_line_changes_the_claimed_benefit(claiming_pilot):
    before = comparison.pilot_case(claiming_pilot)["claims"][0]["yearly"]["estimate"]
    line = db.session.scalar(select(PoorServiceLine))
    poor_service.update_line(line, **{**LINE, "unit_cost": 100.0}, **ACTOR)
    db.session.commit()
    after = comparison.pilot_case(claiming_pilot)["claims"][0]["yearly"]["estimate"]
    assert_allclose(after, before * 100 / 80, rtol=1e-12)


def test_the_api_gives_the_model_and_each_claim_with_its_interval(claiming_pilot, client):
    from testbed.api.auth import create_token
    from testbed.auth.services import create_user

    user = create_user("dario@example.org", "department_head", "a long password")
    _, token = create_token(user, "reports")
    db.session.commit()
    response = client.get("/api/v1/poor-service", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.get_json()
    (segment,) = body["segments"]
    (line,) = segment["lines"]
    assert line["cost"] == {"estimate": 960_000.0, "ci_low": 600_000.0, "ci_high": 1_650_000.0}
    assert (line["source"], line["period"]) == (
        "Booking system, rebooked slots",
        "2024 financial year",
    )
    (claim,) = line["claims"]
    page = comparison.pilot_case(claiming_pilot)["claims"][0]
    assert claim["pilot"] == "reminders" and claim["yearly"] == page["yearly"]
    assert_allclose(claim["relative_effect_se"], independent_claim()[3], rtol=1e-9)
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/poor-service" in spec["paths"]


def test_a_line_in_another_currency_than_the_model_is_refused(model):
    with pytest.raises(ValueError, match="other lines are in EUR: keep one currency"):
        poor_service.add_line(**{**LINE, "key": "usd-line", "currency": "USD"}, **ACTOR)
