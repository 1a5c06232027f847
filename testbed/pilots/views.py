"""The portfolio, each pilot's overview, and the innovation team's forms."""

from contextlib import closing

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from testbed.audit import AuditEvent
from testbed.auth.access import requires
from testbed.extensions import db
from testbed.files.limits import MAX_CELL_BYTES, MAX_COLUMNS
from testbed.forms import page_status
from testbed.fragments import cached_html
from testbed.i18n import figure
from testbed.notify.services import is_watching
from testbed.pilots import services
from testbed.pilots.forms import (
    METRIC_NAMES,
    ConfirmUploadForm,
    DiscardUploadForm,
    HypothesisForm,
    IterationForm,
    PilotForm,
    PortfolioFilter,
    UploadForm,
)
from testbed.pilots.library import LIBRARY
from testbed.pilots.services import InvalidField, pilot_or_404
from testbed.results.decision import standing
from testbed.results.services import report_for
from testbed.store import upload as uploads
from testbed.store.models import ImportBatch

blueprint = Blueprint("pilots", __name__)

# The query string's filters, the only part of the request the portfolio reads.
FILTERS = ("status", "department", "partner")
# Pages of the portfolio kept: each role's, unfiltered and with the filters in use.
PORTFOLIOS_KEPT = 64

CONFLICT = _l("Someone else changed this pilot since you opened the page; reload and try again.")


class StalePilot(Exception):
    """The form was made from an older version of the pilot than the current one."""

    def __init__(self, slug: str):
        super().__init__(slug)
        self.slug = slug


@blueprint.errorhandler(StalePilot)
@blueprint.errorhandler(StaleDataError)
def conflict(error):
    # StaleDataError: another request committed between our read and our write.
    db.session.rollback()
    slug = getattr(error, "slug", None) or request.view_args.get("slug")
    page = render_template(
        "pilots/conflict.html", message=str(CONFLICT), slug=slug, again=request.path
    )
    return page, 409


def user():
    return current_user._get_current_object()


def check_version(form, pilot) -> None:
    if form.stale(pilot):
        raise StalePilot(pilot.slug)


def show_error(form, error: ValueError) -> None:
    """Put a service's message next to the field it names, else above the form."""
    db.session.rollback()
    field = getattr(error, "field", None)
    if field and field in form:
        form[field].errors.append(error.message)
    else:
        form.form_errors.append(str(error))


@blueprint.get("/")
@requires("pilot.view")
def portfolio():
    filters = tuple(request.args.get(name, "") for name in FILTERS)
    key = (services.portfolio_state(), user().role, filters)
    html = cached_html("portfolio", PORTFOLIOS_KEPT, key, lambda: _render_portfolio(filters))
    return render_template("pilots/portfolio.html", portfolio_html=html)


def _render_portfolio(filters: tuple[str, ...]) -> str:
    form = PortfolioFilter(request.args)
    return render_template(
        "pilots/_portfolio.html",
        rows=services.portfolio_rows(**form.filters()),
        filters=form,
        filtered=any(filters),
        strengths=services.STRENGTHS,
    )


@blueprint.route("/pilots/new", methods=["GET", "POST"])
@requires("pilot.edit")
def new_pilot():
    from testbed.ideas import services as ideas
    from testbed.ideas.views import idea_for_new_pilot

    # Started from an idea of the idea box (?idea=12): the form starts from its words, and
    # the idea records the pilot it became.
    idea = idea_for_new_pilot()
    prefill = {"name": idea.title, "summary": idea.text} if idea and request.method == "GET" else {}
    form = PilotForm(**prefill)
    if form.validate_on_submit():
        try:
            pilot = services.create_pilot(form.fields(), by=user())
            if idea is not None:
                ideas.started_pilot(idea, pilot, by=user())
            db.session.commit()
        except ValueError as error:
            show_error(form, error)
        else:
            flash(
                gettext("Pilot %(name)s created. Next: register its hypotheses.", name=pilot.name),
                "success",
            )
            return redirect(url_for(".pilot", slug=pilot.slug))
    return (
        render_template("pilots/pilot_form.html", form=form, pilot=None, idea=idea),
        page_status(form),
    )


