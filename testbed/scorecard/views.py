"""The scorecard pages: indicators by perspective, one indicator, the strategy map, the ranking."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from testbed.auth.access import requires
from testbed.auth.models import Department
from testbed.extensions import db
from testbed.files.errors import LoadError
from testbed.pilots.models import PERSPECTIVES
from testbed.pilots.services import InvalidField, actor_name, pilot_or_404
from testbed.results.charts import outcome
from testbed.results.services import report_for
from testbed.results.views import number, span
from testbed.scorecard import charts, services
from testbed.scorecard.files import read_measurements
from testbed.scorecard.forms import (
    DIRECTION_LABELS,
    DeleteForm,
    IndicatorForm,
    LinkForm,
    MeasurementFileForm,
    MeasurementForm,
    PilotIndicatorsForm,
)
from testbed.scorecard.models import (
    CADENCE_LABELS,
    PERSPECTIVE_LABELS,
    SOURCE_LABELS,
    Indicator,
    IndicatorLink,
    Measurement,
)
from testbed.scorecard.services import MIN_PERIODS, IndicatorFields, MeasurementRow

blueprint = Blueprint("scorecard", __name__)


@blueprint.context_processor
def helpers() -> dict:
    return {
        "perspective_labels": PERSPECTIVE_LABELS,
        "direction_labels": DIRECTION_LABELS,
        "cadence_labels": CADENCE_LABELS,
        "source_labels": SOURCE_LABELS,
        "number": number,
        "span": span,
        "min_periods": MIN_PERIODS,
    }


@blueprint.app_context_processor
def pilot_helpers() -> dict:
    # The pilot page lists the indicators a pilot is meant to move, without the pilots
    # package knowing about the scorecard.
    return {"scorecard_indicators_of": _indicators_of}


def _indicators_of(pilot) -> list[tuple[str, Indicator | None]]:
    return [(key, services.indicator_named(key)) for key in services.pilot_indicator_keys(pilot)]


def _user():
    return current_user._get_current_object()


def _actor() -> dict:
    return {"actor": actor_name(_user()), "user_id": current_user.id}


def _departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def _indicator_or_404(key: str) -> Indicator:
    indicator = services.indicator_named(key)
    if indicator is None:
        abort(404)
    return indicator


# The scorecard -----------------------------------------------------------------------------


@blueprint.get("/scorecard")
@requires("scorecard.view")
def scorecard():
    return render_template(
        "scorecard/scorecard.html",
        groups=services.scorecard_rows(),
        perspectives=PERSPECTIVES,
        upload_form=MeasurementFileForm(formdata=None),
    )


@blueprint.route("/scorecard/indicators/new", methods=["GET", "POST"])
@requires("scorecard.edit")
def new_indicator():
    form = IndicatorForm(_departments())
    if form.validate_on_submit():
        try:
            indicator = services.create_indicator(_fields(form), **_actor())
        except InvalidField as error:
            db.session.rollback()
            getattr(form, error.field, form.key).errors.append(error.message)
        else:
            db.session.commit()
            flash(gettext("%(name)s is on the scorecard.", name=indicator.name), "success")
            return redirect(url_for(".indicator", key=indicator.key))
    status = 422 if request.method == "POST" else 200
    return render_template("scorecard/indicator_form.html", form=form, indicator=None), status


@blueprint.route("/scorecard/indicators/<key>/edit", methods=["GET", "POST"])
@requires("scorecard.edit")
def edit_indicator(key: str):
    indicator = _indicator_or_404(key)
    form = IndicatorForm(_departments(), obj=indicator if request.method == "GET" else None)
    if request.method == "GET":
        form.department.data = indicator.department_id or 0
    if form.validate_on_submit():
        try:
            changes = services.update_indicator(indicator, _fields(form), **_actor())
        except InvalidField as error:
            db.session.rollback()
            getattr(form, error.field, form.key).errors.append(error.message)
        else:
            db.session.commit()
            flash(gettext("Saved.") if changes else gettext("Nothing changed."), "success")
            return redirect(url_for(".indicator", key=indicator.key))
    status = 422 if request.method == "POST" else 200
    return (
        render_template("scorecard/indicator_form.html", form=form, indicator=indicator),
        status,
    )


def _fields(form: IndicatorForm) -> IndicatorFields:
    return IndicatorFields(
        key=form.key.data.strip(),
        name=form.name.data,
        perspective=form.perspective.data,
        direction=form.direction.data,
        cadence=form.cadence.data,
        unit=form.unit.data or "",
        target=form.target.data,
        department=form.chosen_department(),
        baseline_period=(form.baseline_period.data or "").strip() or None,
        description=form.description.data or "",
    )


# One indicator -----------------------------------------------------------------------------


@blueprint.get("/scorecard/indicators/<key>")
@requires("scorecard.view")
def indicator(key: str):
    indicator = _indicator_or_404(key)
    return _indicator_page(indicator, MeasurementForm(indicator, _departments(), formdata=None))


def _indicator_page(indicator: Indicator, form: MeasurementForm, status: int = 200):
    series = services.series_of(indicator)
    pilots = []
    for pilot in services.pilots_moving(indicator):
        report = report_for(pilot)
        primaries = [
            (result, outcome(result), pilot.metric(result["metric"]))
            for result in report["results"]
            if result["role"] == "primary"
        ]
        pilots.append((pilot, report["decision"], primaries))
    links = services.links()
    return (
        render_template(
            "scorecard/indicator.html",
            indicator=indicator,
            series=series,
            chart=charts.series_svg(indicator, series),
            pilots=pilots,
            leads=[link for link in links if link.leading_id == indicator.id],
            follows=[link for link in links if link.lagging_id == indicator.id],
            form=form,
            may_measure=services.may_measure(_user(), indicator),
            delete_form=DeleteForm(formdata=None),
        ),
        status,
    )


@blueprint.post("/scorecard/indicators/<key>/measurements")
@requires("scorecard.measure")
def add_measurement(key: str):
    indicator = _indicator_or_404(key)
    if not services.may_measure(_user(), indicator):
        abort(403)
    form = MeasurementForm(indicator, _departments())
    if not form.validate_on_submit():
        return _indicator_page(indicator, form, 422)
    row = MeasurementRow(
        indicator,
        form.chosen_department(),
        form.period.data.strip(),
        form.value.data,
        form.n.data,
        form.sd.data,
    )
    try:
        added, _ = services.store_measurements([row], source="web", **_actor())
    except InvalidField as error:
        db.session.rollback()
        getattr(form, error.field, form.value).errors.append(error.message)
        return _indicator_page(indicator, form, 422)
    db.session.commit()
    where = row.department.name if row.department else gettext("company-wide")
    if added:
        message = gettext("%(period)s (%(where)s) added.", period=row.period, where=where)
    else:
        message = gettext("%(period)s (%(where)s) replaced.", period=row.period, where=where)
    flash(message, "success")
    return redirect(url_for(".indicator", key=indicator.key, _anchor="measurements"))


@blueprint.post("/scorecard/indicators/<key>/measurements/<int:measurement_id>/delete")
@requires("scorecard.measure")
def delete_measurement(key: str, measurement_id: int):
    indicator = _indicator_or_404(key)
    measurement = db.session.get(Measurement, measurement_id)
    if measurement is None or measurement.indicator_id != indicator.id:
        abort(404)
    if not services.may_measure(_user(), indicator):
        abort(403)
    if not DeleteForm().validate_on_submit():
        abort(400)
    services.delete_measurement(measurement, **_actor())
    db.session.commit()
    flash(gettext("The measurement is removed."), "success")
    return redirect(url_for(".indicator", key=indicator.key, _anchor="measurements"))


@blueprint.post("/scorecard/measurements")
@requires("scorecard.edit")
def upload_measurements():
    form = MeasurementFileForm()
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or "measurements.csv"
        try:
            rows = read_measurements(upload.read(), name)
            added, replaced = services.store_measurements(rows, source="file", **_actor())
        except (LoadError, InvalidField) as error:
            db.session.rollback()
            form.file.errors.append(gettext("Nothing was stored: %(error)s", error=str(error)))
        else:
            db.session.commit()
            flash(
                gettext(
                    "%(file)s: %(added)s measurements added, %(replaced)s replaced.",
                    file=name,
                    added=added,
                    replaced=replaced,
                ),
                "success",
            )
            return redirect(url_for(".scorecard"))
    return (
        render_template(
            "scorecard/scorecard.html",
            groups=services.scorecard_rows(),
            perspectives=PERSPECTIVES,
            upload_form=form,
        ),
        422,
    )


# Cause and effect --------------------------------------------------------------------------


@blueprint.get("/scorecard/map")
@requires("scorecard.view")
def strategy_map():
    return _map_page(LinkForm(services.indicators(), formdata=None))


def _map_page(form: LinkForm, status: int = 200):
    indicators = services.indicators()
    links = services.links()
    svg = charts.strategy_map_svg(indicators, links, lambda i: url_for(".indicator", key=i.key))
    return (
        render_template(
            "scorecard/map.html",
            svg=svg,
            links=links,
            form=form,
            indicators=indicators,
            delete_form=DeleteForm(formdata=None),
        ),
        status,
    )


@blueprint.post("/scorecard/links")
@requires("scorecard.edit")
def add_link():
    form = LinkForm(services.indicators())
    if not form.validate_on_submit():
        return _map_page(form, 422)
    try:
        services.add_link(
            form.chosen("leading"), form.chosen("lagging"), form.note.data, **_actor()
        )
    except InvalidField as error:
        db.session.rollback()
        form.lagging.errors.append(error.message)
        return _map_page(form, 422)
    db.session.commit()
    flash(gettext("The link is on the strategy map."), "success")
    return redirect(url_for(".strategy_map"))


@blueprint.post("/scorecard/links/<int:link_id>/delete")
@requires("scorecard.edit")
def delete_link(link_id: int):
    link = db.session.get(IndicatorLink, link_id)
    if link is None:
        abort(404)
    if not DeleteForm().validate_on_submit():
        abort(400)
    services.remove_link(link, **_actor())
    db.session.commit()
    flash(gettext("The link is removed."), "success")
    return redirect(url_for(".strategy_map"))


# Recognition by progress -------------------------------------------------------------------


@blueprint.get("/scorecard/progress")
@requires("scorecard.view")
def progress():
    key = request.args.get("indicator", "")
    only = services.indicator_named(key) if key else None
    if key and (only is None or only.target is None):
        only = None
        key = ""
    return render_template(
        "scorecard/progress.html",
        ranking=services.progress_ranking(only),
        only=only,
        choices=[i for i in services.indicators() if i.target is not None],
    )


# A pilot's indicators ----------------------------------------------------------------------


@blueprint.route("/pilots/<slug>/indicators", methods=["GET", "POST"])
@requires("pilot.edit")
def pilot_indicators(slug: str):
    pilot = pilot_or_404(slug)
    held = services.pilot_indicator_keys(pilot)
    initial = {"indicators": held} if request.method == "GET" else None
    form = PilotIndicatorsForm(services.indicators(), held, data=initial)
    if form.validate_on_submit():
        try:
            changes = services.set_pilot_indicators(
                pilot, form.indicators.data, **_actor(), check=False
            )
        except InvalidField as error:
            db.session.rollback()
            form.indicators.errors.append(error.message)
        else:
            db.session.commit()
            flash(gettext("Saved.") if changes else gettext("Nothing changed."), "success")
            return redirect(url_for("pilots.pilot", slug=pilot.slug))
    status = 422 if request.method == "POST" else 200
    return render_template("scorecard/pilot_indicators.html", pilot=pilot, form=form), status
