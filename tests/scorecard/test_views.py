"""The scorecard pages: what each role sees and may change, and figures that draw under the CSP."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from testbed import PROJECT_ROOT
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.models import Indicator, IndicatorLink, Measurement, Pilot
from testbed.scorecard import services
from testbed.scorecard.files import load_scorecard
from testbed.scorecard.services import MeasurementRow
from tests.scorecard.conftest import ACTOR

COMPANY = PROJECT_ROOT / "experiments" / "company"


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    main = html[html.index("<main") : html.index("</main>")]
    main = re.sub(r"<svg\b.*?</svg>", " ", main, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


@pytest.fixture
def demo(app):
    load_scorecard(COMPANY)
    load_path(PROJECT_ROOT / "experiments" / "knowledge-base-contacts")
    db.session.commit()


def test_the_header_links_the_scorecard_and_its_pages_reach_each_other(demo, client, login):
    login("finance")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/scorecard">Scorecard</a>' in page
    scorecard = client.get("/scorecard")
    assert scorecard.status_code == 200
    html = scorecard.get_data(as_text=True)
    for address in ("/scorecard/map", "/scorecard/progress", "/scorecard/indicators/nps"):
        assert f'href="{address}"' in html
    words = text_of(scorecard)
    assert "Learning and growth" in words and "Net Promoter Score" in words
    # Finance reads, but is offered no change.
    assert "Add an indicator" not in words and "Load measurements" not in words


def test_the_indicator_page_states_the_method_and_shows_each_departments_interval(
    demo, client, login
):
    login("department_head")
    response = client.get("/scorecard/indicators/nps")
    assert response.status_code == 200
    words = text_of(response)
    assert "Welch–Satterthwaite degrees of freedom" in words
    assert "each department's first measured period" in words
    nps = services.indicator_named("nps")
    cs = next(s for s in services.series_of(nps) if s.label == "Customer Service")
    from testbed.results.views import number

    assert (
        f"{number(cs.change.ci_low, signed=True)} to {number(cs.change.ci_high, signed=True)}"
        in words
    )
    assert "better, beyond chance" in words
    # The pilot meant to move it, with its primary hypothesis' measured effect.
    ces = text_of(client.get("/scorecard/indicators/ces"))
    assert "Knowledge base and self-service for Brightwater stores" in ces
    assert "Primary hypothesis" in ces and "H1" in ces


def test_the_figures_are_inline_svg_without_script_or_style_attributes(demo, client, login):
    login("innovation")
    for address in ("/scorecard/indicators/nps", "/scorecard/map"):
        response = client.get(address)
        html = response.get_data(as_text=True)
        assert "<svg" in html, address
        assert "<script" not in html and " style=" not in html, address
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    svg = client.get("/scorecard/map").get_data(as_text=True)
    assert svg.count('marker-end="url(#sc-arrow)"') == 7
    assert svg.count('class="sc-node ') == 8


def test_text_in_the_figures_is_escaped(app, client, login, make_indicator):
    evil = make_indicator("evil", name='<script>alert("x")</script> & co')
    services.store_measurements(
        [MeasurementRow(evil, None, "2025-01", 1.0), MeasurementRow(evil, None, "2025-02", 2.0)],
        source="web",
        **ACTOR,
    )
    db.session.commit()
    login("innovation")
    for address in ("/scorecard/indicators/evil", "/scorecard/map"):
        html = client.get(address).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in html


def test_innovation_defines_an_indicator_and_enters_a_measurement(app, client, login, departments):
    login("innovation")
    response = client.post(
        "/scorecard/indicators/new",
        data={
            "key": "csat",
            "name": "Satisfaction with service",
            "perspective": "customer",
            "direction": "increase",
            "cadence": "quarterly",
            "unit": "%",
            "target": "85",
            "department": str(departments["Sales"].id),
            "baseline_period": "",
            "description": "",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/scorecard/indicators/csat"
    )
    bad = client.post(
        "/scorecard/indicators/csat/measurements",
        data={"period": "2025-03", "department": "0", "value": "80"},
    )
    assert bad.status_code == 422
    assert "not a quarterly period such as 2025-Q1" in text_of(bad)
    for period, value in (("2025-Q1", "80"), ("2025-Q2", "82")):
        ok = client.post(
            "/scorecard/indicators/csat/measurements",
            data={"period": period, "department": str(departments["Sales"].id), "value": value,
                  "n": "120", "sd": "11"},
        )  # fmt: skip
        assert ok.status_code == 302
    words = text_of(client.get("/scorecard/indicators/csat"))
    assert "2025-Q1: 80" in words and "2025-Q2: 82" in words and "+2" in words


def test_a_department_head_measures_their_own_departments_indicator_only(
    app, client, login, make_indicator, departments
):
    own = make_indicator("orders", department=departments["Sales"])
    other = make_indicator("nps")
    login("department_head", department=departments["Sales"])
    page = text_of(client.get("/scorecard/indicators/orders"))
    assert "Enter a measurement" in page
    assert "Enter a measurement" not in text_of(client.get("/scorecard/indicators/nps"))
    data = {"period": "2025-01", "department": "0", "value": "3"}
    assert (
        client.post(f"/scorecard/indicators/{own.key}/measurements", data=data).status_code == 302
    )
    assert (
        client.post(f"/scorecard/indicators/{other.key}/measurements", data=data).status_code == 403
    )
    assert db.session.scalar(select(func.count()).select_from(Measurement)) == 1


def test_a_csv_upload_is_all_or_nothing_and_names_the_bad_cell(app, client, login, make_indicator):
    make_indicator()
    login("innovation")
    body = b"indicator,period,value\nnps,2025-01,10\nnps,2025-02,ten\n"
    response = client.post(
        "/scorecard/measurements",
        data={"file": (io.BytesIO(body), "survey.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Nothing was stored: survey.csv:3:3 (value): 'ten' is not a number" in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(Measurement)) == 0
    good = b"indicator,period,value\nnps,2025-01,10\nnps,2025-02,11\n"
    response = client.post(
        "/scorecard/measurements",
        data={"file": (io.BytesIO(good), "survey.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Measurement)) == 2


def test_links_are_added_and_removed_on_the_map(app, client, login, make_indicator):
    fcr, cost = make_indicator("fcr"), make_indicator("cost")
    login("innovation")
    response = client.post(
        "/scorecard/links", data={"leading": str(fcr.id), "lagging": str(cost.id), "note": "Once."}
    )
    assert response.status_code == 302
    loop = client.post("/scorecard/links", data={"leading": str(cost.id), "lagging": str(fcr.id)})
    assert loop.status_code == 422 and "a cause cannot follow its effect" in text_of(loop)
    link = db.session.scalar(select(IndicatorLink))
    assert client.post(f"/scorecard/links/{link.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(IndicatorLink)) == 0


def test_a_pilot_names_the_indicators_it_should_move(demo, client, login):
    login("innovation")
    pilot = db.session.scalar(select(Pilot))
    overview = text_of(client.get(f"/pilots/{pilot.slug}"))
    assert (
        "Company indicators it should move" in overview and "First-contact resolution" in overview
    )
    response = client.post(f"/pilots/{pilot.slug}/indicators", data={"indicators": ["nps"]})
    assert response.status_code == 302
    assert services.pilot_indicator_keys(pilot) == ["nps"]
    nps = text_of(client.get("/scorecard/indicators/nps"))
    assert pilot.name in nps
    unknown = client.post(f"/pilots/{pilot.slug}/indicators", data={"indicators": ["nothing"]})
    assert unknown.status_code == 422


def test_the_ranking_page_states_its_rule_and_lists_who_is_not_ranked(demo, client, login):
    login("finance")
    words = text_of(client.get("/scorecard/progress"))
    assert "gap closed = (latest − start) ÷ (target − start)" in words
    assert "Not ranked" in words and "Supply Chain" in words
    assert words.index("1 Customer Service") < words.index("Sales")
    one = text_of(client.get("/scorecard/progress?indicator=ces"))
    assert "Customer Effort Score" in one
    # An unknown indicator in the address ranks on every indicator, as the page says.
    assert client.get("/scorecard/progress?indicator=%3Cx%3E").status_code == 200


def test_an_unknown_indicator_is_not_found(app, client, login):
    login("innovation")
    assert client.get("/scorecard/indicators/nothing").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Indicator)) == 0
