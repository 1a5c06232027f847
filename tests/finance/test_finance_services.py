"""A pilot's returns beside the programmes, and the edits of its financial case."""

from __future__ import annotations

import pytest
from numpy.testing import assert_allclose
from sqlalchemy import select

from testbed.audit import AuditEvent
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.finance import comparison, services
from testbed.finance.models import CostItem, FinancePlan, Programme
from testbed.pilots.models import Metric, Pilot
from testbed.results.services import report_for
from tests.conftest import statements_run

EDITOR = {"actor": "fiona@example.org"}


def test_returns_from_the_counted_effects_alone_are_the_reports(finance_pilot):
    rois = services.programme_rois()
    returns = comparison.returns_for(finance_pilot, rois)
    assert returns["roi"]["estimate"] > 0
    assert returns == report_for(finance_pilot)["returns"]


def test_a_programme_added_later_is_compared_without_redoing_the_pilots_version(finance_pilot):
    stale = report_for(finance_pilot)["returns"]
    version = finance_pilot.version
    services.add_programme(name="Call routing", roi=50.0, **EDITOR)
    db.session.commit()

    returns = comparison.returns_for(finance_pilot, services.programme_rois())

    assert finance_pilot.version == version
    assert "Call routing" not in stale["programmes"]
    chances = {b["programme"]: b["probability"] for b in returns["beats"]}
    assert set(chances) == {"@SUM(1+1)", "Replace old switches", "Call routing"}
    # ROI 29 (2 900 %) beats a programme stated at 5 000 % only in its upper tail.
    assert chances["Call routing"] < 0.5 < chances["Replace old switches"]
    assert returns["roi"] == stale["roi"]


def test_the_best_programme_beaten_is_the_highest_stated_roi_beaten_at_least_80_percent():
    returns = {
        "error": None,
        "beats": [
            {"programme": "low", "probability": 0.99},
            {"programme": "middle", "probability": 0.8},
            {"programme": "high", "probability": 0.79},
        ],
    }
    rois = {"low": 0.1, "middle": 0.2, "high": 0.3}
    assert comparison.best_beaten(returns, rois)["programme"] == "middle"
    returns["beats"][1]["probability"] = 0.5
    assert comparison.best_beaten(returns, rois)["programme"] == "low"
    assert comparison.best_beaten({"error": "no benefit", "beats": []}, rois) is None


def test_the_ladder_places_the_pilot_among_programmes_by_stated_roi(finance_pilot):
    services.add_programme(name="Above", roi=80.0, **EDITOR)
    db.session.commit()
    case = comparison.pilot_case(finance_pilot)

    names = [row["name"] for row in case["ladder"]]
    assert names == ["Above", "This pilot", "Replace old switches", "@SUM(1+1)"]
    pilot_row = case["ladder"][1]
    assert pilot_row["estimate"] == case["returns"]["roi"]["estimate"]
    # The pilot's interval (about −16 to 74) holds both smaller programmes, not 80.
    assert [row["within"] for row in case["ladder"] if row["kind"] == "programme"] == [
        False,
        True,
        True,
    ]
    assert all(0 <= row["at"] <= 100 for row in case["ladder"])


def test_a_benefit_line_is_effect_times_value_times_volume_with_the_effects_interval(
    finance_pilot,
):
    results = report_for(finance_pilot)["results"]
    effect = next(r for r in results if r["metric"] == "wait")["absolute"]
    (line,) = comparison.pilot_case(finance_pilot)["benefits"]

    assert line["result"]["hypothesis"] == "H2"
    # Waiting time should decrease, so the improvement is −effect; 2.5 a minute, 1 000 a year.
    assert_allclose(line["yearly"]["estimate"], -effect["estimate"] * 2.5 * 1000)
    assert_allclose(line["yearly"]["ci_low"], -effect["ci_high"] * 2.5 * 1000)
    assert_allclose(line["yearly"]["ci_high"], -effect["ci_low"] * 2.5 * 1000)


