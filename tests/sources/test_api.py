"""`POST /api/v1/pilots/{slug}/refresh`: what a refresh fetched, or why nothing changed."""

from __future__ import annotations

from sqlalchemy import select

from testbed.api.auth import create_token
from testbed.auth.services import create_user
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.pilots.models import Pilot
from testbed.sources import services
from tests.sources.conftest import EXPERIMENTS, switch_to_source


def test_the_api_refreshes_a_pilot_and_reports_a_failure(client, make_source):
    load_path(EXPERIMENTS / "vmi-community-hospital")
    user = create_user("ines@example.org", "innovation", "a long password")
    db.session.commit()
    pilot = db.session.scalar(select(Pilot))
    source = services.register_source(
        "duck", make_source("duckdb", EXPERIMENTS / "vmi-community-hospital"), actor="test"
    )
    switch_to_source(pilot, source)
    _, secret = create_token(user, "sync")
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}

    answer = client.post(f"/api/v1/pilots/{pilot.slug}/refresh", headers=headers)

    assert answer.status_code == 200
    body = answer.get_json()
    assert body["refreshed"] is True and body["errors"] == {}
    assert sum(m["rows"] for m in body["metrics"]) == 8874
    services.pilot_queries(pilot)[0].sql = "SELECT * FROM nowhere"
    db.session.commit()
    failed = client.post(f"/api/v1/pilots/{pilot.slug}/refresh", headers=headers).get_json()
    assert failed["refreshed"] is False and failed["metrics"] == []
    assert "nowhere" in next(iter(failed["errors"].values()))
