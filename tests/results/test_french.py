"""The results in French: each reader's language, from reports and charts kept for everyone."""

from __future__ import annotations

from html import unescape

import pytest
from flask_babel import force_locale

from testbed.results import services
from testbed.results.labels import analysis_text

FRENCH = {"Accept-Language": "fr"}
ENGLISH = {"Accept-Language": "en"}


# Every test here has charts and reports of its own (tests/results/conftest.py).
pytestmark = pytest.mark.usefixtures("chart_cache")


def test_a_french_reader_gets_the_verdicts_in_french_and_the_kept_report_stays_english(
    client, login, make_pilot
):
    pilot = make_pilot()
    login("department_head")
    french = unescape(client.get(f"/pilots/{pilot.slug}/results", headers=FRENCH).get_data(True))
    english = unescape(client.get(f"/pilots/{pilot.slug}/results", headers=ENGLISH).get_data(True))
    kept = services.kept_report(pilot)
    assert kept["results"][0]["verdict"].startswith("Improved: ")
    assert kept["results"][0]["verdict"] in english
    with force_locale("fr"):
        shown = services.report_for(pilot)
    verdict, rule = shown["results"][0]["verdict"], shown["decision"]["rule"]
    assert verdict.startswith("Amélioré\u00a0: ") and verdict in french
    assert rule in french and rule not in english
    assert kept["results"][0]["verdict"] not in french
    # The kept report is never changed by a reader's copy.
    assert services.kept_report(pilot)["results"][0]["verdict"].startswith("Improved: ")


def test_a_chart_is_drawn_and_kept_once_per_language(client, login, make_pilot, chart_cache):
    pilot = make_pilot()
    login("department_head")
    address = f"/pilots/{pilot.slug}/charts/forest.svg"
    french, english = client.get(address, headers=FRENCH), client.get(address, headers=ENGLISH)
    assert "mieux →" in french.get_data(True) and "better →" in english.get_data(True)
    assert french.headers["ETag"] != english.headers["ETag"]
    assert len(list(chart_cache.rglob("*.svg"))) == 2
    again = client.get(address, headers={**FRENCH, "If-None-Match": french.headers["ETag"]})
    assert again.status_code == 304


def test_the_planning_page_refuses_in_french(client, login, make_pilot):
    pilot = make_pilot()
    login("department_head")
    query = {"minimum_effect": 2, "sd": 3, "power": 1.5}
    html = client.get(f"/pilots/{pilot.slug}/planning", query_string=query, headers=FRENCH)
    assert "Doit être compris dans ]0\u00a0; 1[." in unescape(html.get_data(True))
    query = {"minimum_effect": 0.5, "kind": "proportion", "baseline_proportion": 0.8}
    html = client.get(f"/pilots/{pilot.slug}/planning", query_string=query, headers=FRENCH)
    assert "donne 1,3, hors de l'intervalle de 0 à 1" in unescape(html.get_data(True))


def test_what_the_statistics_write_is_shown_in_french_where_it_is_known(app):
    note = (
        "few clusters (6 pilot, 18 baseline): cluster-robust p-values tend to be too small "
        "with fewer than 10 per group"
    )
    assert analysis_text(note) == note
    with force_locale("fr"):
        assert analysis_text(note).startswith("peu de grappes (6 pilote, 18 référence)")
        assert analysis_text("a reason no one has written yet") == "a reason no one has written yet"
