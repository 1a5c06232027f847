"""The portfolio of pilots and each pilot's page."""

from flask import Blueprint, abort, render_template
from flask_login import login_required
from sqlalchemy import select

from testbed.extensions import db
from testbed.pilots.models import Pilot
from testbed.pilots.services import portfolio_rows
from testbed.results.services import analyse_pilot

blueprint = Blueprint("pilots", __name__)


@blueprint.get("/")
@login_required
def portfolio():
    return render_template("pilots/portfolio.html", rows=portfolio_rows())


@blueprint.get("/pilots/<slug>")
@login_required
def pilot(slug: str):
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == slug))
    if pilot is None:
        abort(404)
    return render_template("pilots/pilot.html", pilot=pilot, report=analyse_pilot(pilot))