@blueprint.get("/pilots/<slug>")
@requires("pilot.view")
def pilot(slug: str):
    pilot = pilot_or_404(slug)
    report = report_for(pilot)
    batches = db.session.scalars(
        select(ImportBatch).where(ImportBatch.pilot_id == pilot.id).order_by(ImportBatch.id)
    ).all()
    return render_template(
        "pilots/pilot.html",
        pilot=pilot,
        results={result["hypothesis"]: result for result in report["results"]},
        standing=standing(report),
        adopted=services.adopted_suggestions(pilot),
        waiting=len(services.accepted_suggestions(pilot)),
        batches=batches,
        watching=is_watching(user(), pilot),
    )


@blueprint.route("/pilots/<slug>/edit", methods=["GET", "POST"])
@requires("pilot.edit")
def edit_pilot(slug: str):
    pilot = pilot_or_404(slug)
    form = PilotForm(pilot)
    if form.validate_on_submit():
        check_version(form, pilot)
        try:
            changes = services.update_pilot(pilot, form.fields(), by=user())
            db.session.commit()
        except ValueError as error:
            show_error(form, error)
        else:
            flash(gettext("Pilot saved.") if changes else gettext("Nothing changed."), "success")
            return redirect(url_for(".pilot", slug=pilot.slug))
    return render_template("pilots/pilot_form.html", form=form, pilot=pilot), page_status(form)


@blueprint.route("/pilots/<slug>/hypotheses/new", methods=["GET", "POST"])
@requires("pilot.edit")
def new_hypothesis(slug: str):
    pilot = pilot_or_404(slug)
    form = HypothesisForm(pilot)
    if form.validate_on_submit():
        check_version(form, pilot)
        try:
            hypothesis = services.register_hypothesis(
                pilot, form.key.data, form.fields(), by=user()
            )
            db.session.commit()
        except ValueError as error:
            show_error(form, error)
        else:
            flash(gettext("Hypothesis %(key)s registered.", key=hypothesis.key), "success")
            return redirect(url_for(".pilot", slug=pilot.slug, _anchor="hypotheses"))
    page = render_template(
        "pilots/hypothesis_form.html",
        form=form,
        pilot=pilot,
        hypothesis=None,
        library=LIBRARY,
        names=METRIC_NAMES,
    )
    return page, page_status(form)


@blueprint.route("/pilots/<slug>/hypotheses/<key>/edit", methods=["GET", "POST"])
@requires("pilot.edit")
def edit_hypothesis(slug: str, key: str):
    pilot = pilot_or_404(slug)
    hypothesis = next((h for h in pilot.hypotheses if h.key == key), None)
    if hypothesis is None:
        abort(404)
    form = HypothesisForm(pilot, hypothesis)
    if form.validate_on_submit():
        check_version(form, pilot)
        try:
            reason = form.reason.data if "reason" in form else ""
            changes = services.update_hypothesis(
                hypothesis, form.fields(), by=user(), reason=reason or ""
            )
            db.session.commit()
        except ValueError as error:
            show_error(form, error)
        else:
            # The changes are listed as the activity log keeps them (in English).
            if not changes:
                message = gettext("Nothing changed.")
            elif hypothesis.locked_at:
                message = gettext("Amendment recorded: %(changes)s.", changes="; ".join(changes))
            else:
                message = gettext("Hypothesis saved: %(changes)s.", changes="; ".join(changes))
            flash(message, "success")
            return redirect(url_for(".pilot", slug=pilot.slug, _anchor=f"hypothesis-{key}"))
    page = render_template(
        "pilots/hypothesis_form.html",
        form=form,
        pilot=pilot,
        hypothesis=hypothesis,
        library=LIBRARY,
        names=METRIC_NAMES,
    )
    return page, page_status(form)


@blueprint.route("/pilots/<slug>/iterations/new", methods=["GET", "POST"])
@requires("pilot.edit")
def new_iteration(slug: str):
    pilot = pilot_or_404(slug)
    form = IterationForm(pilot)
    if form.validate_on_submit():
        check_version(form, pilot)
        try:
            iteration = services.log_iteration(pilot, form.fields(), form.adopted(), by=user())
            db.session.commit()
        except ValueError as error:
            show_error(form, error)
        else:
            flash(gettext("Iteration %(number)s logged.", number=iteration.number), "success")
            return redirect(url_for(".pilot", slug=pilot.slug, _anchor="iterations"))
    return render_template("pilots/iteration_form.html", form=form, pilot=pilot), page_status(form)


