"""A pilot's results page."""

from flask import Blueprint, render_template

from testbed.auth.access import requires
from testbed.pilots.services import pilot_or_404
from testbed.results.services import report_for

blueprint = Blueprint("results", __name__)


@blueprint.get("/pilots/<slug>/results")
@requires("pilot.view")
def results(slug: str):
    pilot = pilot_or_404(slug)
    return render_template("results/results.html", pilot=pilot, report=report_for(pilot))
