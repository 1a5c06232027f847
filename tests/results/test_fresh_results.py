"""The results page is rendered once per pilot version, and every change shows at once."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from testbed.api.auth import create_token
from testbed.auth.models import User
from testbed.auth.services import create_user
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.models import Pilot
from testbed.pilots import services as pilots
from testbed.results import charts, services
from tests.results.test_charts import PILOT_TOML, observations
from tests.results.test_views import card
from tests.security.world import signed_in

# Eight more waits of the pilot group during the pilot: its 112 become 120.
MORE_WAITS = "metric,group,period,date,iteration,value\n" + "".join(
    f"wait,pilot,post,2025-02-0{day},2,7\n" for day in range(1, 9)
)


@pytest.fixture(autouse=True)
def own_caches(app, tmp_path, monkeypatch):
    """Charts, uploads and reports of this test only: ids and versions repeat across tests."""
    app.config["CHART_CACHE_DIR"] = str(tmp_path / "charts")
    app.instance_path = str(tmp_path / "instance")
    monkeypatch.setattr(services, "_CACHE", {})


@pytest.fixture
def pilot(write_pilot) -> Pilot:
    load_path(write_pilot(pilot__toml=PILOT_TOML, observations__csv=observations()))
    db.session.commit()
    return db.session.scalar(select(Pilot))


@pytest.fixture
def innovator(app) -> User:
    user = create_user("ines@example.org", "innovation", "a long password", name="Ines")
    db.session.commit()
    return user


def page(client, pilot: Pilot) -> str:
    # A request of its own, as on a server: its own session and signed-in user.
    slug = pilot.slug
    with client.application.app_context():
        response = client.get(f"/pilots/{slug}/results")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def pilot_n(html: str) -> str:
    """The size of H1's pilot group as its card shows it."""
    row = card(html, "H1").split('<th scope="row">Pilot</th>', 1)[1]
    return row.split('<td class="num">', 1)[1].split("<", 1)[0]


def reload(pilot: Pilot) -> Pilot:
    db.session.expire_all()
    return db.session.get(Pilot, pilot.id)


def test_an_unchanged_pilot_is_analysed_and_rendered_once(app, pilot, innovator, monkeypatch):
    client = signed_in(app, innovator)
    drawn = []
    series = charts.metric_series
    monkeypatch.setattr(charts, "metric_series", lambda p, m: drawn.append(m.key) or series(p, m))
    first, second = page(client, pilot), page(client, pilot)
    assert drawn == ["wait", "cost"]
    assert card(first, "H1") == card(second, "H1")


def test_observations_from_a_changed_folder_show_at_once(app, pilot, innovator, write_pilot):
    client = signed_in(app, innovator)
    assert 'data-outcome="improved"' in card(page(client, pilot), "H1")
    load_path(write_pilot(pilot__toml=PILOT_TOML, observations__csv=observations(wait_shift=3.0)))
    db.session.commit()
    assert 'data-outcome="worse"' in card(page(client, pilot), "H1")


def test_uploaded_observations_show_at_once(app, pilot, innovator):
    client = signed_in(app, innovator)
    assert pilot_n(page(client, pilot)) == "112"
    sent = client.post(
        f"/pilots/{pilot.slug}/observations/upload",
        data={"version": str(pilot.version), "file": (io.BytesIO(MORE_WAITS.encode()), "more.csv")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    confirmed = client.post(sent.headers["Location"], data={"version": str(pilot.version)})
    assert confirmed.status_code == 302
    assert pilot_n(page(client, pilot)) == "120"


def test_observations_pushed_through_the_api_show_at_once(app, pilot, innovator):
    client = signed_in(app, innovator)
    assert pilot_n(page(client, pilot)) == "112"
    _, token = create_token(innovator, "call centre system")
    db.session.commit()
    pushed = app.test_client().post(
        f"/api/v1/pilots/{pilot.slug}/observations",
        headers={"Authorization": f"Bearer {token}"},
        data=MORE_WAITS,
        content_type="text/csv",
    )
    assert pushed.status_code == 201
    assert pilot_n(page(client, pilot)) == "120"


def test_a_new_iteration_shows_at_once(app, pilot, innovator):
    client = signed_in(app, innovator)
    assert "Iteration 3" not in page(client, pilot)
    fields = pilots.IterationFields(3, "Chat replies", start_date=date(2025, 2, 1))
    pilots.log_iteration(pilot, fields, [], by=innovator)
    db.session.commit()
    assert "Iteration 3" in page(client, pilot)


def test_an_amended_hypothesis_shows_at_once(app, pilot, innovator):
    client = signed_in(app, innovator)
    assert "Amendments" not in card(page(client, pilot), "H1")
    hypothesis = pilot.hypotheses[0]
    fields = pilots.HypothesisFields(
        statement=hypothesis.statement,
        metric=hypothesis.metric,
        role=hypothesis.role,
        alpha=0.01,
    )
    pilots.update_hypothesis(hypothesis, fields, by=innovator, reason="A stricter test.")
    db.session.commit()
    h1 = card(page(client, pilot), "H1")
    assert "A stricter test." in h1 and "alpha: 0.05 → 0.01" in h1
    assert "99% interval" in h1


def test_an_edited_pilot_shows_at_once(app, pilot, innovator):
    client = signed_in(app, innovator)
    assert "the shaded part is before the pilot" in page(client, pilot)
    fields = pilots.PilotFields(
        name="Call-back pilot, second wave",
        partner=pilot.partner,
        status="paused",
        start_date=date(2024, 12, 1),  # before every observation: nothing is shaded
    )
    pilots.update_pilot(reload(pilot), fields, by=innovator)
    db.session.commit()
    html = page(client, pilot)
    assert "the shaded part is before the pilot" not in html
    assert "Call-back pilot, second wave" in html and "status-paused" in html


def test_the_viewer_and_their_messages_are_never_taken_from_another_request(app, pilot):
    admin = create_user("ada@example.org", "admin", "a long password", name="Ada")
    head = create_user("hal@example.org", "department_head", "a long password", name="Hal")
    db.session.commit()
    as_admin = page(signed_in(app, admin), pilot)
    as_head = page(signed_in(app, head), pilot)
    assert 'href="/admin/users"' in as_admin and "Ada" in as_admin
    assert 'href="/admin/users"' not in as_head and "Ada" not in as_head and "Hal" in as_head
    assert card(as_admin, "H1") == card(as_head, "H1")


def test_a_rebuilt_database_with_the_same_ids_is_not_served_from_the_cache(
    app, pilot, innovator, write_pilot
):
    client = signed_in(app, innovator)
    assert 'data-outcome="improved"' in card(page(client, pilot), "H1")
    version = pilot.version
    db.session.delete(pilot)
    db.session.commit()
    load_path(write_pilot(pilot__toml=PILOT_TOML, observations__csv=observations(wait_shift=3.0)))
    db.session.commit()
    again = db.session.scalar(select(Pilot))
    assert again.version == version
    assert 'data-outcome="worse"' in card(page(client, again), "H1")
