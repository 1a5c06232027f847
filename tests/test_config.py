"""Configuration from the environment, and the settings every SQLite connection gets."""

import pytest
from sqlalchemy import text

from testbed import create_app
from testbed.config import ConfigError, from_environment
from testbed.extensions import db


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        from_environment(tmp_path, {"TESTBED_ENV": "production"})


def test_production_refuses_to_start_without_a_shared_rate_limit_store(tmp_path):
    environment = {"TESTBED_ENV": "production", "SECRET_KEY": "s3cret"}
    with pytest.raises(ConfigError, match="TESTBED_RATELIMIT_STORAGE_URL must name a shared"):
        from_environment(tmp_path, environment)
    with pytest.raises(ConfigError, match="TESTBED_RATELIMIT_STORAGE_URL"):
        from_environment(tmp_path, environment | {"TESTBED_RATELIMIT_STORAGE_URL": "memory://"})


def test_development_counts_sign_in_failures_in_memory_and_trusts_no_proxy(tmp_path):
    config = from_environment(tmp_path, {})
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["PROXY_HOPS"] == 0


def test_production_with_a_secret_key_uses_secure_cookies(tmp_path):
    config = from_environment(
        tmp_path,
        {
            "TESTBED_ENV": "production",
            "SECRET_KEY": "s3cret",
            "TESTBED_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0",
        },
    )
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SECRET_KEY"] == "s3cret"


def test_the_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    config = from_environment(tmp_path, {})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'testbed.sqlite'}"


def test_a_postgresql_url_selects_the_psycopg_driver(tmp_path):
    config = from_environment(tmp_path, {"TESTBED_DATABASE_URL": "postgresql://u@h:5432/d"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h:5432/d"


def test_every_sqlite_connection_uses_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    with app.app_context(), db.engine.connect() as connection:
        pragma = lambda name: connection.execute(text(f"PRAGMA {name}")).scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 10_000
    with app.app_context():
        db.engine.dispose()