@blueprint.route("/pilots/<slug>/observations/upload", methods=["GET", "POST"])
@requires("observations.upload")
def upload(slug: str):
    pilot = pilot_or_404(slug)
    form = UploadForm(pilot)
    if form.validate_on_submit():
        check_version(form, pilot)
        file = form.file.data
        with closing(file):  # a large body waits in a temporary file until closed
            data = file.read()
        try:
            pending = uploads.store_upload(pilot, data, file.filename, by=user())
        except InvalidField as error:
            form.file.errors.append(error.message)
        else:
            return redirect(url_for(".upload_preview", slug=slug, token=pending.token))
    page = render_template(
        "pilots/upload.html",
        form=form,
        pilot=pilot,
        waiting=uploads.waiting_uploads(user()),
        max_pending=uploads.MAX_PENDING,
        max_columns=MAX_COLUMNS,
        max_cell=MAX_CELL_BYTES,
    )
    return page, page_status(form)


def pending_or_gone(pilot, token: str):
    pending = uploads.pending_upload(token, pilot, user())
    if pending is None:
        flash(gettext("That upload was imported or discarded already, or has expired."), "error")
    return pending


@blueprint.get("/pilots/<slug>/observations/upload/<token>")
@requires("observations.upload")
def upload_preview(slug: str, token: str):
    pilot = pilot_or_404(slug)
    pending = pending_or_gone(pilot, token)
    if pending is None:
        return redirect(url_for(".upload", slug=slug))
    preview = uploads.refresh_preview(pending, pilot)
    try:
        uploads.refuse_duplicate(pilot, pending.digest)
        duplicate = None
    except InvalidField as error:
        duplicate = error.message
    return render_template(
        "pilots/upload_preview.html",
        pilot=pilot,
        pending=pending,
        preview=preview,
        duplicate=duplicate,
        confirm=ConfirmUploadForm(data={"version": preview.version}),
        discard=DiscardUploadForm(),
        form=UploadForm(pilot),
        max_errors=uploads.MAX_ERRORS,
    )


@blueprint.post("/pilots/<slug>/observations/upload/<token>")
@requires("observations.upload")
def confirm_upload(slug: str, token: str):
    pilot = pilot_or_404(slug)
    pending = pending_or_gone(pilot, token)
    if pending is None:
        return redirect(url_for(".upload", slug=slug))
    form = ConfirmUploadForm()
    if not form.validate_on_submit():
        abort(400)
    check_version(form, pilot)
    try:
        batch = uploads.import_upload(pending, pilot, by=user())
        db.session.commit()
    except ValueError as error:
        db.session.rollback()
        message = error.message if isinstance(error, InvalidField) else str(error)
        flash(gettext("Nothing was imported: %(problem)s", problem=message), "error")
        return redirect(url_for(".upload_preview", slug=slug, token=token))
    uploads.discard(pending)
    rows, name = figure(f"{batch.rows:,}"), pending.filename
    if pending.kind == uploads.SUMMARIES:
        # The English says "rows" even for one: it is kept as it was.
        message = ngettext(
            "Imported %(rows)s summary rows from %(file)s.",
            "Imported %(rows)s summary rows from %(file)s.",
            batch.rows,
            rows=rows,
            file=name,
        )
    else:
        message = ngettext(
            "Imported %(rows)s observations from %(file)s.",
            "Imported %(rows)s observations from %(file)s.",
            batch.rows,
            rows=rows,
            file=name,
        )
    flash(message, "success")
    return redirect(url_for(".pilot", slug=slug))


@blueprint.post("/pilots/<slug>/observations/upload/<token>/discard")
@requires("observations.upload")
def discard_upload(slug: str, token: str):
    pilot = pilot_or_404(slug)
    pending = pending_or_gone(pilot, token)
    if pending is not None and DiscardUploadForm().validate_on_submit():
        uploads.discard(pending)
        flash(
            gettext("%(file)s discarded; nothing was imported.", file=pending.filename), "success"
        )
    return redirect(url_for(".upload", slug=slug))


@blueprint.get("/pilots/<slug>/activity")
@requires("pilot.view")
def activity(slug: str):
    pilot = pilot_or_404(slug)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.pilot_id == pilot.id).order_by(AuditEvent.at.desc())
    )
    return render_template("pilots/activity.html", pilot=pilot, events=events)
