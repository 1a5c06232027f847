"""Passwords: how they are kept, and which ones are refused (OWASP ASVS 2.1 and 2.4)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from testbed.auth import services
from testbed.auth.models import User
from testbed.auth.services import check_new_password, create_user, find_user
from testbed.cli import DEMO_PASSWORD
from testbed.extensions import db
from tests.security.browsers import PASSWORD, Browser, account

COMMON_MESSAGE = "This password is among the 10,000 most common ones"
PASSPHRASE = "the harbour dentist sends a reminder by text message two days before"
NEW_USER = {"email": "dana@example.org", "name": "Dana", "role": "finance", "department": "0"}


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_passwords_are_kept_as_scrypt_hashes_with_n_of_at_least_2_to_the_16(app):
    user = account()
    method, salt, digest = user.password_hash.split("$")
    name, n, r, p = method.split(":")
    assert name == "scrypt"
    assert int(n) >= 2**16 and (int(r), int(p)) == (8, 1)
    assert salt and len(digest) == 128
    assert PASSWORD not in user.password_hash


def test_two_users_with_the_same_password_get_different_hashes(app):
    first, second = account(), account("dana@example.org")
    assert first.password_hash != second.password_hash


@pytest.fixture
def admin(app):
    account("admin@example.org", "admin")
    browser = Browser(app)
    browser.sign_in("admin@example.org")
    return browser


@pytest.mark.parametrize("password", ["password", "PassWord1", "iloveyou", "Qwertyuiop"])
def test_a_common_password_is_refused_next_to_the_field_with_the_reason(admin, password):
    response = admin.post("/admin/users", data=NEW_USER | {"password": password})

    assert response.status_code == 422
    assert f'id="password-error">{COMMON_MESSAGE}' in text_of(response)
    assert find_user("dana@example.org") is None


def test_a_common_password_is_refused_as_a_reset_and_as_ones_own_change(app, admin):
    dana = account("dana@example.org")
    reset = admin.post(
        f"/admin/users/{dana.id}/password", data={"password": "sunshine", "confirm": "sunshine"}
    )
    assert reset.status_code == 422
    assert f'id="password-error">{COMMON_MESSAGE}' in text_of(reset)

    change = admin.post(
        "/account/password",
        data={"current": PASSWORD, "password": "football1", "confirm": "football1"},
    )
    assert change.status_code == 422
    assert f'id="password-error">{COMMON_MESSAGE}' in text_of(change)
    db.session.refresh(dana)
    assert dana.check_password(PASSWORD)


def test_the_services_and_the_command_line_refuse_a_common_password_too(app, runner):
    with pytest.raises(ValueError, match="among the 10,000 most common ones"):
        create_user("dana@example.org", "finance", "baseball")
    ines = account()
    with pytest.raises(ValueError, match="most common"):
        services.reset_password(ines, "Princess1", actor="admin@example.org")

    result = runner.invoke(
        args=["users", "create", "a@example.org", "--role", "admin", "--password", "trustno1"]
    )
    assert result.exit_code == 1 and "most common ones" in result.output
    assert db.session.scalar(select(User).where(User.email == "a@example.org")) is None


def test_a_long_passphrase_without_digits_or_capitals_is_accepted(app, admin):
    assert len(PASSPHRASE) >= 64 and PASSPHRASE.islower()
    response = admin.post("/admin/users", data=NEW_USER | {"password": PASSPHRASE})

    assert response.status_code == 302
    Browser(app).sign_in("dana@example.org", PASSPHRASE)


@pytest.mark.parametrize(
    "password", ["purple window carrot lantern", "tbqhbwsc", "48151623429", "x" * 128]
)
def test_no_rule_on_what_a_password_is_made_of(password):
    check_new_password(password)


@pytest.mark.parametrize("password", ["seven77", "y" * 129])
def test_a_password_is_8_to_128_characters(password):
    with pytest.raises(ValueError, match="8 to 128 characters"):
        check_new_password(password)


def test_the_first_10000_of_the_ranked_list_are_refused_and_the_rest_are_not():
    ranked = FREQUENCY_LISTS["passwords"]
    last_refused = next(w for w in reversed(ranked[:10_000]) if len(w) >= 8)
    first_allowed = next(w for w in ranked[10_000:] if len(w) >= 8)
    with pytest.raises(ValueError, match="most common"):
        check_new_password(last_refused.upper())
    check_new_password(first_allowed)


def test_the_demo_and_test_passwords_are_not_refused():
    for password in (DEMO_PASSWORD, PASSWORD, "first password", "long enough pw"):
        check_new_password(password)
