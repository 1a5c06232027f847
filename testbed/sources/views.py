"""Pages for data sources (administrators) and a pilot's metric queries and refresh."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy import select

from testbed.auth.access import requires
from testbed.extensions import db
from testbed.pilots.services import pilot_or_404
from testbed.sources import services
from testbed.sources.forms import QueryForm, RefreshForm, SourceForm
from testbed.sources.models import DataSource
from testbed.sources.vault import SourceKeyError, unseal, without_password

blueprint = Blueprint("sources", __name__)


def _editor() -> dict:
    return {"actor": current_user.email, "user_id": current_user.id}


def _sources() -> list[DataSource]:
    return list(db.session.scalars(select(DataSource).order_by(DataSource.name)))


@blueprint.route("/admin/sources", methods=["GET", "POST"])
@requires("source.manage")
def sources():
    form = SourceForm()
    if form.validate_on_submit():
        url = services.parse_url(form.url.data)
        if form.password.data:
            url = url.set(password=form.password.data)
        try:
            source = services.register_source(
                form.name.data,
                url.render_as_string(hide_password=False),
                form.timeout_seconds.data,
                **_editor(),
            )
            db.session.commit()
        except (services.SourceError, SourceKeyError) as error:
            db.session.rollback()
            form.url.errors.append(
                gettext("The connection test failed, nothing was saved: %(error)s", error=error)
            )
        else:
            flash(_saved(source), "success")
            return redirect(url_for("sources.sources"))
    status = 422 if form.is_submitted() else 200
    return render_template("sources/sources.html", sources=_sources(), form=form), status


@blueprint.route("/admin/sources/<int:source_id>", methods=["GET", "POST"])
@requires("source.manage")
def source(source_id: int):
    source = db.get_or_404(DataSource, source_id)
    form = SourceForm(source=source)
    if not form.is_submitted():
        form.name.data, form.timeout_seconds.data = source.name, source.timeout_seconds
        try:
            form.url.data = without_password(unseal(source.url_sealed)).render_as_string()
        except SourceKeyError as error:
            form.url.errors.append(str(error))
    elif form.validate():
        try:
            services.change_source(
                source,
                name=form.name.data,
                url_text=form.url.data,
                timeout_seconds=form.timeout_seconds.data,
                new_password=form.password.data or None,
                **_editor(),
            )
            db.session.commit()
        except (services.SourceError, SourceKeyError) as error:
            db.session.rollback()
            form.url.errors.append(
                gettext("The connection test failed, nothing was changed: %(error)s", error=error)
            )
        else:
            flash(_saved(source), "success")
            return redirect(url_for("sources.source", source_id=source.id))
    status = 422 if form.errors else 200
    return render_template(
        "sources/source.html", source=source, form=form, test=RefreshForm()
    ), status


@blueprint.post("/admin/sources/<int:source_id>/test")
@requires("source.manage")
def test_source(source_id: int):
    source = db.get_or_404(DataSource, source_id)
    if not RefreshForm().validate_on_submit():
        abort(400)
    try:
        services.check_connection(source)
        flash(gettext("The connection to %(source)s works.", source=source.name), "success")
    except (services.SourceError, SourceKeyError) as error:
        flash(gettext("The connection test failed: %(error)s", error=error), "error")
    db.session.commit()
    return redirect(url_for("sources.source", source_id=source.id))


def _saved(source: DataSource) -> str:
    return gettext("The data source %(source)s is saved; its connection works.", source=source.name)


@blueprint.get("/pilots/<slug>/sources")
@requires("source.query")
def pilot_sources(slug: str):
    pilot = pilot_or_404(slug)
    return _queries_page(pilot)


def _queries_page(pilot, forms: dict | None = None, status: int = 200):
    available = _sources()
    queries = {query.metric_id: query for query in services.pilot_queries(pilot)}
    forms = forms or {}
    for metric in pilot.metrics:
        if metric.key not in forms:
            query = queries.get(metric.id)
            forms[metric.key] = QueryForm(
                formdata=None,
                sources=available,
                source_id=query.source_id if query else None,
                sql=query.sql if query else "",
            )
    page = render_template(
        "sources/pilot.html",
        pilot=pilot,
        queries=queries,
        forms=forms,
        sources=available,
        refresh=RefreshForm(),
    )
    return page, status


@blueprint.post("/pilots/<slug>/metrics/<key>/query")
@requires("source.query")
def metric_query(slug: str, key: str):
    pilot = pilot_or_404(slug)
    metric = pilot.metric(key)
    if metric is None:
        abort(404)
    form = QueryForm(sources=_sources())
    if not form.validate_on_submit():
        return _queries_page(pilot, {key: form}, 422)
    source = db.session.get(DataSource, form.source_id.data)
    services.set_metric_query(metric, source, form.sql.data, **_editor())
    db.session.commit()
    flash(
        gettext("The query of %(metric)s is saved; refresh to read its data.", metric=metric.name),
        "success",
    )
    return redirect(url_for("sources.pilot_sources", slug=pilot.slug))


@blueprint.post("/pilots/<slug>/sources/refresh")
@requires("source.query")
def refresh(slug: str):
    pilot = pilot_or_404(slug)
    if not RefreshForm().validate_on_submit():
        abort(400)
    try:
        outcome = services.refresh_pilot(pilot, **_editor())
    except SourceKeyError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("sources.pilot_sources", slug=pilot.slug))
    db.session.commit()
    if outcome.ok:
        rows = sum(item.rows for item in outcome.fetched)
        message = ngettext(
            "Refreshed: %(num)d observations read from the data sources.",
            "Refreshed: %(num)d observations read from the data sources.",
            rows,
        )
        flash(message, "success")
    else:
        errors = " ".join(outcome.errors.values())
        flash(gettext("Nothing changed: %(errors)s", errors=errors), "error")
    return redirect(url_for("sources.pilot_sources", slug=pilot.slug))
