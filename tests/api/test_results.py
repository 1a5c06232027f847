"""Analysis results and returns over the API: the objects ``testbed analyze --json`` prints."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.models import Pilot
from testbed.results.services import analyse_pilot
from tests.results.test_tails import SCORED_TOML, scored_observations


def as_json(value):
    return json.loads(json.dumps(value, allow_nan=False))


@pytest.mark.parametrize("correction", ["holm", "bh"])
def test_results_are_the_objects_analyze_prints(client, caller, loaded_pilot, correction):
    head = caller("department_head")
    response = client.get(
        f"/api/v1/pilots/{loaded_pilot.slug}/results?correction={correction}", headers=head.headers
    )
    assert response.status_code == 200
    body = response.get_json()
    expected = as_json(analyse_pilot(loaded_pilot, correction))
    assert body["results"] == expected["results"]
    assert (body["pilot"], body["correction"]) == (loaded_pilot.slug, correction)
    assert body["sample_ratio"] == expected["sample_ratio"]
    assert "returns" not in body


def test_an_unknown_correction_is_422(client, caller, loaded_pilot):
    response = client.get(
        f"/api/v1/pilots/{loaded_pilot.slug}/results?correction=bonferroni",
        headers=caller().headers,
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "correction"


def test_returns_are_null_without_a_financial_case(client, caller, loaded_pilot):
    response = client.get(
        f"/api/v1/pilots/{loaded_pilot.slug}/returns", headers=caller("finance").headers
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "pilot": loaded_pilot.slug,
        "name": loaded_pilot.name,
        "status": "active",
        "returns": None,
    }


def test_returns_of_a_pilot_with_a_financial_case(client, caller, financed_pilot):
    finance = caller("finance")
    response = client.get(f"/api/v1/pilots/{financed_pilot.slug}/returns", headers=finance.headers)
    returns = response.get_json()["returns"]
    expected = as_json(analyse_pilot(financed_pilot)["returns"])
    assert returns == expected
    assert returns["currency"] == "EUR" and returns["programmes"] == {"Replace old switches": 0.18}
    listed = client.get("/api/v1/returns", headers=finance.headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["returns"] == expected


def test_a_rank_test_names_its_method(client, caller, write_pilot):
    load_path(write_pilot(pilot__toml=SCORED_TOML, observations__csv=scored_observations()))
    db.session.commit()
    slug = db.session.scalar(select(Pilot)).slug
    response = client.get(f"/api/v1/pilots/{slug}/results", headers=caller().headers)
    assert response.status_code == 200
    ranks = response.get_json()["results"][0]["tails"]["mann_whitney"]
    assert ranks["method"] == "exact"
