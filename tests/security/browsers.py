"""Browsers for the session and sign-in tests: each request in its own application context."""

from __future__ import annotations

from testbed.auth.models import User
from testbed.auth.services import create_user
from testbed.extensions import db

PASSWORD = "a long password"  # noqa: S105  (the test accounts' password)
NEW_PASSWORD = "another long password"  # noqa: S105


class Browser:
    """A test client whose every request runs in its own application context.

    The test's own context would otherwise be shared by every client, and
    Flask-Login caches the signed-in user in its ``g``: one browser's user would
    answer for another's request.
    """

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()

    def get(self, path: str, **options):
        with self.app.app_context():
            return self.client.get(path, **options)

    def post(self, path: str, **options):
        with self.app.app_context():
            return self.client.post(path, **options)

    def sign_in(self, email: str, password: str = PASSWORD):
        response = self.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, f"{email} could not sign in"
        return response

    def is_signed_in(self) -> bool:
        return self.get("/").status_code == 200

    @property
    def cookie(self) -> str | None:
        cookie = self.client.get_cookie("session")
        return cookie.value if cookie else None

    def session_token(self) -> str | None:
        with self.app.app_context(), self.client.session_transaction() as session:
            return session.get("session_token")

    def copy(self) -> Browser:
        """Another browser holding this one's cookie, as someone who stole it would."""
        thief = Browser(self.app)
        thief.client.set_cookie("session", self.cookie)
        return thief


def account(email: str = "ines@example.org", role: str = "innovation") -> User:
    user = create_user(email, role, PASSWORD, name=email.split("@")[0].title())
    db.session.commit()
    return user
