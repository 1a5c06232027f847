"""Limits on failed sign-ins and failed API tokens, so passwords and tokens cannot be guessed.

Only failures count: a person who signs in, or a system whose token works, is
never held up by its own successes.

- 10 failed sign-ins per account (the e-mail typed, in lower case) per 15
  minutes: an attacker guessing one account's password gets 40 tries an hour,
  while a person who forgot theirs has ample room before asking an admin.
- 50 failed sign-ins per client address per 15 minutes: one address trying
  many accounts (password spraying) is stopped, while an office behind one
  address with a few people mistyping is not.
- 50 requests with a missing or wrong API token per address per 15 minutes.
- 10 wrong current passwords per account per 15 minutes when changing one's
  password, so that a stolen session cannot be used to guess the password.

The counts live in ``RATELIMIT_STORAGE_URI`` (Redis in production, shared by
every worker). While that store is unreachable each worker counts in its own
memory, so the limits still hold per worker. Behind reverse proxies the
address is the one ``ProxyFix`` reads from ``X-Forwarded-For``
(``TESTBED_PROXY_HOPS``).
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app, g, render_template, request
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user

from testbed.auth.forms import LoginForm
from testbed.auth.security_log import throttled_sign_in
from testbed.extensions import limiter

FAILED_SIGN_INS_PER_ACCOUNT = "10 per 15 minutes"
FAILED_SIGN_INS_PER_ADDRESS = "50 per 15 minutes"
FAILED_TOKENS_PER_ADDRESS = "50 per 15 minutes"


def _limit(name: str, default: str):
    def provider() -> str:
        return current_app.config.get(name, default)

    return provider


def _account() -> str:
    email = sign_in_email()
    return f"account:{email}" if email else ""


def sign_in_email() -> str:
    """The e-mail of this sign-in as the sign-in form reads it, in lower case.

    The form is filled from a posted form or from a JSON body alike, so the
    count must read it the same way: an attempt the form reads but the limit
    does not see would go uncounted, and a held-back account could go on
    guessing in the other format.
    """
    email = LoginForm(meta={"csrf": False}).email.data
    return (email or "").strip().lower()


def _signed_in_account() -> str:
    return f"account:{current_user.id}" if current_user.is_authenticated else ""


def _address() -> str:
    return f"address:{get_remote_address()}"


def note_failed_sign_in() -> None:
    """Count this request against the sign-in limits (the view calls it on wrong credentials)."""
    g.sign_in_failed = True


def _sign_in_failed(response) -> bool:
    return g.get("sign_in_failed", False)


def _token_refused(response) -> bool:
    return response.status_code == 401


def _token_message() -> str:
    return ngettext(
        "too many requests without a valid API token from this address: "
        "try again in %(num)d minute",
        "too many requests without a valid API token from this address: "
        "try again in %(num)d minutes",
        _minutes(_seconds_to_wait()),
    )


def _failures(setting: str, default: str, key_func):
    """A limit on failed attempts (the view notes them) at POST, counted by ``key_func``."""
    return limiter.limit(
        _limit(setting, default),
        key_func=key_func,
        methods=["POST"],
        deduct_when=_sign_in_failed,
        # No e-mail (or no signed-in user): nothing to count against, and the attempt fails
        # anyway; without this the extension logs an error for the empty key.
        exempt_when=lambda: not key_func(),
    )


sign_in_per_account = _failures(
    "FAILED_SIGN_INS_PER_ACCOUNT", FAILED_SIGN_INS_PER_ACCOUNT, _account
)
sign_in_per_address = _failures(
    "FAILED_SIGN_INS_PER_ADDRESS", FAILED_SIGN_INS_PER_ADDRESS, _address
)
current_password_per_account = _failures(
    "FAILED_SIGN_INS_PER_ACCOUNT", FAILED_SIGN_INS_PER_ACCOUNT, _signed_in_account
)
token_per_address = limiter.shared_limit(
    _limit("FAILED_TOKENS_PER_ADDRESS", FAILED_TOKENS_PER_ADDRESS),
    scope="api-token",
    key_func=_address,
    deduct_when=_token_refused,
    error_message=_token_message,
)


def register_throttling(app: Flask) -> None:
    from testbed.api.endpoint import blueprint as api
    from testbed.api.endpoint import http_error

    # The same limit object each time, so a second application does not count twice.
    token_per_address(api)

    @app.errorhandler(429)
    def too_many(error):
        seconds = _seconds_to_wait()
        if request.blueprint == api.name:
            # A client program reads the wait from the header, as RFC 9110 has it.
            answer = http_error(error)
            answer.headers["Retry-After"] = str(seconds)
            return answer
        if request.endpoint == "auth.login":
            throttled_sign_in(sign_in_email())
        page = render_template("auth/throttled.html", minutes=_minutes(seconds))
        return page, 429, {"Retry-After": str(seconds)}


def _seconds_to_wait() -> int:
    breached = limiter.current_limit
    if breached is None:
        return 60
    # The window's end is kept in whole seconds: never ask for more than the window itself.
    return min(breached.limit.get_expiry(), max(1, math.ceil(breached.reset_at - time.time())))


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))