@pytest.mark.parametrize(("role", "z"), [("primary", 1.959964), ("guardrail", 1.644854)])
def test_a_benefit_lines_spread_is_read_at_its_intervals_own_level(finance_pilot, role, z):
    # A guardrail's interval is at 1 − 2α (its one-sided test), the others' at 1 − α;
    # z values from a normal table at 0.975 and 0.95.
    result = {
        "hypothesis": "H9",
        "role": role,
        "alpha": 0.05,
        "absolute": {"estimate": 10.0, "ci_low": 10.0 - 3.0 * z, "ci_high": 10.0 + 3.0 * z},
    }
    line = services._benefit_line(services.benefits_of(finance_pilot)[0], result)

    assert line.effect == pytest.approx((10.0, 3.0), rel=1e-6)


def test_a_benefit_without_a_measured_effect_is_shown_and_left_out(finance_pilot):
    nps = Metric(key="nps", name="NPS", kind="mean", direction="increase")
    finance_pilot.metrics.append(nps)
    db.session.flush()
    services.add_benefit(finance_pilot, metric=nps, value_per_unit=80, volume_per_year=10, **EDITOR)
    db.session.commit()

    case = comparison.pilot_case(finance_pilot)

    lines = {line["metric"].key: line for line in case["benefits"]}
    assert lines["nps"]["result"] is None and lines["nps"]["yearly"] is None
    assert "no measured effect on 'nps' yet: benefit left out" in case["returns"]["notes"]
    assert case["returns"]["annual_benefit"]["estimate"] == lines["wait"]["yearly"]["estimate"]


def test_year_rows_spread_recurring_costs_and_add_up(finance_pilot):
    case = comparison.pilot_case(finance_pilot)
    costs = [row["cost"] for row in case["years"]]
    # 400 and 50 once in year 0; 100 every year from year 1.
    assert costs == [450.0, 100.0, 100.0, 100.0]
    nets = [row["net"] for row in case["years"]]
    assert nets == case["returns"]["cashflows"]
    assert_allclose(case["years"][-1]["cumulative"], sum(nets))
    assert_allclose(case["years"][1]["benefit"], 7500.0)


def test_the_portfolio_lists_pilots_with_a_case_best_roi_first(
    finance_pilot, add_finance_pilot, write_pilot
):
    load_path(write_pilot("no-case"))
    dearer = add_finance_pilot("dearer")
    first_cost = db.session.scalar(select(CostItem).where(CostItem.pilot_id == dearer.id))
    services.update_cost(
        first_cost, item="Dearer set-up", amount=5000, year=0, recurring=False, **EDITOR
    )
    db.session.commit()

    rows = comparison.portfolio()["rows"]

    assert [row["pilot"].slug for row in rows] == ["reminders", "dearer"]
    assert rows[0]["returns"]["roi"]["estimate"] > rows[1]["returns"]["roi"]["estimate"]
    assert rows[0]["beaten"]["programme"] == "Replace old switches"


def test_the_portfolio_runs_the_same_few_queries_however_many_pilots(
    app, client, login, finance_pilot, add_finance_pilot
):
    login("finance")

    def queries_on_a_warm_page() -> int:
        client.get("/finance")  # computes and caches what is missing
        with statements_run() as statements:
            assert client.get("/finance").status_code == 200
        return len(statements)

    one = queries_on_a_warm_page()
    for slug in ("second", "third", "fourth"):
        add_finance_pilot(slug)
    assert queries_on_a_warm_page() == one


def test_saving_the_plan_checks_it_and_raises_the_pilots_version(finance_pilot):
    version = finance_pilot.version
    services.save_plan(finance_pilot, currency="usd", discount_rate=0.1, horizon_years=5, **EDITOR)
    db.session.commit()

    plan = db.session.get(FinancePlan, finance_pilot.id)
    assert (plan.currency, plan.discount_rate, plan.horizon_years) == ("USD", 0.1, 5)
    assert finance_pilot.version > version
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "finance_plan"))
    assert (event.action, event.pilot_id) == ("updated", finance_pilot.id)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"currency": "EURO"}, "three-letter code"),
        ({"discount_rate": 1.5}, "between 0% and 100%"),
        ({"horizon_years": 0}, "1 to 30 years"),
        ({"horizon_years": 2}, "no"),
    ],
)
def test_a_plan_that_cannot_hold_is_refused(finance_pilot, fields, message):
    db.session.add(CostItem(pilot_id=finance_pilot.id, item="Late", amount=1, year=3))
    db.session.flush()
    plan = {"currency": "EUR", "discount_rate": 0.08, "horizon_years": 3} | fields
    expected = "a cost falls in year 3" if message == "no" else message
    with pytest.raises(ValueError, match=expected):
        services.save_plan(finance_pilot, **plan, **EDITOR)


