"""Account and department operations, on their own."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

from testbed.audit import AuditEvent
from testbed.auth import services
from testbed.auth.models import Department, User
from testbed.extensions import db

ADMIN = {"actor": "ada@example.org"}


def make_user(email="ines@example.org", role="innovation", **fields):
    user = services.add_user(
        email=email,
        name=fields.pop("name", ""),
        role=role,
        department=fields.pop("department", None),
        password=fields.pop("password", "a long password"),
        **ADMIN,
    )
    db.session.flush()
    return user


def events() -> list[tuple]:
    return [
        (e.action, e.entity, e.pilot_id, e.actor)
        for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    ]


def test_adding_a_user_is_recorded_without_the_password(app):
    sales = services.add_department("Sales", **ADMIN)
    user = make_user(name=" Ines ", department=sales, password="a secret password")

    assert (user.name, user.department, user.active) == ("Ines", sales, True)
    assert user.check_password("a secret password")
    assert events() == [
        ("created", "department", None, "ada@example.org"),
        ("created", "user", None, "ada@example.org"),
    ]
    assert all("secret" not in e.summary for e in db.session.scalars(select(AuditEvent)))


def test_a_password_shorter_than_eight_characters_is_refused(app):
    with pytest.raises(ValueError, match="8 to 128 characters"):
        make_user(password="seven77")
    user = make_user()
    with pytest.raises(ValueError, match="8 to 128 characters"):
        services.reset_password(user, "short", **ADMIN)


def test_changing_role_and_department_is_recorded(app):
    user = make_user()
    sales = services.add_department("Sales", **ADMIN)
    services.change_user(user, name="Ines", role="department_head", department=sales, **ADMIN)

    assert (user.role, user.department) == ("department_head", sales)
    summary = db.session.scalar(select(AuditEvent.summary).where(AuditEvent.action == "updated"))
    assert summary == "ines@example.org: innovation, no department → department_head, Sales"


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(app):
    admin = make_user("ada@example.org", "admin")
    with pytest.raises(ValueError, match="last active admin"):
        services.change_user(admin, name="", role="finance", department=None, **ADMIN)
    with pytest.raises(ValueError, match="last active admin"):
        services.set_active(admin, False, **ADMIN)
    assert (admin.role, admin.active) == ("admin", True)


def test_an_admin_may_step_down_once_another_admin_is_active(app):
    admin = make_user("ada@example.org", "admin")
    other = make_user("bo@example.org", "admin")
    services.set_active(other, False, **ADMIN)
    with pytest.raises(ValueError, match="last active admin"):
        services.set_active(admin, False, **ADMIN)

    services.set_active(other, True, **ADMIN)
    services.change_user(admin, name="", role="finance", department=None, **ADMIN)
    assert admin.role == "finance"
    with pytest.raises(ValueError, match="last active admin"):
        services.set_active(other, False, **ADMIN)


def test_deactivating_and_reactivating_are_recorded_once(app):
    user = make_user()
    services.set_active(user, False, **ADMIN)
    services.set_active(user, False, **ADMIN)
    services.set_active(user, True, **ADMIN)
    assert [e[0] for e in events()] == ["created", "deactivated", "reactivated"]
    assert services.authenticate("ines@example.org", "a long password") is user


def test_a_deactivated_user_is_not_authenticated(app):
    user = make_user()
    services.set_active(user, False, **ADMIN)
    assert services.authenticate("ines@example.org", "a long password") is None


def test_a_reset_password_replaces_the_old_one(app):
    user = make_user()
    services.reset_password(user, "a brand new one", **ADMIN)
    assert services.authenticate("ines@example.org", "a long password") is None
    assert services.authenticate("ines@example.org", "a brand new one") is user
    assert events()[-1][:2] == ("password_reset", "user")


def test_department_names_are_unique_whatever_their_case(app):
    sales = services.add_department(" Sales ", **ADMIN)
    assert sales.name == "Sales"
    with pytest.raises(ValueError, match="exists already"):
        services.add_department("SALES", **ADMIN)
    with pytest.raises(ValueError, match="give the department a name"):
        services.add_department("  ", **ADMIN)


def test_a_department_is_renamed_and_may_change_only_its_case(app):
    sales = services.add_department("Sales", **ADMIN)
    services.add_department("Operations", **ADMIN)
    services.rename_department(sales, "sales", **ADMIN)
    assert sales.name == "sales"
    with pytest.raises(ValueError, match="exists already"):
        services.rename_department(sales, "operations", **ADMIN)
    assert db.session.scalar(select(Department.name).where(Department.id == sales.id)) == "sales"
    assert events()[-1][0] == "renamed"


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app):
    """The second demotion waits for the first to commit, then finds the last admin."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: there is no race to lose")
    first, second = make_user("ada@example.org", "admin"), make_user("bo@example.org", "admin")
    db.session.commit()
    ids = (first.id, second.id)
    demoted, outcome = threading.Event(), {}

    def step_down(user_id: int, wait_before_commit: threading.Event | None) -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            try:
                services.change_user(user, name="", role="finance", department=None, **ADMIN)
                demoted.set()
                if wait_before_commit is not None:
                    wait_before_commit.wait(timeout=30)
                db.session.commit()
                outcome[user_id] = "demoted"
            except ValueError as error:
                db.session.rollback()
                outcome[user_id] = str(error)
            finally:
                db.session.remove()

    commit_first = threading.Event()
    one = threading.Thread(target=step_down, args=(ids[0], commit_first))
    two = threading.Thread(target=step_down, args=(ids[1], None))
    one.start()
    try:
        assert demoted.wait(timeout=30)
        two.start()
        # The second waits on the lock the first holds on the admins' rows.
        assert wait_for_a_lock_wait(timeout=30), "the second demotion did not wait"
    finally:
        commit_first.set()
        one.join(timeout=30)
        if two.ident is not None:  # started
            two.join(timeout=30)

    assert outcome[ids[0]] == "demoted"
    assert "last active admin" in outcome[ids[1]]
    db.session.expire_all()
    assert services.active_admin_count() == 1


def wait_for_a_lock_wait(timeout: float) -> bool:
    """Whether, within ``timeout`` seconds, a backend of this database waits on a lock."""
    deadline = time.monotonic() + timeout
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while time.monotonic() < deadline:
        with db.engine.connect() as connection:
            if connection.scalar(query):
                return True
        time.sleep(0.05)
    return False
