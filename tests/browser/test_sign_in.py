"""Signing in and out in a real browser, with CSRF protection on."""

from testbed.auth.services import create_user
from testbed.extensions import db


def test_sign_in_reaches_the_portfolio_and_sign_out_leaves(page, sign_in, loaded_pilot):
    create_user("ines@example.org", "innovation", "a long password", name="Ines")
    db.session.commit()
    sign_in("ines@example.org")
    assert page.get_by_role("heading", name="Pilot portfolio").is_visible()
    assert page.get_by_role("link", name="Reminder pilot").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.goto("/")
    assert "/login" in page.url


def test_a_wrong_password_shows_the_message_next_to_the_field(page):
    page.goto("/login")
    page.get_by_label("E-mail").fill("nobody@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("Wrong e-mail or password.").is_visible()
