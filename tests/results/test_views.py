"""The results page and its chart addresses, over HTTP."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from markupsafe import escape
from sqlalchemy import select

from testbed import PROJECT_ROOT
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.models import Pilot
from testbed.pilots import models as pilots_models
from testbed.results import charts
from testbed.results.services import report_for
from testbed.results.views import number, p_text
from tests.results.test_charts import observations

ROLES = ("innovation", "department_head", "finance", "admin")


# Every test here has charts and reports of its own (tests/results/conftest.py).
pytestmark = pytest.mark.usefixtures("chart_cache")


def svg_root(response):
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(response.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def card(html: str, key: str) -> str:
    """The HTML of one hypothesis' card, from its opening tag."""
    start = html.rindex("<article", 0, html.index(f'id="hypothesis-{key}"'))
    return html[start : html.index("</article>", start)]


def test_every_demo_pilot_shows_each_verdict_and_draws_each_chart(app, client, login):
    load_path(PROJECT_ROOT / "experiments")
    db.session.commit()
    login("department_head")
    pilots = db.session.scalars(select(Pilot)).all()
    assert len(pilots) == 5
    for pilot in pilots:
        response = client.get(f"/pilots/{pilot.slug}/results")
        assert response.status_code == 200, pilot.slug
        html = response.get_data(as_text=True)
        for result in report_for(pilot)["results"]:
            assert str(escape(result["verdict"])) in card(html, result["hypothesis"])
        assert f"/pilots/{pilot.slug}/charts/forest.svg" in html
        for name in charts.chart_names(pilot):
            svg_root(client.get(f"/pilots/{pilot.slug}/charts/{name}.svg"))


@pytest.mark.parametrize(
    ("wait_shift", "outcome", "tone", "badge"),
    [
        (-3.0, "improved", "good", "Improved"),
        (0.0, "unchanged", "neutral", "No detectable change"),
        (3.0, "worse", "bad", "Worse"),
    ],
)
def test_the_card_shows_the_verdict_class(
    make_pilot, client, login, wait_shift, outcome, tone, badge
):
    pilot = make_pilot(observations__csv=observations(wait_shift=wait_shift))
    login("department_head")
    html = client.get(f"/pilots/{pilot.slug}/results").get_data(as_text=True)
    h1 = card(html, "H1")
    assert f'data-outcome="{outcome}"' in h1
    assert f"tone-{tone}" in h1.split(">", 1)[0]
    assert f'<p class="badge">{badge}</p>' in h1
    # Sizes per group and the p-value after the correction are on the card.
    assert "112" in h1 and "(adjusted)" in h1


def test_the_card_shows_effect_interval_planning_and_amendments(make_pilot, client, login):
    amendment_model = getattr(pilots_models, "HypothesisAmendment", None)
    if amendment_model is None:
        pytest.skip("this version has no hypothesis amendments")
    pilot = make_pilot()
    hypothesis = pilot.hypotheses[0]
    db.session.add(
        amendment_model(
            hypothesis=hypothesis,
            actor="Ines Innovation",
            reason="The partner asked for a stricter test.",
            changes="alpha: 0.05 → 0.01",
        )
    )
    db.session.commit()
    login("finance")
    html = client.get(f"/pilots/{pilot.slug}/results").get_data(as_text=True)
    h1 = card(html, "H1")
    assert "−3 minutes" in h1  # the absolute change, in the metric's unit
    assert "95% interval" in h1 and "Relative change" in h1
    assert "smallest change this test would detect" in h1
    assert "The partner asked for a stricter test." in h1 and "alpha: 0.05 → 0.01" in h1


def test_a_proportion_change_is_shown_in_points(write_pilot, client, login):
    load_path(write_pilot())  # the minimal pilot: failure-to-attend, a proportion
    db.session.commit()
    login("innovation")
    html = client.get("/pilots/reminders/results").get_data(as_text=True)
    assert "−50 points" in card(html, "H1")  # 50% → 0% in the two-row sample


