"""Configuration from the environment: typed, with an embedded SQLite default."""

from __future__ import annotations

import os
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment does not describe a configuration the app can run with."""


def from_environment(instance_path: str | Path, environ=os.environ) -> dict:
    """Build the configuration mapping for ``create_app``.

    ``TESTBED_ENV=production`` refuses to start without ``SECRET_KEY``: a
    guessable key would let anyone forge a session.
    """
    production = environ.get("TESTBED_ENV", "development") == "production"
    secret_key = environ.get("SECRET_KEY")
    if production and not secret_key:
        raise ConfigError("SECRET_KEY must be set when TESTBED_ENV=production")
    database_url = environ.get("TESTBED_DATABASE_URL") or sqlite_url(instance_path)
    return {
        "ENV_PRODUCTION": production,
        "SECRET_KEY": secret_key or "development-only-not-secret",
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        "LOG_JSON": environ.get("TESTBED_LOG_JSON", "1" if production else "0") == "1",
    }


def sqlite_url(instance_path: str | Path) -> str:
    return f"sqlite:///{Path(instance_path) / 'testbed.sqlite'}"


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgresql://`` form and use the psycopg 3 driver for it."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
