"""The portfolio of pilots and each pilot's overview."""

from flask import Blueprint, render_template
from sqlalchemy import select

from testbed.audit import AuditEvent
from testbed.auth.access import requires
from testbed.extensions import db
from testbed.pilots.services import pilot_or_404, portfolio_rows
from testbed.results.services import report_for

blueprint = Blueprint("pilots", __name__)


@blueprint.get("/")
@requires("pilot.view")
def portfolio():
    return render_template("pilots/portfolio.html", rows=portfolio_rows())


@blueprint.get("/pilots/<slug>")
@requires("pilot.view")
def pilot(slug: str):
    pilot = pilot_or_404(slug)
    return render_template("pilots/pilot.html", pilot=pilot, report=report_for(pilot))


@blueprint.get("/pilots/<slug>/activity")
@requires("pilot.view")
def activity(slug: str):
    pilot = pilot_or_404(slug)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.pilot_id == pilot.id).order_by(AuditEvent.at.desc())
    )
    return render_template("pilots/activity.html", pilot=pilot, events=events)
