"""What may change the store: never a GET; never a page's form sent without its CSRF token;
and the API only with a token in the Authorization header, never with the browser's cookie."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from testbed.audit import AuditEvent
from testbed.extensions import db
from tests.security.calls import deliver, is_api, make_call, prepare
from tests.security.test_access_matrix import MATRIX
from tests.security.world import ROLES, World, row_counts, signed_in

GETS = sorted(key for key in MATRIX if key[1] == "GET")
WRITES = sorted(key for key in MATRIX if key[1] != "GET")
PAGE_WRITES = [key for key in WRITES if not is_api(key[0])]
# The catch-all answers addresses the API does not have; it changes nothing for anyone.
API_WRITES = [key for key in WRITES if is_api(key[0]) and key[0] != "api.unknown"]
# Results computed from one version of a pilot and kept for other processes: a read may fill
# them in, which changes nothing that anyone could see or that a later request depends on.
DERIVED_TABLES = {"pilot_summary"}
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def snapshot(w: World) -> dict:
    """What a request might change: the rows of every table, the audit log, the pilot's version."""
    db.session.expire_all()
    return {
        "rows": {name: n for name, n in row_counts().items() if name not in DERIVED_TABLES},
        "audit": db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all(),
        "pilot version": w.version,
    }


def test_no_get_changes_anything(world):
    changed = {}
    for key in GETS:
        client, call = prepare(world, key, "admin", world.people["admin"])
        before = snapshot(world)
        response = deliver(client, "GET", call)
        after = snapshot(world)
        db.session.rollback()
        assert response.status_code < 400 or key[0] == "api.unknown", key
        if after != before:
            changed[key] = differences(before, after)
    assert changed == {}


def differences(before: dict, after: dict) -> dict:
    tables = {
        name: (count, after["rows"][name])
        for name, count in before["rows"].items()
        if after["rows"][name] != count
    }
    others = {part: (before[part], after[part]) for part in ("audit", "pilot version")}
    return {"rows": tables} | {part: pair for part, pair in others.items() if pair[0] != pair[1]}


@pytest.fixture
def csrf_on(world):
    """Forms checked for their CSRF token, as in production (the tests' default is off)."""
    world.app.config["WTF_CSRF_ENABLED"] = True
    yield
    world.app.config["WTF_CSRF_ENABLED"] = False


def browser(world: World, role: str):
    """A browser signed in as ``role``: signing in is a form too, so with the checks off."""
    world.app.config["WTF_CSRF_ENABLED"] = False
    client = signed_in(world.app, world.people.get(role))
    world.app.config["WTF_CSRF_ENABLED"] = True
    return client


def csrf_token(client, role: str) -> str:
    page = client.get("/login" if role == "anonymous" else "/account/tokens")
    return CSRF_FIELD.search(page.get_data(as_text=True)).group(1)


@pytest.mark.usefixtures("csrf_on")
@pytest.mark.parametrize("key", PAGE_WRITES, ids="{0[0]}-{0[1]}".format)
def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(world, key):
    # Signing in is the stranger's form; every other form is open to an admin.
    role = "anonymous" if key[0] == "auth.login" else "admin"
    client = browser(world, role)
    owner = world.people.get(role, world.someone_else)
    call = make_call(world, key, owner)
    before = snapshot(world)
    assert deliver(client, key[1], call).status_code == 400
    assert snapshot(world) == before
    # The same request with the token goes through: the token was all it lacked.
    call = make_call(world, key, owner)
    accepted = deliver(client, key[1], call, csrf_token=csrf_token(client, role))
    assert accepted.status_code == MATRIX[key][ROLES.index(role)]


@pytest.mark.usefixtures("csrf_on")
@pytest.mark.parametrize("key", API_WRITES, ids="{0[0]}-{0[1]}".format)
def test_the_api_needs_no_csrf_token_with_a_bearer_token(world, key):
    client, call = prepare(world, key, "admin", world.people["admin"])
    assert deliver(client, key[1], call).status_code == MATRIX[key][ROLES.index("admin")]


@pytest.mark.usefixtures("csrf_on")
@pytest.mark.parametrize("key", API_WRITES, ids="{0[0]}-{0[1]}".format)
def test_the_api_refuses_a_signed_in_browser_without_a_token(world, key):
    """The browser sends its cookie on its own, so the cookie must not be enough to write."""
    admin = browser(world, "admin")
    call = make_call(world, key, world.people["admin"])
    before = snapshot(world)
    response = deliver(admin, key[1], call)
    assert response.status_code == 401
    assert response.json["message"].startswith("send a personal API token")
    assert snapshot(world) == before
