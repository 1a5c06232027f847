"""Suggestions on a pilot, following one suggestion, and each department's page."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from testbed.auth.access import requires
from testbed.auth.models import Department
from testbed.extensions import db
from testbed.pilots.models import Pilot
from testbed.pilots.services import pilot_or_404
from testbed.suggestions import services
from testbed.suggestions.forms import (
    NO_DEPARTMENT,
    STEP_HINTS,
    CommentForm,
    DecisionForm,
    SuggestionForm,
    VoteForm,
)
from testbed.suggestions.labels import SUGGESTION_STATUS_NAMES
from testbed.suggestions.models import SUGGESTION_STATUSES, Suggestion

blueprint = Blueprint("suggestions", __name__)

CONFLICT = _l("Someone else changed this pilot since you opened the page; reload and try again.")


@blueprint.context_processor
def template_helpers() -> dict:
    return {"status_labels": SUGGESTION_STATUS_NAMES}


def _user():
    # Services take the User itself, not the request-bound proxy.
    return current_user._get_current_object()


def _suggestion_or_404(suggestion_id: int) -> Suggestion:
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None:
        abort(404)
    return suggestion


def _pilot_and_suggestion_or_404(slug: str, suggestion_id: int) -> tuple[Pilot, Suggestion]:
    """The pilot of ``slug`` and its suggestion; 404 for a suggestion of another pilot."""
    pilot, suggestion = pilot_or_404(slug), _suggestion_or_404(suggestion_id)
    if suggestion.pilot_id != pilot.id:
        abort(404)
    return pilot, suggestion


def _suggestion_form() -> SuggestionForm:
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    return SuggestionForm(departments, department=current_user.department_id or NO_DEPARTMENT)


# A pilot's suggestions.


@blueprint.get("/pilots/<slug>/suggestions")
@requires("pilot.view")
def pilot_suggestions(slug: str):
    return _pilot_page(pilot_or_404(slug), _suggestion_form())


@blueprint.post("/pilots/<slug>/suggestions")
@requires("suggestion.add")
def add(slug: str):
    pilot = pilot_or_404(slug)
    form = _suggestion_form()
    if not form.validate_on_submit():
        return _pilot_page(pilot, form), 422
    try:
        suggestion = services.add_suggestion(
            pilot, form.text.data, author=_user(), department=form.chosen_department()
        )
    except ValueError as error:
        db.session.rollback()
        form.text.errors.append(str(error))
        return _pilot_page(pilot, form), 422
    db.session.commit()
    flash(
        gettext("Your suggestion is added: the pilot team sees it now. Follow it here."), "success"
    )
    return redirect(url_for(".suggestion", suggestion_id=suggestion.id))


def _pilot_page(pilot, form: SuggestionForm):
    suggestions = services.pilot_suggestions(pilot)
    shown = request.args.get("status")
    shown = shown if shown in SUGGESTION_STATUSES else None
    groups = [
        (status, [s for s in suggestions if s.status == status])
        for status in SUGGESTION_STATUSES
        if shown in (None, status)
    ]
    ids = [s.id for s in suggestions]
    return render_template(
        "suggestions/pilot.html",
        pilot=pilot,
        form=form,
        groups=groups,
        shown=shown,
        total=len(suggestions),
        counts=services.suggestion_counts([pilot.id])[pilot.id],
        tallies=services.tallies(ids),
        mine=services.voted_by(_user(), ids),
    )


# One suggestion, followed from proposal to where it went.


@blueprint.get("/suggestions/<int:suggestion_id>")
@requires("pilot.view")
def suggestion(suggestion_id: int):
    return _follow_page(_suggestion_or_404(suggestion_id))


@blueprint.post("/pilots/<slug>/suggestions/<int:suggestion_id>/comments")
@requires("suggestion.discuss")
def comment(slug: str, suggestion_id: int):
    pilot, suggestion = _pilot_and_suggestion_or_404(slug, suggestion_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _follow_page(suggestion, comment_form=form), 422
    try:
        services.add_comment(pilot, suggestion, _user(), form.text.data)
    except ValueError as error:
        db.session.rollback()
        form.text.errors.append(str(error))
        return _follow_page(suggestion, comment_form=form), 422
    db.session.commit()
    flash(gettext("Your comment is added."), "success")
    return redirect(url_for(".suggestion", suggestion_id=suggestion.id, _anchor="comments"))


@blueprint.post("/pilots/<slug>/suggestions/<int:suggestion_id>/vote")
@requires("suggestion.discuss")
def vote(slug: str, suggestion_id: int):
    pilot, suggestion = _pilot_and_suggestion_or_404(slug, suggestion_id)
    form = VoteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        counted = services.toggle_vote(pilot, suggestion, _user())
    except ValueError as error:
        db.session.rollback()
        flash(gettext("Your vote was not recorded: %(error)s.", error=error), "error")
        return redirect(url_for(".suggestion", suggestion_id=suggestion.id))
    db.session.commit()
    flash(
        gettext("Your vote counts.") if counted else gettext("Your vote is withdrawn."), "success"
    )
    if form.back.data == "list":
        return redirect(
            url_for(".pilot_suggestions", slug=pilot.slug, _anchor=f"suggestion-{suggestion.id}")
        )
    return redirect(url_for(".suggestion", suggestion_id=suggestion.id))


@blueprint.post("/pilots/<slug>/suggestions/<int:suggestion_id>/decision")
@requires("suggestion.decide")
def decide(slug: str, suggestion_id: int):
    pilot, suggestion = _pilot_and_suggestion_or_404(slug, suggestion_id)
    form = DecisionForm(suggestion.status, pilot.iterations)
    if form.version.data != str(pilot.version):
        return _follow_page(suggestion, decision_form=form, conflict=CONFLICT), 409
    if not form.validate_on_submit():
        return _follow_page(suggestion, decision_form=form), 422
    try:
        services.move(
            suggestion,
            form.status.data,
            actor=services.display_name(_user()),
            user_id=current_user.id,
            iteration=form.chosen_iteration(),
            reason=form.reason.data or "",
        )
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return _follow_page(suggestion, decision_form=form, conflict=CONFLICT), 409
    except ValueError as error:
        db.session.rollback()
        form.status.errors.append(str(error))
        return _follow_page(suggestion, decision_form=form), 422
    now = services.describe(suggestion.status, suggestion.iteration, suggestion.reason)
    flash(gettext("The suggestion is %(status)s.", status=now), "success")
    return redirect(url_for(".suggestion", suggestion_id=suggestion.id))


def _follow_page(suggestion, *, comment_form=None, decision_form=None, conflict=None):
    pilot = suggestion.pilot
    if decision_form is None:
        decision_form = DecisionForm(
            suggestion.status, pilot.iterations, formdata=None, version=pilot.version
        )
    else:
        # A refused form shows the pilot's current version, so a reload is not needed twice.
        decision_form.version.data = pilot.version
    tally = services.tallies([suggestion.id])[suggestion.id]
    return render_template(
        "suggestions/suggestion.html",
        pilot=pilot,
        suggestion=suggestion,
        path=services.path_of(suggestion),
        comments=services.comments_on(suggestion),
        voters=services.voters_of(suggestion),
        voted=bool(services.voted_by(_user(), [suggestion.id])),
        tally=tally,
        comment_form=comment_form or CommentForm(formdata=None),
        decision_form=decision_form,
        step_hints=STEP_HINTS,
        conflict=conflict,
    )


# Departments.


@blueprint.get("/departments")
@requires("department.view")
def departments():
    return render_template("suggestions/departments.html", rows=services.department_rows())


@blueprint.get("/departments/<int:department_id>")
@requires("department.view")
def department(department_id: int):
    department = db.session.get(Department, department_id)
    if department is None:
        abort(404)
    return render_template(
        "suggestions/department.html", overview=services.department_overview(department)
    )
