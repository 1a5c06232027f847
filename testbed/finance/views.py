"""Comparative returns: per pilot and across the portfolio."""

from flask import Blueprint, render_template

from testbed.auth.access import requires
from testbed.pilots.services import pilot_or_404
from testbed.results.services import report_for

blueprint = Blueprint("finance", __name__)


@blueprint.get("/finance")
@requires("finance.view")
def portfolio():
    return render_template("finance/portfolio.html")


@blueprint.get("/pilots/<slug>/finance")
@requires("finance.view")
def pilot_finance(slug: str):
    pilot = pilot_or_404(slug)
    return render_template("finance/pilot.html", pilot=pilot, report=report_for(pilot))
