"""Who may open and change each finance route: every role, and nobody signed in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from testbed.extensions import db
from testbed.finance.models import Benefit, CostItem, Programme

ROLES = ("innovation", "department_head", "finance", "admin")
READERS = set(ROLES)
EDITORS = {"finance", "admin"}

READ_ROUTES = (
    "/finance",
    "/finance/export.csv",
    "/pilots/reminders/finance",
    "/pilots/reminders/finance.csv",
)
EDIT_ROUTES = (
    "/pilots/reminders/finance/plan",
    "/pilots/reminders/finance/costs/new",
    "/pilots/reminders/finance/costs/{cost}",
    "/pilots/reminders/finance/benefits/new",
    "/pilots/reminders/finance/benefits/{benefit}",
    "/finance/programmes",
    "/finance/programmes/{programme}",
)
DELETE_ROUTES = (
    ("/pilots/reminders/finance/costs/{cost}/delete", CostItem),
    ("/pilots/reminders/finance/benefits/{benefit}/delete", Benefit),
    ("/finance/programmes/{programme}/delete", Programme),
)


@pytest.fixture
def ids(finance_pilot):
    return {
        "cost": db.session.scalar(select(CostItem.id).limit(1)),
        "benefit": db.session.scalar(select(Benefit.id).limit(1)),
        "programme": db.session.scalar(select(Programme.id).limit(1)),
    }


@pytest.mark.parametrize("role", ROLES)
def test_who_may_open_each_finance_page(client, login, ids, role):
    login(role)
    statuses = {route: client.get(route.format(**ids)).status_code for route in READ_ROUTES}
    statuses |= {route: client.get(route.format(**ids)).status_code for route in EDIT_ROUTES}
    expected = {route: 200 if role in READERS else 403 for route in READ_ROUTES}
    expected |= {route: 200 if role in EDITORS else 403 for route in EDIT_ROUTES}
    assert statuses == expected


@pytest.mark.parametrize("role", sorted(set(ROLES) - EDITORS))
def test_others_cannot_change_anything(client, login, finance_pilot, ids, role):
    login(role)
    version = {"version": finance_pilot.version}
    statuses = [client.post(route.format(**ids), data=version).status_code for route in EDIT_ROUTES]
    statuses += [
        client.post(route.format(**ids), data=version).status_code for route, _ in DELETE_ROUTES
    ]
    assert set(statuses) == {403}
    assert all(db.session.scalar(select(func.count()).select_from(m)) > 0 for _, m in DELETE_ROUTES)
    assert finance_pilot.version == version["version"]


def test_nobody_signed_in_is_sent_to_sign_in(client, ids):
    routes = READ_ROUTES + EDIT_ROUTES
    responses = [client.get(route.format(**ids)) for route in routes]
    responses += [client.post(route.format(**ids)) for route, _ in DELETE_ROUTES]
    assert {r.status_code for r in responses} == {302}
    assert all(r.headers["Location"].startswith("/login") for r in responses)


@pytest.mark.parametrize("role", ROLES)
def test_the_finance_tab_and_edit_links_follow_the_permissions(client, login, ids, role):
    login(role)
    overview = client.get("/pilots/reminders").get_data(as_text=True)
    assert ('href="/pilots/reminders/finance"' in overview) == (role in READERS)
    if role in READERS:
        page = client.get("/pilots/reminders/finance").get_data(as_text=True)
        assert ("Add a cost" in page) == (role in EDITORS)
        assert ("Change the plan" in page) == (role in EDITORS)
