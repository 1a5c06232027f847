"""Who may open each page of the innovation team: every route, every role, and no account."""

from __future__ import annotations

import pytest

from testbed.extensions import db
from testbed.store import upload
from tests.pilots.conftest import OBSERVATIONS

ROLES = ("innovation", "department_head", "finance", "admin")
MAY_EDIT = {"innovation", "admin"}

# (method, path, who may, status for those who may: 422 for a form posted empty)
ROUTES = [
    ("GET", "/", set(ROLES), 200),
    ("GET", "/pilots/new", MAY_EDIT, 200),
    ("POST", "/pilots/new", MAY_EDIT, 422),
    ("GET", "/pilots/reminders", set(ROLES), 200),
    ("GET", "/pilots/reminders/activity", set(ROLES), 200),
    ("GET", "/pilots/reminders/edit", MAY_EDIT, 200),
    ("POST", "/pilots/reminders/edit", MAY_EDIT, 422),
    ("GET", "/pilots/reminders/hypotheses/new", MAY_EDIT, 200),
    ("POST", "/pilots/reminders/hypotheses/new", MAY_EDIT, 422),
    ("GET", "/pilots/reminders/hypotheses/H1/edit", MAY_EDIT, 200),
    ("POST", "/pilots/reminders/hypotheses/H1/edit", MAY_EDIT, 422),
    ("GET", "/pilots/reminders/iterations/new", MAY_EDIT, 200),
    ("POST", "/pilots/reminders/iterations/new", MAY_EDIT, 422),
    ("GET", "/pilots/reminders/observations/upload", MAY_EDIT, 200),
    ("POST", "/pilots/reminders/observations/upload", MAY_EDIT, 422),
    ("GET", "/pilots/reminders/observations/upload/{token}", MAY_EDIT, 200),
    ("POST", "/pilots/reminders/observations/upload/{token}", MAY_EDIT, 302),
    ("POST", "/pilots/reminders/observations/upload/{token}/discard", MAY_EDIT, 302),
]


def pending_token(app, pilot, user) -> str:
    with app.test_request_context():
        text = OBSERVATIONS.replace("fta,pilot,1", "fta,pilot,0")
        return upload.store_upload(pilot, text.encode(), "new.csv", by=user).token


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "allowed", "status"), ROUTES)
def test_each_role_gets_what_its_permissions_allow(
    app, client, login, loaded_pilot, role, method, path, allowed, status
):
    user = login(role)
    path = path.format(token=pending_token(app, loaded_pilot, user))
    data = {"version": str(loaded_pilot.version)} if method == "POST" else None
    response = client.open(path, method=method, data=data)
    assert response.status_code == (status if role in allowed else 403)


@pytest.mark.parametrize(("method", "path", "allowed", "status"), ROUTES)
def test_without_an_account_every_route_leads_to_sign_in(
    app, client, loaded_pilot, method, path, allowed, status
):
    response = client.open(path.format(token="x" * 32), method=method)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    db.session.rollback()
