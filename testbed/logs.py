"""Structured logs: one JSON object per line, one line per request, for log collectors."""

from __future__ import annotations

import json
import logging
import time

from flask import Flask, g, request
from flask_login import current_user


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line with the fields a log collector indexes."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


# Libraries whose warnings an operator must see in the same log: Flask-Limiter says there
# when the rate-limit store (Redis) stops answering and each worker counts on its own.
LIBRARY_LOGGERS = ("flask-limiter",)


class JsonHandler(logging.StreamHandler):
    """Standard error in JSON lines; a class of its own so that it is replaced, not doubled."""

    def __init__(self, level: int = logging.NOTSET):
        super().__init__()
        self.setLevel(level)
        self.setFormatter(JsonFormatter())


def register_logging(app: Flask) -> None:
    """JSON lines on standard error when TESTBED_LOG_JSON is on (the default in production)."""
    if not app.config.get("LOG_JSON"):
        return
    app.logger.handlers[:] = [JsonHandler()]
    app.logger.setLevel(logging.INFO)
    for name in LIBRARY_LOGGERS:
        _log_warnings_of(logging.getLogger(name))

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        elapsed = time.perf_counter() - g.get("request_started", time.perf_counter())
        user = current_user.get_id() if current_user and current_user.is_authenticated else None
        app.logger.info(
            "request",
            extra={
                "fields": {
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round(elapsed * 1000, 2),
                    "user": user,
                    "remote": request.remote_addr,
                }
            },
        )
        return response


def _log_warnings_of(library: logging.Logger) -> None:
    """Warnings and errors of a library as JSON lines; its chatter at INFO stays out."""
    kept = [h for h in library.handlers if not isinstance(h, JsonHandler)]
    library.handlers[:] = [*kept, JsonHandler(logging.WARNING)]
    # Not handed on to the root logger as well, where a server's own set-up would print it twice.
    library.propagate = False
