"""Who may open each suggestion and department route: every role, and nobody signed in."""

from __future__ import annotations

import pytest

from testbed.auth.access import PERMISSIONS
from testbed.extensions import db

ROLES = ("innovation", "department_head", "finance", "admin")

# method, path, permission, form data for a request that succeeds when allowed.
ROUTES = [
    ("GET", "/pilots/{slug}/suggestions", "pilot.view", None),
    ("POST", "/pilots/{slug}/suggestions", "suggestion.add", {"text": "Try evening slots"}),
    ("GET", "/suggestions/{id}", "pilot.view", None),
    ("POST", "/pilots/{slug}/suggestions/{id}/comments", "suggestion.discuss", {"text": "Yes"}),
    ("POST", "/pilots/{slug}/suggestions/{id}/vote", "suggestion.discuss", {}),
    (
        "POST",
        "/pilots/{slug}/suggestions/{id}/decision",
        "suggestion.decide",
        {"status": "under_review"},
    ),
    ("GET", "/departments", "department.view", None),
    ("GET", "/departments/{department}", "department.view", None),
]


@pytest.fixture
def target(pilot, suggest):
    suggestion = suggest(pilot)
    return {"slug": pilot.slug, "id": suggestion.id, "department": suggestion.department_id}


def request(client, pilot, method, path, data, target):
    url = path.format(**target)
    if method == "GET":
        return client.get(url)
    data = dict(data)
    if url.endswith("/decision"):
        db.session.refresh(pilot)
        data["version"] = str(pilot.version)
    return client.post(url, data=data)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "permission", "data"), ROUTES)
def test_each_role_gets_what_the_permission_table_allows(
    client, login, pilot, target, role, method, path, permission, data
):
    login(role)
    response = request(client, pilot, method, path, data, target)
    if role not in PERMISSIONS[permission]:
        assert response.status_code == 403
    else:
        assert response.status_code == (200 if method == "GET" else 302)


@pytest.mark.parametrize(("method", "path", "permission", "data"), ROUTES)
def test_nobody_signed_in_is_sent_to_sign_in(client, pilot, target, method, path, permission, data):
    response = request(client, pilot, method, path, data or {}, target)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
