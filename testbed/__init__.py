"""testbed: track pilots with partner customers and judge them against a baseline."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template
from sqlalchemy.orm import configure_mappers
from werkzeug.middleware.proxy_fix import ProxyFix

from testbed import database  # noqa: F401  (registers the SQLite connection settings)
from testbed.config import from_environment
from testbed.extensions import csrf, db, limiter, login_manager, migrate
from testbed.i18n import register_i18n
from testbed.logs import register_logging
from testbed.routing import register_converters
from testbed.security import register_security_headers

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = PROJECT_ROOT / "templates"
MIGRATIONS = PROJECT_ROOT / "migrations"


def create_app(config: dict | None = None) -> Flask:
    """Build the application; ``config`` overrides what the environment says."""
    app = Flask(__name__, template_folder=str(TEMPLATES), instance_relative_config=True)
    app.config.update(from_environment(app.instance_path))
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    trust_proxies(app)
    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_logging(app)
    register_commands(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_HOPS reverse proxies, read the client's address and scheme from them.

    Only as many hops as configured are trusted: with none, a client could name
    any address in X-Forwarded-For and escape the per-address sign-in limit.
    """
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    from testbed import models  # noqa: F401  (every table must be known to the metadata)

    # Relate the models now, once per process, rather than on a first query:
    # a mistake in them stops the start, and no request or import pays for it.
    configure_mappers()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    register_i18n(app)


def register_blueprints(app: Flask) -> None:
    from testbed.api.views import blueprint as api
    from testbed.audit import what_happened
    from testbed.auth.access import can
    from testbed.auth.admin import blueprint as admin
    from testbed.auth.models import role_name
    from testbed.auth.security_log import register_security_log
    from testbed.auth.throttle import register_throttling
    from testbed.auth.views import blueprint as auth
    from testbed.finance.views import blueprint as finance
    from testbed.health import blueprint as health
    from testbed.ideas import api as _ideas_api  # noqa: F401  (adds its endpoints to the API)
    from testbed.ideas.views import blueprint as ideas
    from testbed.notify.views import blueprint as notify
    from testbed.pilots.views import blueprint as pilots
    from testbed.reports.views import blueprint as reports
    from testbed.results.decision import RECOMMENDATIONS
    from testbed.results.views import blueprint as results
    from testbed.scorecard.views import blueprint as scorecard
    from testbed.sources import api as _source_api  # noqa: F401  (adds its endpoint to the API)
    from testbed.sources.views import blueprint as sources
    from testbed.suggestions.views import blueprint as suggestions

    for blueprint in (
        health,
        auth,
        admin,
        pilots,
        results,
        reports,
        suggestions,
        finance,
        scorecard,
        ideas,
        notify,
        sources,
        api,
    ):
        app.register_blueprint(blueprint)
    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["role_name"] = role_name
    app.jinja_env.filters["role_name"] = role_name
    app.jinja_env.globals["what_happened"] = what_happened
    app.jinja_env.globals["recommendations"] = RECOMMENDATIONS
    register_throttling(app)
    register_security_log(app)


def register_commands(app: Flask) -> None:
    from testbed.cli import register_commands as add_commands

    add_commands(app)


def register_errorhandlers(app: Flask) -> None:
    def render_error(error):
        # Generic pages only: never a traceback or an internal message.
        code = getattr(error, "code", 500) or 500
        if code == 500:
            db.session.rollback()
        return render_template("errors/error.html", code=code), code

    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, render_error)
