"""Administration: user accounts and departments."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from testbed.auth import services
from testbed.auth.access import requires
from testbed.auth.forms import (
    NO_DEPARTMENT,
    ChangeUserForm,
    ConfirmForm,
    DepartmentForm,
    PasswordForm,
    UserForm,
)
from testbed.auth.models import Department, User
from testbed.extensions import db

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.route("/users", methods=["GET", "POST"])
@requires("admin.manage")
def users():
    departments = _departments()
    form = UserForm(departments=departments)
    if form.validate_on_submit():

        def create():
            services.add_user(
                email=form.email.data,
                name=form.name.data or "",
                role=form.role.data,
                department=form.chosen_department(),
                password=form.password.data,
                **_editor(),
            )

        taken = gettext("An account with this e-mail exists already.")
        if _commit(create, form.email.errors, taken):
            flash(gettext("The account %(email)s is created.", email=form.email.data), "success")
            return redirect(url_for("admin.users"))
    accounts = db.session.scalars(
        select(User).options(selectinload(User.department)).order_by(User.active.desc(), User.email)
    )
    status = 422 if form.is_submitted() else 200
    return render_template("admin/users.html", users=accounts, form=form), status


@blueprint.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("admin.manage")
def user(user_id: int):
    account = db.get_or_404(User, user_id)
    if request.method == "GET":
        return _user_page(account)
    form = ChangeUserForm(departments=_departments())
    if form.validate():

        def change():
            services.change_user(
                account,
                name=form.name.data or "",
                role=form.role.data,
                department=form.chosen_department(),
                **_editor(),
            )

        if _commit(change, form.role.errors):
            flash(gettext("%(email)s is saved.", email=account.email), "success")
            return redirect(url_for("admin.user", user_id=account.id))
    return _user_page(account, form=form, status=422)


@blueprint.post("/users/<int:user_id>/password")
@requires("admin.manage")
def reset_password(user_id: int):
    account = db.get_or_404(User, user_id)
    password_form = PasswordForm()
    if password_form.validate_on_submit():

        def reset():
            services.reset_password(account, password_form.password.data, **_editor())

        if _commit(reset, password_form.password.errors):
            message = gettext(
                "%(email)s has a new password: pass it on privately.", email=account.email
            )
            flash(message, "success")
            return redirect(url_for("admin.user", user_id=account.id))
    return _user_page(account, password_form=password_form, status=422)


@blueprint.post("/users/<int:user_id>/deactivate")
@requires("admin.manage")
def deactivate(user_id: int):
    return _set_active(user_id, False)


@blueprint.post("/users/<int:user_id>/reactivate")
@requires("admin.manage")
def reactivate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    account = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.set_active(account, active, **_editor())
        db.session.commit()
    except ValueError as error:
        db.session.rollback()
        flash(_sentence(str(error)), "error")
    else:
        if active:
            flash(gettext("%(email)s can sign in again.", email=account.email), "success")
        else:
            flash(gettext("%(email)s can no longer sign in.", email=account.email), "success")
    return redirect(url_for("admin.user", user_id=account.id))


def _user_page(account: User, form=None, password_form=None, status: int = 200):
    """The account's page; a form given was submitted, the others start from the account."""
    if form is None:
        form = ChangeUserForm(formdata=None, obj=account, departments=_departments())
        form.department.data = account.department_id or NO_DEPARTMENT
    last_admin = account.role == "admin" and account.active and services.active_admin_count() <= 1
    page = render_template(
        "admin/user.html",
        account=account,
        form=form,
        password_form=password_form or PasswordForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        last_admin=last_admin,
    )
    return page, status


@blueprint.route("/departments", methods=["GET", "POST"])
@requires("admin.manage")
def departments():
    form = DepartmentForm()
    if form.validate_on_submit():

        def create():
            services.add_department(form.name.data, **_editor())

        taken = gettext("A department of this name exists already.")
        if _commit(create, form.name.errors, taken):
            flash(gettext("The department %(name)s is created.", name=form.name.data), "success")
            return redirect(url_for("admin.departments"))
    page = render_template("admin/departments.html", departments=_departments(), form=form)
    return page, 422 if form.is_submitted() else 200


@blueprint.route("/departments/<int:department_id>", methods=["GET", "POST"])
@requires("admin.manage")
def department(department_id: int):
    unit = db.get_or_404(Department, department_id)
    form = DepartmentForm(obj=unit, department_id=unit.id)
    if form.validate_on_submit():
        before = unit.name

        def rename():
            services.rename_department(unit, form.name.data, **_editor())

        taken = gettext("A department of this name exists already.")
        if _commit(rename, form.name.errors, taken):
            name = form.name.data
            message = gettext("%(before)s is now called %(name)s.", before=before, name=name)
            flash(message, "success")
            return redirect(url_for("admin.departments"))
    page = render_template("admin/department.html", department=unit, form=form)
    return page, 422 if form.is_submitted() else 200


def _commit(change: Callable[[], None], errors: list, taken: str = "") -> bool:
    """Apply ``change`` and commit once; on a refusal roll back and put the reason in ``errors``."""
    try:
        change()
        db.session.commit()
    except ValueError as error:
        db.session.rollback()
        errors.append(_sentence(str(error)))
        return False
    except IntegrityError:
        # The name was taken by someone else between the form's check and the commit.
        db.session.rollback()
        if not taken:
            raise
        errors.append(taken)
        return False
    return True


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + "."


def _departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def _editor() -> dict:
    return {"actor": current_user.email, "user_id": current_user.id}
