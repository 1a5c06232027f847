"""Suggestions on a pilot, and each department's page."""

from flask import Blueprint, render_template
from sqlalchemy import select

from testbed.auth.access import requires
from testbed.auth.models import Department
from testbed.extensions import db
from testbed.pilots.services import pilot_or_404
from testbed.suggestions.models import Suggestion

blueprint = Blueprint("suggestions", __name__)


@blueprint.get("/pilots/<slug>/suggestions")
@requires("pilot.view")
def pilot_suggestions(slug: str):
    pilot = pilot_or_404(slug)
    suggestions = db.session.scalars(
        select(Suggestion).where(Suggestion.pilot_id == pilot.id).order_by(Suggestion.id)
    )
    return render_template("suggestions/pilot.html", pilot=pilot, suggestions=suggestions)


@blueprint.get("/departments")
@requires("department.view")
def departments():
    departments = db.session.scalars(select(Department).order_by(Department.name))
    return render_template("suggestions/departments.html", departments=departments)
