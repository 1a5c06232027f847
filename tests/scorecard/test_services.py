"""Indicators, measurements and progress: what the indicator page and the ranking are made of."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sqlalchemy import func, select

from testbed.audit import AuditEvent
from testbed.extensions import db
from testbed.pilots.services import InvalidField
from testbed.scorecard import services
from testbed.scorecard.files import read_measurements
from testbed.scorecard.models import Measurement
from testbed.scorecard.services import IndicatorFields, MeasurementRow
from tests.scorecard.conftest import ACTOR

MONTHS = ["2025-01", "2025-02", "2025-03", "2025-04"]


def raw_answers(seed: int) -> dict[str, dict[str, np.ndarray]]:
    """Simulated survey answers per department and month: the truth the page must recover."""
    rng = np.random.default_rng(seed)
    paths = {"Customer Service": (12.0, 30.0, 70.0), "Sales": (36.0, 37.0, 55.0)}
    answers = {}
    for department, (start, end, sd) in paths.items():
        answers[department] = {
            month: rng.normal(start + (end - start) * i / 3, sd, int(rng.integers(40, 90)))
            for i, month in enumerate(MONTHS)
        }
    return answers


def as_csv(answers) -> bytes:
    lines = ["indicator,period,department,value,n,sd"]
    for department, months in answers.items():
        for month, sample in months.items():
            lines.append(
                f"nps,{month},{department},{float(sample.mean())!r},{len(sample)},"
                f"{float(sample.std(ddof=1))!r}"
            )
    return ("\n".join(lines) + "\n").encode()


def test_progress_per_department_matches_welch_on_the_raw_answers(make_indicator):
    indicator = make_indicator()
    answers = raw_answers(11)
    rows = read_measurements(as_csv(answers), "nps.csv")
    services.store_measurements(rows, source="file", **ACTOR)
    db.session.commit()
    found = {s.label: s for s in services.series_of(indicator)}
    assert set(found) == {"Customer Service", "Sales"}
    for department, months in answers.items():
        series = found[department]
        first, last = months[MONTHS[0]], months[MONTHS[-1]]
        assert (series.start.period, series.latest.period) == (MONTHS[0], MONTHS[-1])
        reference = stats.ttest_ind(last, first, equal_var=False)
        interval = reference.confidence_interval(0.95)
        # n, mean and sd travel through CSV text with every digit (repr): 1e-9 is ample.
        assert_allclose(series.change.change, last.mean() - first.mean(), rtol=1e-9)
        assert_allclose(
            [series.change.ci_low, series.change.ci_high], [interval.low, interval.high], rtol=1e-9
        )
        assert_allclose(series.change.df, reference.df, rtol=1e-9)
        expected_closed = (last.mean() - first.mean()) / (40.0 - first.mean())
        assert_allclose(series.closed, expected_closed, rtol=1e-9)


def test_a_declared_baseline_period_is_the_starting_point(make_indicator):
    indicator = make_indicator(baseline_period="2025-02")
    answers = raw_answers(12)
    services.store_measurements(
        read_measurements(as_csv(answers), "nps.csv"), source="file", **ACTOR
    )
    (series,) = [s for s in services.series_of(indicator) if s.label == "Sales"]
    first, last = answers["Sales"]["2025-02"], answers["Sales"]["2025-04"]
    interval = stats.ttest_ind(last, first, equal_var=False).confidence_interval()
    assert series.start.period == "2025-02"
    assert_allclose(
        [series.change.ci_low, series.change.ci_high], [interval.low, interval.high], rtol=1e-9
    )


def test_a_period_measured_again_is_replaced_not_added(make_indicator, departments):
    indicator = make_indicator()
    row = MeasurementRow(indicator, departments["Sales"], "2025-01", 30.0)
    assert services.store_measurements([row], source="web", **ACTOR) == (1, 0)
    again = MeasurementRow(indicator, departments["Sales"], "2025-01", 31.5, 100, 60.0)
    assert services.store_measurements([again], source="api", **ACTOR) == (0, 1)
    company = MeasurementRow(indicator, None, "2025-01", 29.0)
    assert services.store_measurements([company], source="web", **ACTOR) == (1, 0)
    assert services.store_measurements([company], source="web", **ACTOR) == (0, 1)
    db.session.commit()
    stored = db.session.scalars(select(Measurement).order_by(Measurement.id)).all()
    assert [(m.value, m.n, m.source) for m in stored] == [(31.5, 100, "api"), (29.0, None, "web")]
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "measured")
        )
        == 4
    )


@pytest.mark.parametrize(
    ("period", "n", "sd", "field", "message"),
    [
        ("2025-13", None, None, "period", "not a monthly period such as 2025-01"),
        ("2025-Q1", None, None, "period", "not a monthly period"),
        ("2025-01", 10, None, "sd", "give n and sd together"),
        ("2025-01", 0, 1.0, "n", "n is a number of answers"),
        ("2025-01", 10, -1.0, "sd", "standard deviation"),
    ],
)
def test_a_bad_measurement_stores_nothing(
    make_indicator, departments, period, n, sd, field, message
):
    indicator = make_indicator()
    good = MeasurementRow(indicator, departments["Sales"], "2025-02", 30.0)
    bad = MeasurementRow(indicator, departments["Sales"], period, 30.0, n, sd)
    with pytest.raises(InvalidField, match=message) as error:
        services.store_measurements([good, bad], source="web", **ACTOR)
    assert error.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Measurement)) == 0


def test_quarterly_indicators_take_quarters(make_indicator):
    indicator = make_indicator("turnover", cadence="quarterly", direction="decrease", target=3.0)
    row = MeasurementRow(indicator, None, "2025-Q4", 5.0)
    assert services.store_measurements([row], source="web", **ACTOR) == (1, 0)
    with pytest.raises(InvalidField, match="quarterly period such as 2025-Q1"):
        services.store_measurements(
            [MeasurementRow(indicator, None, "2025-05", 5.0)], source="web", **ACTOR
        )


def test_indicator_keys_are_unique_and_the_cadence_stays_once_measured(make_indicator):
    indicator = make_indicator()
    with pytest.raises(InvalidField, match="another indicator has the key 'nps'"):
        services.create_indicator(IndicatorFields("nps", "Again", "customer", "increase"), **ACTOR)
    services.store_measurements(
        [MeasurementRow(indicator, None, "2025-01", 1.0)], source="web", **ACTOR
    )
    fields = IndicatorFields("nps", "NPS", "customer", "increase", cadence="quarterly")
    with pytest.raises(InvalidField, match="cadence cannot change"):
        services.update_indicator(indicator, fields, **ACTOR)


def test_links_refuse_loops_and_repeats(make_indicator):
    fcr, cost, ces = make_indicator("fcr"), make_indicator("cost"), make_indicator("ces")
    services.add_link(fcr, cost, "Solved once, paid once.", **ACTOR)
    services.add_link(cost, ces, **ACTOR)
    with pytest.raises(InvalidField, match="already leads"):
        services.add_link(fcr, cost, **ACTOR)
    with pytest.raises(InvalidField, match="a cause cannot follow its effect"):
        services.add_link(ces, fcr, **ACTOR)
    with pytest.raises(InvalidField, match="cannot lead itself"):
        services.add_link(fcr, fcr, **ACTOR)


def test_the_ranking_rewards_progress_from_the_start_not_the_level(make_indicator, departments):
    nps = make_indicator()
    rows = []
    levels = {"Customer Service": [12.0, 20.0, 28.0], "Sales": [38.0, 38.0, 39.0]}
    for department, values in levels.items():
        for month, value in zip(MONTHS, values, strict=False):
            rows.append(MeasurementRow(nps, departments[department], month, value))
    services.store_measurements(rows, source="web", **ACTOR)
    ranking = services.progress_ranking()
    assert [(s.department, s.rank) for s in ranking.standings] == [
        ("Customer Service", 1),
        ("Sales", 2),
    ]
    assert ranking.standings[0].score == pytest.approx((28 - 12) / (40 - 12))
    assert ranking.standings[1].score == pytest.approx(1 / 2)


def test_departments_with_too_few_periods_or_no_gap_are_listed_with_why(
    make_indicator, departments
):
    nps = make_indicator()
    services.store_measurements(
        [
            MeasurementRow(nps, departments["Sales"], "2025-01", 20.0),
            MeasurementRow(nps, departments["Sales"], "2025-02", 25.0),
            MeasurementRow(nps, departments["Customer Service"], "2025-01", 45.0),
            MeasurementRow(nps, departments["Customer Service"], "2025-02", 46.0),
            MeasurementRow(nps, departments["Customer Service"], "2025-03", 47.0),
        ],
        source="web",
        **ACTOR,
    )
    ranking = services.progress_ranking()
    assert ranking.standings == []
    assert "2 periods measured: 3 are needed" in ranking.unranked["Sales"][0]
    assert "no gap to close" in ranking.unranked["Customer Service"][0]


def test_a_department_head_measures_only_their_own_departments_indicators(
    make_indicator, departments
):
    from testbed.auth.services import create_user

    nps = make_indicator()
    sales_kpi = make_indicator("orders", department=departments["Sales"])
    head = create_user(
        "head@example.org", "department_head", "a long password", department=departments["Sales"]
    )
    finance = create_user("fin@example.org", "finance", "a long password")
    innovation = create_user("ines@example.org", "innovation", "a long password")
    assert services.may_measure(head, sales_kpi) and not services.may_measure(head, nps)
    assert not services.may_measure(finance, sales_kpi)
    assert services.may_measure(innovation, nps)


def test_a_new_key_carries_the_pilots_that_named_the_old_one(make_indicator, loaded_pilot):
    indicator = make_indicator("nps")
    services.set_pilot_indicators(loaded_pilot, ["nps"], **ACTOR)
    fields = IndicatorFields("net-promoter", "NPS", "customer", "increase", target=40.0)
    changes = services.update_indicator(indicator, fields, **ACTOR)
    db.session.commit()
    assert "key: nps → net-promoter" in changes
    assert services.pilot_indicator_keys(loaded_pilot) == ["net-promoter"]
    assert [p.id for p in services.pilots_moving(indicator)] == [loaded_pilot.id]
