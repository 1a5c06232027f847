"""Signing in and out, and pages that need an account."""

from testbed.auth.services import create_user
from testbed.extensions import db


def add_user(email="ines@example.org", role="innovation", password="a long password"):
    user = create_user(email, role, password)
    db.session.commit()
    return user


def test_pages_need_an_account(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_sign_in_then_see_the_portfolio(client):
    add_user()
    response = client.post(
        "/login", data={"email": "Ines@example.org", "password": "a long password"}
    )
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert b"Pilot portfolio" in page.data


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client):
    add_user()
    response = client.post("/login", data={"email": "ines@example.org", "password": "nope nope"})
    assert response.status_code == 200
    assert b"Wrong e-mail or password." in response.data
    assert client.get("/").status_code == 302


def test_a_deactivated_account_cannot_sign_in(client):
    user = add_user()
    user.active = False
    db.session.commit()
    client.post("/login", data={"email": "ines@example.org", "password": "a long password"})
    assert client.get("/").status_code == 302


def test_sign_out_is_a_post(client):
    add_user()
    client.post("/login", data={"email": "ines@example.org", "password": "a long password"})
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_an_unknown_pilot_gets_the_generic_not_found_page(client):
    add_user()
    client.post("/login", data={"email": "ines@example.org", "password": "a long password"})
    response = client.get("/pilots/none-such")
    assert response.status_code == 404
    assert b"There is nothing at this address." in response.data
    assert b"Traceback" not in response.data
