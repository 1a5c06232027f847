"""The idea box: give an idea, vote, follow it into a pilot; each month's campaign."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from testbed.auth.access import can, requires
from testbed.extensions import db
from testbed.ideas import services
from testbed.ideas.forms import MOVE_HINTS, AttachForm, IdeaForm, MoveForm, VoteForm
from testbed.ideas.labels import IDEA_MOVED, IDEA_STATUS_NAMES
from testbed.ideas.models import IDEA_STATUSES, Idea
from testbed.pilots.models import Pilot
from testbed.pilots.services import pilot_at

blueprint = Blueprint("ideas", __name__)

# Pilots that can still take a suggestion: not yet concluded, scaled or abandoned.
RUNNING = ("draft", "active", "paused")


@blueprint.context_processor
def helpers() -> dict:
    return {"idea_status_labels": IDEA_STATUS_NAMES}


def _user():
    return current_user._get_current_object()


def _campaign_argument() -> str | None:
    """The ?campaign=2026-03 of the address; 404 for anything that is not a month."""
    campaign = request.args.get("campaign") or None
    if campaign is not None and not services.is_campaign(campaign):
        abort(404)
    return campaign


@blueprint.get("/ideas")
@requires("idea.view")
def ideas():
    return _box_page(IdeaForm(formdata=None))


@blueprint.post("/ideas")
@requires("idea.contribute")
def submit():
    form = IdeaForm()
    if not form.validate_on_submit():
        return _box_page(form), 422
    try:
        idea = services.submit_idea(form.title.data, form.text.data, author=_user())
    except ValueError as error:
        db.session.rollback()
        form.text.errors.append(str(error))
        return _box_page(form), 422
    db.session.commit()
    flash(
        gettext(
            "Thank you: your idea counts for the %(campaign)s campaign.", campaign=idea.campaign
        ),
        "success",
    )
    return redirect(url_for(".idea", idea_id=idea.id))


def _box_page(form: IdeaForm):
    status = request.args.get("status") or None
    if status is not None and status not in IDEA_STATUSES:
        abort(404)
    campaign = _campaign_argument()
    page = request.args.get("page", "1")
    if not (page.isdigit() and 0 < len(page) < 7 and int(page) > 0):
        abort(404)
    shown, pages = services.ideas_in(campaign=campaign, status=status, page=int(page))
    if int(page) > pages:
        abort(404)
    ids = [idea.id for idea in shown]
    return render_template(
        "ideas/box.html",
        form=form,
        ideas=shown,
        votes=services.vote_counts(ids),
        mine=services.voted_by(_user(), ids),
        counts=services.status_counts(campaign),
        campaign=campaign,
        status=status,
        page=int(page),
        pages=pages,
        campaigns=services.campaigns(),
        current=services.current_campaign(),
    )


@blueprint.get("/ideas/<int:idea_id>")
@requires("idea.view")
def idea(idea_id: int):
    return _idea_page(services.idea_or_404(idea_id))


@blueprint.post("/ideas/<int:idea_id>/vote")
@requires("idea.contribute")
def vote(idea_id: int):
    idea = services.idea_or_404(idea_id, lock=True)
    if not VoteForm().validate_on_submit():
        abort(400)
    counted = services.toggle_vote(idea, _user())
    db.session.commit()
    flash(
        gettext("Your vote counts.") if counted else gettext("Your vote is withdrawn."), "success"
    )
    return redirect(url_for(".idea", idea_id=idea.id))


@blueprint.post("/ideas/<int:idea_id>/move")
@requires("idea.manage")
def move(idea_id: int):
    idea = services.idea_or_404(idea_id, lock=True)
    form = MoveForm(idea.status)
    if not form.validate_on_submit():
        return _idea_page(idea, move_form=form), 422
    try:
        services.move(idea, form.status.data, by=_user(), reason=form.reason.data or "")
    except ValueError as error:
        db.session.rollback()
        form.status.errors.append(str(error))
        return _idea_page(idea, move_form=form), 422
    db.session.commit()
    flash(str(IDEA_MOVED[idea.status]), "success")
    return redirect(url_for(".idea", idea_id=idea.id))


@blueprint.post("/ideas/<int:idea_id>/attach")
@requires("idea.manage")
def attach(idea_id: int):
    idea = services.idea_or_404(idea_id, lock=True)
    form = AttachForm(_running_pilots())
    if not form.validate_on_submit():
        return _idea_page(idea, attach_form=form), 422
    # Lock the pilot's row: the suggestion changes the pilot, as any edit of it does.
    pilot = pilot_at(form.chosen_pilot().slug)
    try:
        suggestion = services.attach_to_pilot(idea, pilot, by=_user())
    except ValueError as error:
        db.session.rollback()
        form.pilot.errors.append(str(error))
        return _idea_page(idea, attach_form=form), 422
    db.session.commit()
    flash(gettext("The idea is now a suggestion on %(pilot)s.", pilot=pilot.name), "success")
    return redirect(url_for("suggestions.suggestion", suggestion_id=suggestion.id))


def _running_pilots() -> list[Pilot]:
    return list(
        db.session.scalars(select(Pilot).where(Pilot.status.in_(RUNNING)).order_by(Pilot.name))
    )


def _idea_page(idea: Idea, *, move_form=None, attach_form=None):
    manage = can("idea.manage")
    return render_template(
        "ideas/idea.html",
        idea=idea,
        path=services.path_of(idea),
        votes=services.vote_counts([idea.id])[idea.id],
        voted=bool(services.voted_by(_user(), [idea.id])),
        open=idea.status in services.OPEN_STATUSES,
        move_form=move_form or (MoveForm(idea.status, formdata=None) if manage else None),
        attach_form=attach_form
        or (AttachForm(_running_pilots(), formdata=None) if manage else None),
        move_hints=MOVE_HINTS,
    )


@blueprint.get("/ideas/campaigns")
@requires("idea.view")
def campaigns():
    campaign = _campaign_argument() or services.current_campaign()
    return render_template(
        "ideas/campaigns.html",
        report=services.campaign_report(campaign),
        trend=services.campaign_trend(),
        campaigns=services.campaigns(),
        statuses=IDEA_STATUSES,
    )


def idea_for_new_pilot() -> Idea | None:
    """The open idea named by ?idea= on the new-pilot form, to prefill it and link it."""
    value = request.args.get("idea", "")
    if not value:
        return None
    if not (value.isdigit() and len(value) < 10):
        abort(404)
    idea = services.idea_or_404(int(value), lock=request.method == "POST")
    if idea.status not in services.OPEN_STATUSES:
        abort(404)
    return idea
