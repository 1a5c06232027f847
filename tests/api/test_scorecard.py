"""The scorecard in the API: indicators with progress, measurement pushes, links, pilot links."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sqlalchemy import func, select

from testbed import PROJECT_ROOT
from testbed.auth.services import department_named
from testbed.extensions import db
from testbed.scorecard.files import load_scorecard
from testbed.scorecard.models import Measurement

COMPANY = PROJECT_ROOT / "experiments" / "company"


@pytest.fixture
def scorecard(app):
    load_scorecard(COMPANY)
    db.session.commit()


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Measurement))


def test_a_pushed_survey_gives_the_interval_welch_gives_on_the_raw_answers(
    scorecard, client, caller
):
    innovation = caller("innovation")
    rng = np.random.default_rng(5)
    first, latest = rng.normal(3.2, 1.3, 140), rng.normal(2.9, 1.1, 90)
    rows = [
        {"indicator": "ces", "period": period, "department": "Sales", "value": float(s.mean()),
         "n": len(s), "sd": float(s.std(ddof=1))}
        for period, s in (("2026-01", first), ("2026-02", latest))
    ]  # fmt: skip
    before = count()
    response = client.post("/api/v1/scorecard/measurements", json=rows, headers=innovation.headers)
    assert response.status_code == 201 and response.json == {"added": 2, "replaced": 0}
    assert count() == before + 2
    # Without a declared baseline Sales starts in its first month (2025-01): declare 2026-01.
    db.session.execute(
        db.text("UPDATE indicator SET baseline_period = '2026-01' WHERE key = 'ces'")
    )
    db.session.commit()
    body = client.get("/api/v1/scorecard/indicators/ces", headers=innovation.headers).json
    sales = next(p for p in body["progress"] if p["department"] == "Sales")
    interval = stats.ttest_ind(latest, first, equal_var=False).confidence_interval()
    assert (sales["start_period"], sales["latest_period"]) == ("2026-01", "2026-02")
    assert_allclose([sales["ci_low"], sales["ci_high"]], [interval.low, interval.high], rtol=1e-9)
    assert "knowledge-base-contacts" not in body["pilots"]  # no pilot loaded here


def test_a_csv_push_is_all_or_nothing_and_names_the_line(scorecard, client, caller):
    innovation = caller("innovation")
    before = count()
    body = "indicator,period,value\nfcr,2026-01,70\nfcr,2026-13,71\n"
    response = client.post(
        "/api/v1/scorecard/measurements",
        data=body,
        content_type="text/csv",
        headers=innovation.headers,
    )
    assert response.status_code == 422
    assert response.json["errors"][0] | {"message": ""} == {
        "message": "",
        "line": 3,
        "column": 2,
        "field": "period",
    }
    assert count() == before
    bad_json = client.post(
        "/api/v1/scorecard/measurements",
        json=[{"indicator": "fcr", "period": "2026-01", "value": 70},
              {"indicator": "who", "period": "2026-02", "value": 70}],
        headers=innovation.headers,
    )  # fmt: skip
    assert bad_json.status_code == 422 and bad_json.json["errors"][0]["index"] == 1
    assert count() == before


def test_a_department_head_pushes_only_their_departments_indicators(scorecard, client, caller):
    head = caller("department_head", department=department_named("HR"))
    own = [{"indicator": "agent-satisfaction", "period": "2026-01", "value": 3.8}]
    other = [{"indicator": "nps", "period": "2026-01", "value": 30}]
    address = "/api/v1/scorecard/measurements"
    assert client.post(address, json=own, headers=head.headers).status_code == 201
    refused = client.post(address, json=other, headers=head.headers)
    assert refused.status_code == 403 and "nps" in refused.json["message"]
    finance = caller("finance")
    assert client.post(address, json=own, headers=finance.headers).status_code == 403


def test_indicators_and_links_are_listed_and_created(scorecard, client, caller):
    innovation = caller("innovation")
    page = client.get("/api/v1/scorecard/indicators?per_page=3", headers=innovation.headers)
    assert page.status_code == 200 and page.json["total"] == 8 and len(page.json["items"]) == 3
    made = client.post(
        "/api/v1/scorecard/indicators",
        json={"key": "csat", "name": "Satisfaction", "perspective": "customer",
              "direction": "increase", "cadence": "quarterly", "target": 85,
              "department": "Sales"},
        headers=innovation.headers,
    )  # fmt: skip
    assert made.status_code == 201, made.json
    assert made.headers["Location"] == "/api/v1/scorecard/indicators/csat"
    again = client.post(
        "/api/v1/scorecard/indicators",
        json={"key": "csat", "name": "Again", "perspective": "customer", "direction": "increase"},
        headers=innovation.headers,
    )
    assert again.status_code == 422 and again.json["errors"][0]["field"] == "key"
    link = client.post(
        "/api/v1/scorecard/links",
        json={"leading": "fcr", "lagging": "csat", "note": "Solved once."},
        headers=innovation.headers,
    )
    assert link.status_code == 201 and link.json["leading"] == "fcr"
    loop = client.post(
        "/api/v1/scorecard/links", json={"leading": "nps", "lagging": "ces"},
        headers=innovation.headers,
    )  # fmt: skip
    assert loop.status_code == 422 and "cannot follow its effect" in loop.json["message"]
    links = client.get("/api/v1/scorecard/links", headers=innovation.headers).json["items"]
    assert len(links) == 8


def test_a_pilot_says_which_indicators_it_should_move(scorecard, loaded_pilot, client, caller):
    innovation = caller("innovation")
    address = f"/api/v1/pilots/{loaded_pilot.slug}/indicators"
    assert client.get(address, headers=innovation.headers).json["indicators"] == []
    put = client.put(address, json={"indicators": ["nps", "ces"]}, headers=innovation.headers)
    assert put.status_code == 200 and put.json["indicators"] == ["ces", "nps"]
    unknown = client.put(address, json={"indicators": ["what"]}, headers=innovation.headers)
    assert unknown.status_code == 422 and "no indicator 'what'" in unknown.json["message"]
    body = client.get("/api/v1/scorecard/indicators/nps", headers=innovation.headers).json
    assert body["pilots"] == [loaded_pilot.slug]
    head = caller("department_head")
    assert client.put(address, json={"indicators": []}, headers=head.headers).status_code == 403
