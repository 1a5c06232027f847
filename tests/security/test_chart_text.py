"""Text people typed is drawn in the charts exactly as typed, never read as matplotlib math."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.models import Pilot
from testbed.results import charts, services
from tests.results.test_charts import PILOT_TOML, observations

# Each would be parsed as mathtext: a bad command fails the drawing, the others draw as math.
MATH_LIKE_NAME = r"$\badcommand{$"
DOLLARS_NAME = "$x$"
BACKSLASH_NAME = r"back\slash \n $ \$"
DOLLARS_UNIT = r"$\frac{a}{b}$ min"
BACKSLASH_UNIT = r"C:\cost \\ $5$"

# TOML literal strings ('...') keep every backslash as typed. The partner's name and the
# iteration's title are not drawn today; they are math-like too, so that drawing them stays safe.
TOML = (
    PILOT_TOML.replace('name = "Waiting time"', f"name = '{MATH_LIKE_NAME}'")
    .replace('unit = "minutes"', f"unit = '{DOLLARS_UNIT}'")
    .replace('name = "Cost per contact"', f"name = '{DOLLARS_NAME}'")
    .replace('unit = "EUR per contact"', f"unit = '{BACKSLASH_UNIT}'")
    .replace('name = "Harbour Dental"', "name = '$Harbour$ \\\\ Dental'")
    .replace('title = "Call-back"', "title = '$\\badcommand{$'")
    + f"""
    [[metrics]]
    key = "spare"
    name = '{BACKSLASH_NAME}'
    kind = "mean"
    direction = "increase"
    unit = '$\\badcommand{{$'
    """
)


@pytest.fixture
def make_pilot(app, write_pilot, tmp_path, monkeypatch):
    app.config["CHART_CACHE_DIR"] = str(tmp_path / "charts")
    monkeypatch.setattr(services, "_CACHE", {})

    def make(rows: str | None) -> Pilot:
        load_path(write_pilot(pilot__toml=TOML, observations__csv=rows))
        db.session.commit()
        return db.session.scalar(select(Pilot))

    return make


def chart_text(client, pilot: Pilot, name: str) -> str:
    response = client.get(f"/pilots/{pilot.slug}/charts/{name}.svg")
    assert response.status_code == 200, name
    assert response.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(response.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return " ".join(root.itertext())


def test_every_chart_draws_math_like_names_and_units_literally(make_pilot, client, login):
    pilot = make_pilot(observations())
    assert pilot.metric("wait").name == MATH_LIKE_NAME  # the loader kept the text as typed
    login("department_head")
    drawn = {name: chart_text(client, pilot, name) for name in charts.chart_names(pilot)}
    assert set(drawn) == {"forest", "series-wait", "series-cost", "series-spare"}
    assert f"H1 · {MATH_LIKE_NAME}" in drawn["forest"]
    assert f"G1 · {DOLLARS_NAME}" in drawn["forest"]
    assert DOLLARS_UNIT in drawn["series-wait"]
    assert BACKSLASH_UNIT in drawn["series-cost"]
    assert f"No dated observations of {BACKSLASH_NAME} yet." in drawn["series-spare"]
    assert client.get(f"/pilots/{pilot.slug}/results").status_code == 200


def test_placeholders_draw_math_like_names_literally(make_pilot, client, login):
    pilot = make_pilot(None)
    login("innovation")
    for key, name in (("wait", MATH_LIKE_NAME), ("cost", DOLLARS_NAME), ("spare", BACKSLASH_NAME)):
        assert f"No dated observations of {name} yet." in chart_text(client, pilot, f"series-{key}")
    assert "No results to plot yet" in chart_text(client, pilot, "forest")
