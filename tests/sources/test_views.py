"""The pages: administrators register sources, the pilot's editors write queries and refresh."""

from __future__ import annotations

import socket

from sqlalchemy import func, select

from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.pilots.models import Pilot
from testbed.sources.models import DataSource, MetricQuery
from testbed.store.models import ImportBatch
from tests.sources.conftest import EXPERIMENTS

SLUG = "vmi-community-hospital"


def test_an_admin_registers_a_source_after_its_connection_test(client, login, make_source):
    login("admin")
    url = make_source("sqlite", EXPERIMENTS / SLUG)
    saved = client.post(
        "/admin/sources", data={"name": "orders", "url": url, "timeout_seconds": "30"}
    )
    assert saved.status_code == 302
    page = client.get("/admin/sources").get_data(as_text=True)
    assert "orders" in page and "works" in page


def test_a_source_that_fails_its_test_is_not_saved(client, login):
    login("admin")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    response = client.post(
        "/admin/sources",
        data={
            "name": "down",
            "url": f"postgresql://reader@127.0.0.1:{port}/x",
            "password": "Pw-9f3k2-secret",
            "timeout_seconds": "5",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The connection test failed, nothing was saved" in page and str(port) in page
    assert "Pw-9f3k2-secret" not in page
    assert db.session.scalar(select(func.count()).select_from(DataSource)) == 0


def test_a_password_in_the_url_field_is_refused(client, login):
    login("admin")
    response = client.post(
        "/admin/sources",
        data={"name": "x", "url": "postgresql://u:pw@host/db", "timeout_seconds": "5"},
    )
    assert response.status_code == 422
    assert "Leave the password out of the URL" in response.get_data(as_text=True)


def test_an_editor_writes_a_query_and_refreshes_the_pilot(client, login, make_source, runner):
    load_path(EXPERIMENTS / SLUG)
    db.session.commit()
    runner.invoke(args=["sources", "add", "warehouse", make_source("duckdb", EXPERIMENTS / SLUG)])
    source = db.session.scalar(select(DataSource))
    login("innovation")

    refused = client.post(
        f"/pilots/{SLUG}/metrics/revenue/query",
        data={"source_id": str(source.id), "sql": "DROP TABLE observations"},
    )
    assert refused.status_code == 422
    assert "only a SELECT" in refused.get_data(as_text=True)

    saved = client.post(
        f"/pilots/{SLUG}/metrics/revenue/query",
        data={
            "source_id": str(source.id),
            "sql": 'SELECT "group", period, date, iteration, value FROM observations '
            "WHERE metric = 'revenue' AND date >= :start - 400",
        },
    )
    assert saved.status_code == 302
    refreshed = client.post(f"/pilots/{SLUG}/sources/refresh", follow_redirects=True)
    page = refreshed.get_data(as_text=True)
    assert "Refreshed:" in page and "Last refreshed" in page
    query = db.session.scalar(select(MetricQuery))
    assert query.batch is not None and query.batch.origin == "source"
    activity = client.get(f"/pilots/{SLUG}/activity").get_data(as_text=True)
    assert "refreshed" in activity and query.fingerprint[:12] in activity


def test_a_failed_refresh_shows_the_sources_message(client, login, make_source, runner):
    load_path(EXPERIMENTS / SLUG)
    db.session.commit()
    runner.invoke(args=["sources", "add", "warehouse", make_source("sqlite")])
    runner.invoke(
        args=["sources", "attach", SLUG, "revenue", "warehouse", "--sql", "SELECT * FROM nowhere"]
    )
    login("innovation")
    page = client.post(f"/pilots/{SLUG}/sources/refresh", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Nothing changed" in text and "no such table: nowhere" in text
    pilot = db.session.scalar(select(Pilot))
    origins = db.session.scalars(select(ImportBatch.origin).where(ImportBatch.pilot_id == pilot.id))
    assert set(origins) == {"file"}


def test_department_heads_and_finance_do_not_see_the_queries(client, login, loaded_pilot):
    login("finance")
    assert client.get(f"/pilots/{loaded_pilot.slug}/sources").status_code == 403
    assert "Data sources" not in client.get(f"/pilots/{loaded_pilot.slug}").get_data(as_text=True)
