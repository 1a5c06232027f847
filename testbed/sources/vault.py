"""Connection secrets: sealed with a key from the environment, masked wherever they are shown."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import quote, quote_plus

from flask import current_app
from flask_babel import gettext
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

MASK = "***"
# Query-string arguments of a URL that carry secrets (password=, token=, …).
SECRET_ARGUMENT = re.compile(r"pass|secret|token|key|credential|auth", re.IGNORECASE)
KEY_MAKER = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def key_help() -> str:
    """How to make a key, for the messages that ask for one."""
    return gettext(
        "make one with `%(command)s` and keep it with the other secrets", command=KEY_MAKER
    )


class SourceKeyError(RuntimeError):
    """No usable key to seal or open connection secrets."""


def fernet():
    """The cipher for connection secrets, from ``TESTBED_SOURCE_KEY``.

    Production refuses to go on without it. Elsewhere a key derived from the
    development SECRET_KEY is used, so the demo works out of the box.
    """
    # Imported here: only data-source operations need it, not the start of every worker.
    from cryptography.fernet import Fernet

    key = current_app.config.get("SOURCE_KEY")
    if not key:
        if current_app.config.get("ENV_PRODUCTION"):
            raise SourceKeyError(
                gettext(
                    "TESTBED_SOURCE_KEY must be set when TESTBED_ENV=production: data sources "
                    "keep their passwords encrypted with it; %(help)s",
                    help=key_help(),
                )
            )
        secret = current_app.config["SECRET_KEY"].encode()
        key = base64.urlsafe_b64encode(hashlib.sha256(b"testbed-sources\0" + secret).digest())
    try:
        return Fernet(key)
    except (ValueError, TypeError) as error:
        raise SourceKeyError(
            gettext(
                "TESTBED_SOURCE_KEY is not a Fernet key (32 url-safe base64-encoded bytes); "
                "%(help)s",
                help=key_help(),
            )
        ) from error


def parse_url(text: str) -> URL:
    try:
        return make_url(text.strip())
    except ArgumentError as error:
        raise ValueError(
            gettext("not a database URL: write it as dialect+driver://user:password@host/database")
        ) from error


def masked(url: URL) -> str:
    """The URL as it may be shown: password and secret arguments replaced by ***."""
    query = {
        name: (MASK if SECRET_ARGUMENT.search(name) else value) for name, value in url.query.items()
    }
    return url.set(query=query).render_as_string(hide_password=True)


def without_password(url: URL) -> URL:
    # URL.set(password=None) keeps the password: None there means "not given".
    return url._replace(password=None)


def secrets_of(url: URL) -> list[str]:
    """Every secret the URL holds, in the spellings a driver may echo back."""
    found = [url.password] if url.password else []
    found += [
        value
        for name, values in url.query.items()
        if SECRET_ARGUMENT.search(name)
        for value in ([values] if isinstance(values, str) else values)
    ]
    spelled = set()
    for secret in found:
        if secret and len(secret) >= 1:
            spelled.update({secret, quote(secret, safe=""), quote_plus(secret)})
    # Longest first, so a secret inside another is not half replaced.
    return sorted(spelled, key=len, reverse=True)


def scrub(message: str, url: URL | None) -> str:
    """``message`` with the URL's secrets replaced by ***."""
    if url is None:
        return message
    for secret in secrets_of(url):
        message = message.replace(secret, MASK)
    return message


def seal(url: URL) -> str:
    return fernet().encrypt(url.render_as_string(hide_password=False).encode()).decode()


def unseal(token: str) -> URL:
    from cryptography.fernet import InvalidToken

    try:
        return make_url(fernet().decrypt(token.encode()).decode())
    except InvalidToken as error:
        raise SourceKeyError(
            gettext(
                "the data source's secret cannot be opened with this TESTBED_SOURCE_KEY: "
                "it was sealed with another key (set the old key again, or enter the password "
                "anew)"
            )
        ) from error
