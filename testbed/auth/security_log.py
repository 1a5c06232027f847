"""Security events in the application log: failed sign-ins and refused access.

Each entry has a readable message and, for the JSON log of production, the
same facts as fields. A password is never logged, not even a wrong one: it is
often a typo of the right one.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_login import current_user

from testbed.api.auth import Unauthenticated, bearer_token, user_for_token


def failed_sign_in(email: str) -> None:
    _sign_in_event("sign_in_failed", "failed sign-in for %r from %s", email)


def throttled_sign_in(email: str) -> None:
    _sign_in_event("sign_in_throttled", "sign-in paused for %r from %s: too many failures", email)


def _sign_in_event(event: str, message: str, email: str) -> None:
    email, address = _account(email), request.remote_addr
    current_app.logger.warning(
        message,
        email,
        address,
        extra={"fields": {"event": event, "email": email, "remote": address}},
    )


def _account(email: str) -> str:
    # As the sign-in limit counts it; an e-mail is at most 254 characters.
    return email.strip().lower()[:254]


def register_security_log(app: Flask) -> None:
    @app.after_request
    def log_denied_access(response):
        if response.status_code == 403:
            _denied(_requester_id(), request.path, _permission())
        return response


def _denied(user_id: int | None, path: str, permission: str | None) -> None:
    current_app.logger.warning(
        "access denied to user %s at %s (needs %s)",
        user_id,
        path,
        permission,
        extra={
            "fields": {
                "event": "access_denied",
                "user": user_id,
                "path": path,
                "permission": permission,
                "remote": request.remote_addr,
            }
        },
    )


def _permission() -> str | None:
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "permission", None)


def _requester_id() -> int | None:
    if request.blueprint == "api":
        # The API refuses before it keeps the token's user, so look the token up again.
        user = g.get("api_user")
        if user is None:
            try:
                user, _ = user_for_token(bearer_token(request.headers.get("Authorization")))
            except Unauthenticated:
                return None
        return user.id
    return current_user.id if current_user.is_authenticated else None
