"""A source's password never appears in clear: pages, log lines, exports, backups."""

from __future__ import annotations

import logging
import socket

import pytest
from sqlalchemy import select

from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.logs import JsonFormatter
from testbed.pilots.models import Pilot
from testbed.sources import services
from testbed.sources.models import DataSource
from testbed.sources.vault import SourceKeyError, unseal, without_password
from tests.sources.conftest import EXPERIMENTS, switch_to_source

PASSWORD = "Pw-9f3k2-secret"


@pytest.fixture
def secret_source(app, make_source):
    """A PostgreSQL source whose URL carries PASSWORD (trust auth ignores it), feeding a pilot."""
    folder = EXPERIMENTS / "vmi-community-hospital"
    url = make_source("postgresql", folder)
    assert PASSWORD in url
    load_path(folder)
    db.session.commit()
    pilot = db.session.scalar(select(Pilot))
    source = services.register_source("warehouse", url, actor="test")
    switch_to_source(pilot, source, make_source.table)
    assert services.refresh_pilot(pilot, actor="test").ok
    db.session.commit()
    return source, pilot


def test_the_password_is_stored_only_sealed(secret_source):
    source, _ = secret_source
    assert PASSWORD not in source.url_sealed and PASSWORD not in source.url_shown
    assert "***" in source.url_shown
    assert unseal(source.url_sealed).password == PASSWORD


def test_no_page_shows_the_password(secret_source, client, login):
    source, pilot = secret_source
    login("admin")
    for path in (
        "/admin/sources",
        f"/admin/sources/{source.id}",
        f"/pilots/{pilot.slug}/sources",
        f"/pilots/{pilot.slug}",
        f"/pilots/{pilot.slug}/activity",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert PASSWORD not in page.get_data(as_text=True), path
    edit = client.get(f"/admin/sources/{source.id}").get_data(as_text=True)
    assert "Unchanged unless you enter a new one here." in edit


def test_saving_without_a_new_password_keeps_the_old_one(secret_source, client, login):
    source, _ = secret_source
    login("admin")
    url = without_password(unseal(source.url_sealed)).render_as_string()
    response = client.post(
        f"/admin/sources/{source.id}",
        data={"name": "renamed", "url": url, "timeout_seconds": "30", "password": ""},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    db.session.expire_all()
    assert unseal(db.session.get(DataSource, source.id).url_sealed).password == PASSWORD


def test_log_lines_and_errors_are_scrubbed(secret_source, caplog):
    source, pilot = secret_source
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = unseal(source.url_sealed).set(port=port)
    source.url_sealed = services.seal(url)
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="testbed.sources"):
        outcome = services.refresh_pilot(pilot, actor="test")
        with pytest.raises(services.SourceError) as raised:
            services.check_connection(source)
    db.session.commit()
    assert not outcome.ok
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert lines and any(str(port) in line for line in lines)
    assert all(PASSWORD not in line for line in lines)
    assert PASSWORD not in str(raised.value)
    assert all(PASSWORD not in message for message in outcome.errors.values())


def test_exports_and_backups_hold_no_password_in_clear(secret_source, runner, tmp_path):
    source, pilot = secret_source
    exported = runner.invoke(args=["export", pilot.slug, str(tmp_path / "export")])
    assert exported.exit_code == 0, exported.output
    for file in (tmp_path / "export").iterdir():
        assert PASSWORD not in file.read_text("utf-8"), file.name
    # What a source holds stays there: the export carries none of it.
    rows = (tmp_path / "export" / "observations.csv").read_text("utf-8").splitlines()
    assert len(rows) == 1 and not (tmp_path / "export" / "summary.csv").exists()
    backup = tmp_path / "testbed.backup"
    made = runner.invoke(args=["backup", str(backup)])
    assert made.exit_code == 0, made.output
    content = backup.read_bytes()
    assert PASSWORD.encode() not in content
    assert source.url_sealed.encode() in content or db.engine.dialect.name == "postgresql"
    listed = runner.invoke(args=["sources", "list"])
    assert "warehouse" in listed.output and PASSWORD not in listed.output


def test_production_refuses_a_source_operation_without_the_key(app):
    app.config.update(SOURCE_KEY=None, ENV_PRODUCTION=True)
    with pytest.raises(SourceKeyError, match="TESTBED_SOURCE_KEY must be set"):
        services.register_source("x", "sqlite:///:memory:", actor="test")
    app.config.update(SOURCE_KEY="not a key", ENV_PRODUCTION=False)
    with pytest.raises(SourceKeyError, match="not a Fernet key"):
        services.register_source("x", "sqlite:///:memory:", actor="test")
