"""Structured request logs."""

import json
import logging

from testbed import create_app
from testbed.extensions import db


def test_each_request_is_logged_as_one_json_line(tmp_path, caplog):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'l.sqlite'}", "LOG_JSON": True}
    )
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        app.test_client().get("/login?next=x")
    (record,) = [r for r in caplog.records if r.getMessage() == "request"]
    line = json.loads(app.logger.handlers[0].formatter.format(record))
    assert line["message"] == "request"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/login", 200)
    assert line["ms"] >= 0 and line["user"] is None
    with app.app_context():
        db.engine.dispose()
