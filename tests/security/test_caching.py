"""Nothing but the static files is kept by a browser or a proxy: every page, download and API
answer carries ``Cache-Control: no-store`` (OWASP ASVS 14.3), the page that shows a new API
token once, in clear, included."""

from __future__ import annotations

import pytest

from testbed.extensions import db
from tests.security.calls import deliver, prepare
from tests.security.test_access_matrix import MATRIX
from tests.security.test_csv_exports import csv_routes
from tests.security.world import ROLES, World, signed_in


def is_never_stored(response) -> bool:
    return "no-store" in response.cache_control


@pytest.mark.parametrize("key", sorted(MATRIX), ids="{0[0]}-{0[1]}".format)
def test_every_answer_of_every_route_to_every_role_is_never_stored(world: World, key):
    # Successes, redirects, refusals and errors alike: a 403 page or a 401 in JSON names
    # things too, and a redirect after a form must not be replayed from a cache.
    stored = {}
    for role in ROLES:
        client, call = prepare(world, key, role, world.people.get(role) or world.someone_else)
        response = deliver(client, key[1], call)
        db.session.rollback()
        if not is_never_stored(response):
            stored[role] = (response.status_code, response.headers.get("Cache-Control"))
    assert stored == {}


def test_the_page_showing_a_new_token_in_clear_is_never_stored(world: World):
    client = signed_in(world.app, world.people["innovation"])
    shown = client.post("/account/tokens", data={"name": "nightly push"})
    assert shown.status_code == 200
    assert "tb_" in shown.get_data(as_text=True)
    assert is_never_stored(shown)


def test_every_csv_download_is_never_stored(world: World):
    client = signed_in(world.app, world.people["finance"])
    routes = csv_routes(world.app, world.slug)
    assert len(routes) >= 2, routes
    for route in routes:
        download = client.get(route)
        assert download.status_code == 200, route
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert is_never_stored(download), route


def report_routes(app, slug: str) -> list[str]:
    """Every GET address of the application that answers with a PDF or a workbook."""
    return [
        rule.rule.replace("<slug>", slug)
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.rule.endswith((".pdf", ".xlsx"))
    ]


def test_every_report_download_is_an_attachment_never_stored(world: World):
    client = signed_in(world.app, world.people["department_head"])
    routes = report_routes(world.app, world.slug)
    assert len(routes) >= 3, routes
    for route in routes:
        download = client.get(route)
        assert download.status_code == 200, route
        disposition = download.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="testbed-'), route
        assert is_never_stored(download), route


def test_a_chart_of_results_is_never_stored(world: World):
    client = signed_in(world.app, world.people["department_head"])
    chart = client.get(f"/pilots/{world.slug}/charts/forest.svg")
    assert chart.status_code == 200
    assert is_never_stored(chart)


def test_the_static_files_may_be_kept(client):
    stylesheet = client.get("/static/css/base.css")
    stylesheet.close()
    assert stylesheet.status_code == 200
    assert not is_never_stored(stylesheet)
