"""Comparative returns per pilot and across the portfolio; edits of the financial case."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from testbed.auth.access import requires
from testbed.extensions import db
from testbed.finance import comparison, labels, poor_service, services
from testbed.finance.export import (
    PILOT_HEADER,
    PORTFOLIO_HEADER,
    csv_text,
    file_name,
    pilot_rows,
    portfolio_rows,
)
from testbed.finance.forms import (
    BenefitForm,
    ClaimForm,
    ConfirmForm,
    CostForm,
    DeleteForm,
    PlanForm,
    PoorServiceLineForm,
    ProgrammeForm,
)
from testbed.finance.models import (
    Benefit,
    CostItem,
    FinancePlan,
    PoorServiceClaim,
    PoorServiceLine,
    Programme,
)
from testbed.pilots.models import Pilot
from testbed.pilots.services import pilot_or_404

blueprint = Blueprint("finance", __name__)
# Stored values and the returns' notes in the reader's language, on every page that shows
# finance's figures (the reports' too).
blueprint.add_app_template_filter(labels.named, "finance_name")
blueprint.add_app_template_filter(labels.returns_note, "returns_note")

CONFLICT = _l("Someone else changed this pilot since you opened the page; reload and try again.")


@blueprint.get("/finance")
@requires("finance.view")
def portfolio():
    return render_template("finance/portfolio.html", **comparison.portfolio())


@blueprint.get("/finance/export.csv")
@requires("finance.view")
def portfolio_csv():
    # A download for programs: its decision rules stay English, as its columns do.
    with force_locale("en"):
        text = csv_text(PORTFOLIO_HEADER, portfolio_rows(comparison.portfolio()["rows"]))
    return _csv(text, file_name("finance-portfolio"))


@blueprint.get("/pilots/<slug>/finance")
@requires("finance.view")
def pilot_finance(slug: str):
    pilot = pilot_or_404(slug)
    return render_template("finance/pilot.html", pilot=pilot, case=comparison.pilot_case(pilot))


@blueprint.get("/pilots/<slug>/finance.csv")
@requires("finance.view")
def pilot_csv(slug: str):
    pilot = pilot_or_404(slug)
    case = comparison.pilot_case(pilot)
    if case["plan"] is None:
        abort(404)
    return _csv(csv_text(PILOT_HEADER, pilot_rows(case)), file_name("finance", pilot.slug))


def _csv(text: str, name: str) -> Response:
    # The byte-order mark lets spreadsheet programs read the text as UTF-8 (€, accents).
    response = Response("\ufeff" + text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# The pilot's financial case. Every edit carries the pilot's version.


@blueprint.route("/pilots/<slug>/finance/plan", methods=["GET", "POST"])
@requires("finance.edit")
def edit_plan(slug: str):
    pilot = pilot_or_404(slug)
    plan = db.session.get(FinancePlan, pilot.id)
    form = PlanForm(latest_cost_year=services.latest_cost_year(pilot))
    if not form.is_submitted():
        form.version.data = pilot.version
        form.currency.data = plan.currency if plan else "EUR"
        form.discount_rate.data = (plan.discount_rate if plan else 0.08) * 100
        form.horizon_years.data = plan.horizon_years if plan else 3

    def save():
        services.save_plan(
            pilot,
            currency=form.currency.data,
            discount_rate=form.discount_rate.data / 100,
            horizon_years=form.horizon_years.data,
            **_editor(),
        )

    title = gettext("Change the finance plan") if plan else gettext("Start the financial case")
    return _pilot_edit(pilot, form, save, gettext("The finance plan is saved."), title=title)


@blueprint.route("/pilots/<slug>/finance/costs/new", methods=["GET", "POST"])
@requires("finance.edit")
def add_cost(slug: str):
    pilot = pilot_or_404(slug)
    form = CostForm(horizon_years=_plan_or_redirect(pilot).horizon_years)
    if not form.is_submitted():
        form.version.data = pilot.version

    def save():
        services.add_cost(pilot, **_cost_fields(form), **_editor())

    return _pilot_edit(
        pilot, form, save, gettext("The cost is added."), title=gettext("Add a cost")
    )


@blueprint.route("/pilots/<slug>/finance/costs/<int:cost_id>", methods=["GET", "POST"])
@requires("finance.edit")
def edit_cost(slug: str, cost_id: int):
    pilot = pilot_or_404(slug)
    cost = _owned(CostItem, cost_id, pilot)
    form = CostForm(obj=cost, horizon_years=_plan_or_redirect(pilot).horizon_years)
    if not form.is_submitted():
        form.version.data = pilot.version

    def save():
        services.update_cost(cost, **_cost_fields(form), **_editor())

    delete = url_for("finance.delete_cost", slug=slug, cost_id=cost_id)
    return _pilot_edit(
        pilot,
        form,
        save,
        gettext("The cost is saved."),
        title=gettext("Change a cost"),
        delete_url=delete,
    )


@blueprint.post("/pilots/<slug>/finance/costs/<int:cost_id>/delete")
@requires("finance.edit")
def delete_cost(slug: str, cost_id: int):
    pilot = pilot_or_404(slug)
    cost = _owned(CostItem, cost_id, pilot)

    def delete():
        services.delete_cost(cost, **_editor())

    return _pilot_edit(
        pilot,
        DeleteForm(),
        delete,
        gettext("The cost is deleted."),
        title=gettext("Delete a cost"),
        deleting=True,
    )


def _cost_fields(form: CostForm) -> dict:
    return {
        "item": form.item.data,
        "amount": form.amount.data,
        "year": form.year.data,
        "recurring": form.recurring.data,
    }


@blueprint.route("/pilots/<slug>/finance/benefits/new", methods=["GET", "POST"])
@requires("finance.edit")
def add_benefit(slug: str):
    pilot = pilot_or_404(slug)
    _plan_or_redirect(pilot)
    form = BenefitForm(pilot=pilot)
    if not form.is_submitted():
        form.version.data = pilot.version

    def save():
        services.add_benefit(pilot, **_benefit_fields(form), **_editor())

    return _pilot_edit(
        pilot,
        form,
        save,
        gettext("The benefit line is added."),
        title=gettext("Add a benefit line"),
    )


@blueprint.route("/pilots/<slug>/finance/benefits/<int:benefit_id>", methods=["GET", "POST"])
@requires("finance.edit")
def edit_benefit(slug: str, benefit_id: int):
    pilot = pilot_or_404(slug)
    benefit = _owned(Benefit, benefit_id, pilot)
    form = BenefitForm(obj=benefit, pilot=pilot, benefit_id=benefit.id)
    if not form.is_submitted():
        form.version.data = pilot.version
        form.metric.data = benefit.metric_id

    def save():
        services.update_benefit(benefit, **_benefit_fields(form), **_editor())

    delete = url_for("finance.delete_benefit", slug=slug, benefit_id=benefit_id)
    return _pilot_edit(
        pilot,
        form,
        save,
        gettext("The benefit line is saved."),
        title=gettext("Change a benefit line"),
        delete_url=delete,
    )


@blueprint.post("/pilots/<slug>/finance/benefits/<int:benefit_id>/delete")
@requires("finance.edit")
def delete_benefit(slug: str, benefit_id: int):
    pilot = pilot_or_404(slug)
    benefit = _owned(Benefit, benefit_id, pilot)

    def delete():
        services.delete_benefit(benefit, **_editor())

    return _pilot_edit(
        pilot,
        DeleteForm(),
        delete,
        gettext("The benefit line is deleted."),
        title=gettext("Delete a benefit line"),
        deleting=True,
    )


def _benefit_fields(form: BenefitForm) -> dict:
    return {
        "metric": form.chosen_metric(),
        "value_per_unit": form.value_per_unit.data,
        "volume_per_year": form.volume_per_year.data,
        "description": form.description.data or "",
    }


@blueprint.route("/pilots/<slug>/finance/claims/new", methods=["GET", "POST"])
@requires("finance.edit")
def add_claim(slug: str):
    pilot = pilot_or_404(slug)
    _plan_or_redirect(pilot)
    form = ClaimForm(pilot=pilot, lines=poor_service.all_lines())
    if not form.is_submitted():
        form.version.data = pilot.version

    def save():
        services.add_claim(pilot, **_claim_fields(form), **_editor())

    return _pilot_edit(
        pilot,
        form,
        save,
        gettext("The claim is added."),
        title=gettext("Claim a cut in the cost of poor service"),
    )


@blueprint.route("/pilots/<slug>/finance/claims/<int:claim_id>", methods=["GET", "POST"])
@requires("finance.edit")
def edit_claim(slug: str, claim_id: int):
    pilot = pilot_or_404(slug)
    claim = _owned(PoorServiceClaim, claim_id, pilot)
    form = ClaimForm(pilot=pilot, lines=poor_service.all_lines(), claim_id=claim.id)
    if not form.is_submitted():
        form.version.data = pilot.version
        form.line.data, form.metric.data = claim.line_id, claim.metric_id
        form.share_percent.data = claim.share * 100
        form.description.data = claim.description

    def save():
        services.update_claim(claim, **_claim_fields(form), **_editor())

    delete = url_for("finance.delete_claim", slug=slug, claim_id=claim_id)
    return _pilot_edit(
        pilot,
        form,
        save,
        gettext("The claim is saved."),
        title=gettext("Change a claim"),
        delete_url=delete,
    )


@blueprint.post("/pilots/<slug>/finance/claims/<int:claim_id>/delete")
@requires("finance.edit")
def delete_claim(slug: str, claim_id: int):
    pilot = pilot_or_404(slug)
    claim = _owned(PoorServiceClaim, claim_id, pilot)

    def delete():
        services.delete_claim(claim, **_editor())

    return _pilot_edit(
        pilot,
        DeleteForm(),
        delete,
        gettext("The claim is deleted."),
        title=gettext("Delete a claim"),
        deleting=True,
    )


def _claim_fields(form: ClaimForm) -> dict:
    return {
        "line": form.chosen_line(),
        "metric": form.chosen_metric(),
        "share": form.share_percent.data / 100,
        "description": form.description.data or "",
    }


def _pilot_edit(pilot: Pilot, form, change: Callable[[], None], done: str, **page):
    """Show the form, or apply ``change`` in one transaction if the pilot is unchanged since.

    A form made on an older version of the pilot is refused with 409, before
    anything is checked or written: the person must see what changed first.
    """
    if not form.is_submitted():
        return _edit_page(pilot, form, **page)
    if form.version.data is None:
        abort(400)
    if form.version.data != pilot.version:
        return _edit_page(pilot, form, conflict=True, **page), 409
    if not form.validate():
        return _edit_page(pilot, form, **page), 422
    try:
        change()
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return _edit_page(pilot, form, conflict=True, **page), 409
    except ValueError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _edit_page(pilot, form, **page), 422
    flash(done, "success")
    return redirect(url_for("finance.pilot_finance", slug=pilot.slug))


def _edit_page(pilot: Pilot, form, conflict: bool = False, **page) -> str:
    return render_template(
        "finance/edit.html", pilot=pilot, form=form, conflict=conflict and str(CONFLICT), **page
    )


def _plan_or_redirect(pilot: Pilot) -> FinancePlan:
    plan = db.session.get(FinancePlan, pilot.id)
    if plan is None:
        abort(redirect(url_for("finance.edit_plan", slug=pilot.slug)))
    return plan


def _owned(model, item_id: int, pilot: Pilot):
    item = db.session.get(model, item_id)
    if item is None or item.pilot_id != pilot.id:
        abort(404)
    return item


def _editor() -> dict:
    return {"actor": current_user.email, "user_id": current_user.id}


# Existing programmes: shared by every pilot's comparison.


@blueprint.route("/finance/programmes", methods=["GET", "POST"])
@requires("finance.edit")
def programmes():
    form = ProgrammeForm()
    if form.validate_on_submit():
        saved = _save_programme(
            form, lambda: services.add_programme(**_programme_fields(form), **_editor())
        )
        if saved:
            flash(gettext("The programme “%(name)s” is added.", name=form.name.data), "success")
            return redirect(url_for("finance.programmes"))
    status = 422 if form.is_submitted() else 200
    page = render_template(
        "finance/programmes.html", form=form, programmes=comparison.programmes_by_roi()
    )
    return page, status


@blueprint.route("/finance/programmes/<int:programme_id>", methods=["GET", "POST"])
@requires("finance.edit")
def edit_programme(programme_id: int):
    programme = db.get_or_404(Programme, programme_id)
    form = ProgrammeForm(obj=programme, programme_id=programme.id)
    if not form.is_submitted():
        form.roi_percent.data = programme.roi * 100
    if form.validate_on_submit():

        def save():
            services.update_programme(programme, **_programme_fields(form), **_editor())

        if _save_programme(form, save):
            flash(gettext("The programme “%(name)s” is saved.", name=form.name.data), "success")
            return redirect(url_for("finance.programmes"))
    status = 422 if form.is_submitted() else 200
    page = render_template(
        "finance/programme.html", form=form, programme=programme, delete_form=ConfirmForm()
    )
    return page, status


@blueprint.post("/finance/programmes/<int:programme_id>/delete")
@requires("finance.edit")
def delete_programme(programme_id: int):
    programme = db.get_or_404(Programme, programme_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = programme.name
    services.delete_programme(programme, **_editor())
    db.session.commit()
    flash(gettext("The programme “%(name)s” is deleted.", name=name), "success")
    return redirect(url_for("finance.programmes"))


def _programme_fields(form: ProgrammeForm) -> dict:
    return {
        "name": form.name.data,
        "roi": form.roi_percent.data / 100,
        "description": form.description.data or "",
    }


def _save_programme(form: ProgrammeForm, change: Callable[[], None]) -> bool:
    """Apply ``change`` and commit; on a refusal roll back and say why on the form."""
    try:
        change()
        db.session.commit()
    except ValueError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return False
    except IntegrityError:
        # Another person saved the same name between the check and the commit.
        db.session.rollback()
        form.name.errors.append(gettext("A programme of this name exists already."))
        return False
    return True


# The company's cost of poor service: shared by every pilot's claims.


@blueprint.get("/finance/poor-service")
@requires("finance.view")
def poor_service_page():
    return render_template(
        "finance/poor_service.html",
        model=comparison.poor_service_model(),
        kinds=poor_service.KIND_LABELS,
    )


@blueprint.route("/finance/poor-service/new", methods=["GET", "POST"])
@requires("finance.edit")
def add_poor_service_line():
    form = PoorServiceLineForm()
    if not form.is_submitted():
        form.currency.data = poor_service.model_currency() or "EUR"
    if form.validate_on_submit():
        saved = _save_line(form, lambda: poor_service.add_line(**form.fields(), **_editor()))
        if saved:
            flash(gettext("The line “%(name)s” is added.", name=form.name.data), "success")
            return redirect(url_for("finance.poor_service_page"))
    status = 422 if form.is_submitted() else 200
    return render_template("finance/poor_service_line.html", form=form, line=None), status


@blueprint.route("/finance/poor-service/<int:line_id>", methods=["GET", "POST"])
@requires("finance.edit")
def edit_poor_service_line(line_id: int):
    line = db.get_or_404(PoorServiceLine, line_id)
    form = PoorServiceLineForm(obj=line, line_id=line.id)
    if form.validate_on_submit():

        def save():
            poor_service.update_line(line, **form.fields(), **_editor())

        if _save_line(form, save):
            flash(gettext("The line “%(name)s” is saved.", name=form.name.data), "success")
            return redirect(url_for("finance.poor_service_page"))
    status = 422 if form.is_submitted() else 200
    page = render_template(
        "finance/poor_service_line.html",
        form=form,
        line=line,
        claiming=poor_service.pilots_claiming(line),
        delete_form=ConfirmForm(),
    )
    return page, status


@blueprint.post("/finance/poor-service/<int:line_id>/delete")
@requires("finance.edit")
def delete_poor_service_line(line_id: int):
    line = db.get_or_404(PoorServiceLine, line_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = line.name
    try:
        poor_service.delete_line(line, **_editor())
        db.session.commit()
    except ValueError as error:
        db.session.rollback()
        flash(f"{str(error)[0].upper()}{str(error)[1:]}.", "error")
        return redirect(url_for("finance.edit_poor_service_line", line_id=line_id))
    flash(gettext("The line “%(name)s” is deleted.", name=name), "success")
    return redirect(url_for("finance.poor_service_page"))


def _save_line(form: PoorServiceLineForm, change: Callable[[], None]) -> bool:
    """Apply ``change`` and commit; on a refusal roll back and say why on the form."""
    try:
        change()
        db.session.commit()
    except ValueError as error:
        db.session.rollback()
        form.form_errors.append(f"{str(error)[0].upper()}{str(error)[1:]}.")
        return False
    except IntegrityError:
        # Another person saved the same key between the check and the commit.
        db.session.rollback()
        form.key.errors.append(gettext("A line with this key exists already."))
        return False
    return True