def test_a_cost_is_added_changed_and_deleted_with_an_audit_trail(finance_pilot):
    cost = services.add_cost(
        finance_pilot, item=" Training ", amount=900.0, year=2, recurring=True, **EDITOR
    )
    services.update_cost(cost, item="Training", amount=950.0, year=1, recurring=False, **EDITOR)
    services.delete_cost(cost, **EDITOR)
    db.session.commit()

    assert db.session.get(CostItem, cost.id) is None
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "cost_item").order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["created", "updated", "deleted"]
    assert all(e.pilot_id == finance_pilot.id and e.actor == "fiona@example.org" for e in events)
    assert "Training: 950.00 in year 1" in events[1].summary


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"year": 4}, "between 0 and the horizon"),
        ({"year": -1}, "between 0 and the horizon"),
        ({"amount": 0.0}, "above zero"),
        ({"amount": float("nan")}, "above zero"),
        ({"item": "  "}, "what the cost is for"),
    ],
)
def test_a_cost_outside_the_plan_is_refused(finance_pilot, fields, message):
    cost = {"item": "Licence", "amount": 10.0, "year": 1, "recurring": False} | fields
    with pytest.raises(ValueError, match=message):
        services.add_cost(finance_pilot, **cost, **EDITOR)


def test_costs_need_a_plan_first(loaded_pilot):
    with pytest.raises(ValueError, match="set the finance plan"):
        services.add_cost(
            loaded_pilot, item="Licence", amount=10.0, year=0, recurring=False, **EDITOR
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"metric": "wait"}, "has a benefit line already"),
        ({"volume_per_year": -1.0}, "zero or more"),
        ({"value_per_unit": 0.0}, "above zero"),
    ],
)
def test_a_benefit_line_that_would_mislead_is_refused(finance_pilot, fields, message):
    line = {"metric": "fta", "value_per_unit": 80.0, "volume_per_year": 100.0} | fields
    line["metric"] = finance_pilot.metric(line["metric"])
    with pytest.raises(ValueError, match=message):
        services.add_benefit(finance_pilot, **line, **EDITOR)


def test_a_benefit_line_takes_only_the_pilots_own_metrics(finance_pilot, add_finance_pilot):
    other = add_finance_pilot("second")
    with pytest.raises(ValueError, match="this pilot's metrics"):
        services.add_benefit(
            finance_pilot,
            metric=other.metric("fta"),
            value_per_unit=1.0,
            volume_per_year=1.0,
            **EDITOR,
        )


def test_programmes_are_added_renamed_and_deleted_without_a_pilot(app):
    programme = services.add_programme(name="Billing upgrade", roi=0.15, **EDITOR)
    services.update_programme(programme, name="Billing system", roi=0.2, **EDITOR)
    db.session.commit()
    assert db.session.get(Programme, programme.id).roi == 0.2

    services.delete_programme(programme, **EDITOR)
    db.session.commit()
    assert db.session.scalars(select(Programme)).all() == []
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.entity, e.pilot_id) for e in events] == [
        ("created", "programme", None),
        ("updated", "programme", None),
        ("deleted", "programme", None),
    ]


@pytest.mark.parametrize(
    ("name", "roi", "message"),
    [
        ("billing UPGRADE ", 0.1, "exists already"),
        ("", 0.1, "give the programme a name"),
        ("New", -1.5, "−100% or more"),
        ("New", float("inf"), "−100% or more"),
    ],
)
def test_a_programme_needs_a_unique_name_and_a_possible_roi(app, name, roi, message):
    services.add_programme(name="Billing upgrade", roi=0.15, **EDITOR)
    with pytest.raises(ValueError, match=message):
        services.add_programme(name=name, roi=roi, **EDITOR)


def test_a_programme_keeps_its_own_name_when_edited(app):
    programme = services.add_programme(name="Billing upgrade", roi=0.15, **EDITOR)
    services.update_programme(programme, name="billing upgrade", roi=0.15, **EDITOR)
    assert programme.name == "billing upgrade"


def test_pilots_without_a_plan_are_not_in_the_portfolio(loaded_pilot):
    assert comparison.portfolio()["rows"] == []
    assert comparison.pilot_case(loaded_pilot) == {"plan": None}
    assert db.session.scalar(select(Pilot)) is loaded_pilot
