"""Failed sign-ins and refused access reach the application log, passwords never do."""

from __future__ import annotations

import json
import logging

import pytest

from testbed.api.auth import create_token
from testbed.extensions import db
from testbed.logs import JsonFormatter
from tests.security.browsers import Browser, account

WRONG = "my secret typo"  # noqa: S105


def events(caplog, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "fields", {}).get("event") == name]


def test_a_failed_sign_in_is_logged_with_the_email_and_address_never_the_password(app, caplog):
    account()
    caplog.set_level(logging.WARNING, logger="testbed")
    Browser(app).post(
        "/login",
        data={"email": "Ines@example.org", "password": WRONG},
        environ_base={"REMOTE_ADDR": "192.0.2.44"},
    )

    [record] = events(caplog, "sign_in_failed")
    assert record.levelno == logging.WARNING
    assert record.fields["email"] == "ines@example.org"
    assert record.fields["remote"] == "192.0.2.44"
    line = JsonFormatter().format(record)
    assert json.loads(line)["email"] == "ines@example.org"
    assert "192.0.2.44" in record.getMessage()
    assert all(WRONG not in r.getMessage() and WRONG not in str(r.__dict__) for r in caplog.records)


def test_a_successful_sign_in_logs_no_failure(app, caplog):
    account()
    caplog.set_level(logging.WARNING, logger="testbed")
    Browser(app).sign_in("ines@example.org")
    assert events(caplog, "sign_in_failed") == []


def test_a_throttled_sign_in_is_logged(app, caplog):
    app.config["FAILED_SIGN_INS_PER_ACCOUNT"] = "1 per 15 minutes"
    account()
    browser = Browser(app)
    browser.post("/login", data={"email": "ines@example.org", "password": WRONG})
    caplog.set_level(logging.WARNING, logger="testbed")
    browser.post("/login", data={"email": "ines@example.org", "password": WRONG})

    [record] = events(caplog, "sign_in_throttled")
    assert record.fields["email"] == "ines@example.org"


def test_a_page_refused_with_403_is_logged_with_user_path_and_permission(app, caplog):
    ines = account()
    browser = Browser(app)
    browser.sign_in("ines@example.org")
    caplog.set_level(logging.WARNING, logger="testbed")

    assert browser.get("/admin/users").status_code == 403

    [record] = events(caplog, "access_denied")
    assert record.fields["user"] == ines.id
    assert record.fields["path"] == "/admin/users"
    assert record.fields["permission"] == "admin.manage"


def test_an_api_call_refused_with_403_is_logged_with_the_tokens_user(app, caplog):
    dana = account("dana@example.org", "department_head")
    _, token = create_token(dana, "model")
    db.session.commit()
    caplog.set_level(logging.WARNING, logger="testbed")

    response = Browser(app).post(
        "/api/v1/pilots", headers={"Authorization": f"Bearer {token}"}, json={}
    )

    assert response.status_code == 403
    [record] = events(caplog, "access_denied")
    assert (record.fields["user"], record.fields["path"]) == (dana.id, "/api/v1/pilots")
    assert record.fields["permission"] == "pilot.edit"


@pytest.mark.parametrize("path", ["/", "/admin/users"])
def test_pages_that_open_log_no_denial(app, caplog, path):
    account("admin@example.org", "admin")
    browser = Browser(app)
    browser.sign_in("admin@example.org")
    caplog.set_level(logging.WARNING, logger="testbed")
    assert browser.get(path).status_code == 200
    assert events(caplog, "access_denied") == []
