"""Configuration from the environment: typed, with an embedded SQLite default."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment does not describe a configuration the app can run with."""


def from_environment(instance_path: str | Path, environ=os.environ) -> dict:
    """Build the configuration mapping for ``create_app``.

    ``TESTBED_ENV=production`` refuses to start without ``SECRET_KEY`` (a
    guessable key would let anyone forge a session) and without a shared store
    for sign-in limits in ``TESTBED_RATELIMIT_STORAGE_URL``, such as
    ``redis://host:6379/0``: counts kept in each worker's memory would multiply
    the allowed attempts by the number of workers and vanish at each restart.
    ``TESTBED_PROXY_HOPS`` is how many reverse proxies in front of the app set
    ``X-Forwarded-For``; 0 (the default) trusts no such header.
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
        # __Host- binds the cookie to this host, over HTTPS, for the whole site.
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # NIST SP 800-63B at AAL2 (ASVS 7.3): sign in again after 30 minutes without
        # a request, and at least every 12 hours however busy.
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=30),
        "SESSION_LIFETIME": timedelta(hours=12),
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        "LOG_JSON": environ.get("TESTBED_LOG_JSON", "1" if production else "0") == "1",
        "RATELIMIT_STORAGE_URI": rate_limit_storage(environ, production),
        "RATELIMIT_KEY_PREFIX": "testbed",
        # With the shared store unreachable, each worker counts in its own memory
        # (and logs it) until the store is back: sign-in and the API keep working,
        # still limited, instead of failing for everyone.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "PROXY_HOPS": proxy_hops(environ),
        # Fernet key sealing data-source passwords (testbed/sources/vault.py).
        "SOURCE_KEY": environ.get("TESTBED_SOURCE_KEY"),
    }


def rate_limit_storage(environ, production: bool) -> str:
    url = environ.get("TESTBED_RATELIMIT_STORAGE_URL") or "memory://"
    if production and url.startswith("memory://"):
        raise ConfigError(
            "TESTBED_RATELIMIT_STORAGE_URL must name a shared store such as redis://host:6379/0 "
            "when TESTBED_ENV=production"
        )
    return url


def proxy_hops(environ) -> int:
    text = environ.get("TESTBED_PROXY_HOPS", "0").strip()
    if not text.isdigit():
        raise ConfigError(f"TESTBED_PROXY_HOPS must be a whole number of proxies, not '{text}'")
    return int(text)


def sqlite_url(instance_path: str | Path) -> str:
    return f"sqlite:///{Path(instance_path) / 'testbed.sqlite'}"


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgresql://`` form and use the psycopg 3 driver for it."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