def test_the_summary_reports_guardrails_and_a_sample_ratio_mismatch(make_pilot, client, login):
    lopsided = observations(wait_shift=0.0, cost_shift=3.0)
    # Keep a quarter of the baseline's post-period rows of each metric (they come in
    # wait, cost pairs): the planned split was half and half.
    lines = lopsided.splitlines()
    kept = [lines[0]] + [
        line
        for k, line in enumerate(lines[1:])
        if ",baseline,post," not in line or (k // 2) % 4 == 0
    ]
    pilot = make_pilot(observations__csv="\n".join(kept) + "\n")
    login("department_head")
    html = client.get(f"/pilots/{pilot.slug}/results").get_data(as_text=True)
    assert "Sample-ratio mismatch" in html
    assert "Guardrail breached:</strong> G1" in html


def test_no_mismatch_warning_when_the_groups_are_as_planned(make_pilot, client, login):
    pilot = make_pilot()
    login("department_head")
    html = client.get(f"/pilots/{pilot.slug}/results").get_data(as_text=True)
    assert "Sample-ratio mismatch" not in html
    assert "The guardrail holds" in html


def test_a_pilot_without_observations_shows_calm_placeholders(make_pilot, client, login):
    pilot = make_pilot(observations__csv=None)
    login("department_head")
    response = client.get(f"/pilots/{pilot.slug}/results")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Not enough data to judge" in card(html, "H1")
    assert 'data-outcome="pending"' in html
    assert "No dated observations of Waiting time yet" in html
    assert "No starting point to compare with yet" in html
    forest = svg_root(client.get(f"/pilots/{pilot.slug}/charts/forest.svg"))
    assert "No results to plot yet" in " ".join(forest.itertext())
    svg_root(client.get(f"/pilots/{pilot.slug}/charts/series-wait.svg"))


def test_the_charts_carry_a_text_alternative(make_pilot, client, login):
    pilot = make_pilot()
    login("department_head")
    html = client.get(f"/pilots/{pilot.slug}/results").get_data(as_text=True)
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 3  # the forest and one series per metric
    assert all('alt="' in image and 'alt=""' not in image for image in images)
    assert html.count("The numbers in this chart") == 3
    assert '<th scope="row">2025-01-20</th>' in html  # a plotted day in the table


def test_a_series_chart_marks_the_pilot_start_and_each_iteration(make_pilot, client, login):
    pilot = make_pilot()
    login("department_head")
    text = " ".join(svg_root(client.get(f"/pilots/{pilot.slug}/charts/series-wait.svg")).itertext())
    assert "Pilot start · Iteration 1" in text
    assert "Iteration 2" in text


def test_a_chart_comes_from_the_cache_until_the_pilot_changes(
    make_pilot, client, login, monkeypatch
):
    pilot = make_pilot()
    login("department_head")
    calls = []
    draw = charts.render_chart
    monkeypatch.setattr(charts, "render_chart", lambda p, n: calls.append(n) or draw(p, n))
    address = f"/pilots/{pilot.slug}/charts/series-wait.svg"
    first, second = client.get(address), client.get(address)
    assert first.data == second.data
    assert calls == ["series-wait"]
    # A browser holding this version is told it is unchanged.
    again = client.get(address, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    pilot.touch()
    db.session.commit()
    assert client.get(address).status_code == 200
    assert calls == ["series-wait", "series-wait"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_read_results_and_charts(make_pilot, client, login, role):
    pilot = make_pilot()
    login(role)
    assert client.get(f"/pilots/{pilot.slug}/results").status_code == 200
    assert client.get(f"/pilots/{pilot.slug}/charts/forest.svg").status_code == 200


@pytest.mark.parametrize("address", ["/pilots/{slug}/results", "/pilots/{slug}/charts/forest.svg"])
def test_anonymous_visitors_are_sent_to_sign_in(make_pilot, client, address):
    pilot = make_pilot()
    response = client.get(address.format(slug=pilot.slug))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "address",
    [
        "/pilots/{slug}/charts/nope.svg",
        "/pilots/{slug}/charts/series-unknown.svg",
        "/pilots/no-such-pilot/charts/forest.svg",
        "/pilots/no-such-pilot/results",
    ],
)
def test_unknown_charts_and_pilots_are_not_found(make_pilot, client, login, address):
    pilot = make_pilot()
    login("department_head")
    assert client.get(address.format(slug=pilot.slug)).status_code == 404


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5927.3, "5,927"),
        (-0.0425, "−0.0425"),
        (0.300, "0.3"),
        (20.56, "20.6"),
        (0.0, "0"),
        (1e-9, "≈ 0"),
        (None, "–"),
    ],
)
def test_numbers_are_shown_without_e_notation(value, expected):
    assert number(value) == expected


def test_p_values_are_shown_briefly():
    assert [p_text(p) for p in (None, 0.00001, 0.0123, 0.51)] == ["–", "< 0.001", "0.012", "0.51"]
