"""Configuration from the environment: typed, with an embedded SQLite default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit


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
        "BASE_URL": base_url(environ),
        "SMTP": smtp_settings(environ),
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


TLS_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    """Where notification e-mails go (``TESTBED_SMTP_*`` and ``TESTBED_MAIL_FROM``)."""

    host: str
    port: int
    tls: str
    user: str | None
    password: str | None
    sender: str


def base_url(environ) -> str | None:
    """``TESTBED_BASE_URL``: the app's public address, which links in e-mails start with."""
    url = (environ.get("TESTBED_BASE_URL") or "").strip().rstrip("/")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"TESTBED_BASE_URL must be the app's address such as https://testbed.example.org, "
            f"not '{url}'"
        )
    return url


def smtp_settings(environ) -> SmtpSettings | None:
    """The SMTP server from ``TESTBED_SMTP_HOST`` and its companions, or None without a host.

    Half a configuration fails at start-up rather than at the first e-mail: a host
    needs a sender (``TESTBED_MAIL_FROM``) and ``TESTBED_BASE_URL`` for the links; a
    user needs a password and the other way round, and both need TLS.
    """
    names = ("HOST", "PORT", "TLS", "USER", "PASSWORD")
    given = {name: (environ.get(f"TESTBED_SMTP_{name}") or "").strip() for name in names}
    sender = (environ.get("TESTBED_MAIL_FROM") or "").strip()
    if not given["HOST"]:
        others = [f"TESTBED_SMTP_{name}" for name in names[1:] if given[name]]
        if others or sender:
            named = ", ".join(others + (["TESTBED_MAIL_FROM"] if sender else []))
            raise ConfigError(f"{named} set without TESTBED_SMTP_HOST: name the SMTP server too")
        return None
    tls = given["TLS"] or "starttls"
    if tls not in TLS_MODES:
        raise ConfigError(f"TESTBED_SMTP_TLS must be one of {', '.join(TLS_MODES)}, not '{tls}'")
    port_text = given["PORT"] or str(DEFAULT_PORTS[tls])
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ConfigError(f"TESTBED_SMTP_PORT must be a port from 1 to 65535, not '{port_text}'")
    if not sender or "@" not in sender:
        raise ConfigError(
            "TESTBED_MAIL_FROM must name the sender address when TESTBED_SMTP_HOST is set"
        )
    if bool(given["USER"]) != bool(given["PASSWORD"]):
        raise ConfigError("set TESTBED_SMTP_USER and TESTBED_SMTP_PASSWORD together, or neither")
    if given["USER"] and tls == "none":
        raise ConfigError(
            "TESTBED_SMTP_TLS=none would send the SMTP password in clear: use starttls or ssl"
        )
    if base_url(environ) is None:
        raise ConfigError(
            "TESTBED_BASE_URL must be set when TESTBED_SMTP_HOST is: e-mails link to the app"
        )
    return SmtpSettings(
        host=given["HOST"],
        port=int(port_text),
        tls=tls,
        user=given["USER"] or None,
        password=given["PASSWORD"] or None,
        sender=sender,
    )
